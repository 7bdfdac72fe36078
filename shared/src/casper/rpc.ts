// A lean JSON-RPC 2.0 client for a Casper node (sidecar) over `fetch`: named params, one
// POST per call, a time limit per call, and two typed errors. It runs in Node (where fetch
// keeps connections alive) and in a browser service worker. It returns the `result` as JSON;
// readers pick what they need from it.

/** JSON-RPC error codes of a Casper node (sidecar) that readers react to. */
export const RPC_ERROR = {
  queryFailed: -32003,
  noSuchAccount: -32009,
  noMainPurse: -32013,
  noSuchTransaction: -32014,
  invalidTransaction: -32016,
  purseNotFound: -32026,
} as const;

/** The node answered with a JSON-RPC error: it got the call and refused it. */
export class CasperRpcError extends Error {
  override readonly name = 'CasperRpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: ${message}${typeof data === 'string' ? `: ${data}` : ''}`);
  }
}

/**
 * The node could not be reached, did not answer in time, or answered something that is not
 * JSON-RPC: whether it got the call is unknown.
 */
export class CasperRpcUnavailableError extends Error {
  override readonly name = 'CasperRpcUnavailableError';
}

/**
 * Sends one JSON body by POST and answers the HTTP status and body text, within `timeoutMs`;
 * past it, rejects with an error named `TimeoutError` (as `AbortSignal.timeout` does).
 */
export type JsonPost = (
  url: string,
  body: string,
  timeoutMs: number,
) => Promise<{ status: number; text: string }>;

/** What a transport rejects with when the answer did not come in time. */
export class PostTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** A transport over `fetchImpl` (a test's or a service worker's own `fetch`). */
export function fetchPostWith(fetchImpl: typeof fetch): JsonPost {
  return async (url, body, timeoutMs) => {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, text: await response.text() };
  };
}

/** The default transport: `fetch`, available in Node and in browsers. */
export const fetchPost: JsonPost = fetchPostWith((input, init) => fetch(input, init));

export interface CasperRpcOptions {
  /** Time limit of one call, ms; default 10 s. */
  timeoutMs?: number;
  /** How bodies are sent; `fetch` by default (Node callers may pass a keep-alive agent's). */
  post?: JsonPost;
}

export class CasperRpc {
  private id = 0;
  private readonly timeoutMs: number;
  private readonly post: JsonPost;

  constructor(
    readonly url: string,
    options: CasperRpcOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.post = options.post ?? fetchPost;
  }

  /** Calls `method` with named `params`; the `result` object, or a typed error. */
  async call(method: string, params: object = {}): Promise<Record<string, unknown>> {
    const id = ++this.id;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.post(
        this.url,
        JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        this.timeoutMs,
      ));
    } catch (error) {
      const why =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : `cannot reach ${this.url}`;
      throw new CasperRpcUnavailableError(`${method}: ${why}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new CasperRpcUnavailableError(
        `${method}: the node answered HTTP ${status} with something that is not JSON`,
      );
    }
    const { error, result } = (body ?? {}) as { error?: unknown; result?: unknown };
    if (error !== undefined && error !== null) {
      const { code, message, data } = error as {
        code?: unknown;
        message?: unknown;
        data?: unknown;
      };
      if (typeof code === 'number') {
        throw new CasperRpcError(
          method,
          code,
          typeof message === 'string' ? message : 'error',
          data,
        );
      }
    }
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      throw new CasperRpcUnavailableError(`${method}: the answer has no result object`);
    }
    return result as Record<string, unknown>;
  }
}
