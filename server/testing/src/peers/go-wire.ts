// Small pieces the Go-peer emulators share: JSON written the way Go's encoding/json and Gin
// write it, Go-style strict decoding of the x402 v2 structs, and a JSON-RPC call.
//
// Written from reading make-software/casper-x402 (apps/facilitator/main.go: handlers answer
// with gin's c.JSON) and the upstream Go types it builds on (x402-foundation/x402
// go/types/v2.go, go/types.go): struct fields marshal in declaration order, `omitempty`
// drops empty strings and nil maps, and encoding/json escapes <, > and & in strings.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A JSON value whose keys are already in the order Go would write them. */
export type GoJson = unknown;

/** JSON as Go's encoding/json writes it: no spaces, HTML-sensitive characters escaped. */
export function goMarshal(value: GoJson): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Gin's c.JSON(status, value). */
export function ginJson(res: ServerResponse, status: number, value: GoJson): void {
  const body = goMarshal(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Gin's answer for a path no route matches. */
export function ginNotFound(res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain');
  res.end('404 page not found');
}

/**
 * Builds an object from [key, value] pairs, leaving out `omitempty` fields that Go would:
 * empty strings, nil, and maps or slices of length 0.
 */
export function goStruct(fields: Array<[string, unknown, 'omitempty'?]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value, omit] of fields) {
    const empty =
      value === undefined ||
      value === null ||
      value === '' ||
      (typeof value === 'object' && Object.keys(value as object).length === 0);
    if (omit === 'omitempty' && empty) continue;
    out[key] = value === undefined ? null : value;
  }
  return out;
}

export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const jsType = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'object'
        ? 'object'
        : typeof value;

/** The error text of a Go json.Unmarshal type mismatch. */
function mismatch(value: unknown, path: string, goType: string): Error {
  return new Error(
    `json: cannot unmarshal ${jsType(value)} into Go struct field ${path} of type ${goType}`,
  );
}

function goString(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw mismatch(value, path, 'string');
  return value;
}

function goInt(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw mismatch(value, path, 'int');
  return value;
}

function goMap(value: unknown, path: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (jsType(value) !== 'object') throw mismatch(value, path, 'map[string]interface {}');
  return value as Record<string, unknown>;
}

/** types.PaymentRequirements (x402 v2), decoded as Go decodes it. */
export interface GoRequirements {
  scheme: string;
  network: string;
  asset: string;
  amount: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown> | undefined;
}

export function goRequirements(value: unknown, struct = 'PaymentRequirements'): GoRequirements {
  if (value === null || value === undefined) {
    return {
      scheme: '',
      network: '',
      asset: '',
      amount: '',
      payTo: '',
      maxTimeoutSeconds: 0,
      extra: undefined,
    };
  }
  if (jsType(value) !== 'object') {
    throw new Error(
      `json: cannot unmarshal ${jsType(value)} into Go value of type types.${struct}`,
    );
  }
  const r = value as Record<string, unknown>;
  return {
    scheme: goString(r.scheme, `${struct}.scheme`),
    network: goString(r.network, `${struct}.network`),
    asset: goString(r.asset, `${struct}.asset`),
    amount: goString(r.amount, `${struct}.amount`),
    payTo: goString(r.payTo, `${struct}.payTo`),
    maxTimeoutSeconds: goInt(r.maxTimeoutSeconds, `${struct}.maxTimeoutSeconds`),
    extra: goMap(r.extra, `${struct}.extra`),
  };
}

/** Re-marshals requirements in Go's field order (extra keys sorted, as Go sorts map keys). */
export function marshalRequirements(r: GoRequirements): Record<string, unknown> {
  return goStruct([
    ['scheme', r.scheme],
    ['network', r.network],
    ['asset', r.asset],
    ['amount', r.amount],
    ['payTo', r.payTo],
    ['maxTimeoutSeconds', r.maxTimeoutSeconds],
    ['extra', r.extra ? sortKeys(r.extra) : undefined, 'omitempty'],
  ]);
}

/** A map[string]interface{} as Go marshals it: keys sorted, at every depth. */
export function sortKeys(map: Record<string, unknown>): Record<string, unknown> {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === 'object'
        ? sortKeys(value as Record<string, unknown>)
        : value;
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((key) => [key, sorted(map[key])]),
  );
}

/** types.PaymentPayload (x402 v2), decoded as Go decodes it. */
export interface GoPayload {
  x402Version: number;
  payload: Record<string, unknown> | undefined;
  accepted: GoRequirements;
  resource: Record<string, unknown> | undefined;
  extensions: Record<string, unknown> | undefined;
}

export function goPayload(value: unknown): GoPayload {
  if (jsType(value) !== 'object') {
    throw new Error(
      `json: cannot unmarshal ${jsType(value)} into Go value of type types.PaymentPayload`,
    );
  }
  const p = value as Record<string, unknown>;
  const resource = goMap(p.resource, 'PaymentPayload.resource');
  if (resource) {
    for (const field of ['url', 'description', 'mimeType'])
      goString(resource[field], `PaymentPayload.resource.${field}`);
  }
  return {
    x402Version: goInt(p.x402Version, 'PaymentPayload.x402Version'),
    payload: goMap(p.payload, 'PaymentPayload.payload'),
    accepted: goRequirements(p.accepted, 'PaymentPayload.accepted'),
    resource,
    extensions: goMap(p.extensions, 'PaymentPayload.extensions'),
  };
}

/** Re-marshals a payload in Go's field order, as the Go HTTP facilitator client sends it. */
export function marshalPayload(p: GoPayload): Record<string, unknown> {
  return goStruct([
    ['x402Version', p.x402Version],
    ['payload', p.payload ? sortKeys(p.payload) : null],
    ['accepted', marshalRequirements(p.accepted)],
    ['resource', p.resource, 'omitempty'],
    ['extensions', p.extensions ? sortKeys(p.extensions) : undefined, 'omitempty'],
  ]);
}

/**
 * The x402Version of a payload's bytes (upstream types.DetectVersion): the field must be
 * there and be 1 or 2.
 */
export function detectVersion(raw: unknown): number {
  if (jsType(raw) !== 'object') throw new Error('payload is not a JSON object');
  const version = (raw as Record<string, unknown>).x402Version;
  if (version === undefined || version === null) throw new Error('x402Version field is missing');
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new Error('x402Version must be an integer');
  }
  if (version !== 1 && version !== 2) throw new Error(`invalid x402Version: ${version}`);
  return version;
}

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

/** One JSON-RPC 2.0 call with named params. */
export async function rpcCall<T = Record<string, unknown>>(
  url: string,
  method: string,
  params: unknown,
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const reply = (await response.json()) as {
    result?: T;
    error?: { code: number; message: string; data?: unknown };
  };
  if (reply.error) throw new RpcError(reply.error.code, reply.error.message, reply.error.data);
  return reply.result as T;
}

/**
 * Serves `handle` as a Gin engine would: an error it throws is a 500 with its message (or a
 * dropped connection once the answer has begun). On 127.0.0.1 and a free port by default.
 */
export async function serveGin(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
  host = '127.0.0.1',
  port = 0,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) ginJson(res, 500, { error: (error as Error).message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
