// HTTP helpers for tests: temp folders, a closed port, JSON posts and a faulty JSON-RPC proxy.
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp directory for one test file's databases and keys. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `x402-${prefix}-`));
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

/** How the proxy treats one JSON-RPC method. */
export type Fault =
  | 'drop' // close the connection without an answer: the node never saw the call
  | 'forward-then-drop' // the node handles the call, the answer is lost
  | 'forward-then-refuse' // the node handles the call, a gateway answers an error anyway
  | 'refuse'; // answer the node's "invalid transaction" error

/**
 * A real HTTP proxy in front of a node's JSON-RPC endpoint that records every method called
 * and drops, refuses, holds or rewrites chosen ones.
 */
export class FaultyProxy {
  readonly faults = new Map<string, Fault>();
  /**
   * Changes the node's answer to a method (its parsed JSON-RPC response, with the call's
   * params) before it is sent.
   */
  readonly rewrites = new Map<
    string,
    (answer: Record<string, unknown>, params: unknown) => unknown
  >();
  /** Answers to a method wait for its promise (the node has answered; the answer is held). */
  readonly holds = new Map<string, Promise<void>>();
  readonly seen: string[] = [];
  /** Every call with its params. */
  readonly calls: Array<{ method: string; params: unknown }> = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', async () => {
        const { method, params } = JSON.parse(body) as { method: string; params?: unknown };
        this.seen.push(method);
        this.calls.push({ method, params });
        const fault = this.faults.get(method);
        if (fault === 'drop') return req.socket.destroy();
        if (fault === 'refuse' || fault === 'forward-then-refuse') {
          if (fault === 'forward-then-refuse') {
            await fetch(this.target, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            });
          }
          res.setHeader('content-type', 'application/json');
          return res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: 1,
              error: {
                code: -32016,
                message: 'Invalid transaction',
                data: 'the transaction was invalid: test refusal',
              },
            }),
          );
        }
        const answer = await fetch(this.target, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const text = await answer.text();
        await this.holds.get(method);
        if (fault === 'forward-then-drop') return req.socket.destroy();
        res.setHeader('content-type', 'application/json');
        const rewrite = this.rewrites.get(method);
        res.end(rewrite ? JSON.stringify(rewrite(JSON.parse(text), params)) : text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/rpc`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
