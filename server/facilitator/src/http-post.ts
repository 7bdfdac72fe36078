// The facilitator's transport for chain reads and submissions: HTTP/1.1 POSTs over sockets kept
// alive per origin (node:net, node:tls), one exchange at a time per socket. A call through
// node:http's request and response streams cost about twice the CPU (0.4–0.5 against 0.2 ms in a
// loop against the devnet, 1.25 against 0.77 ms with 100 ms between calls), and a settlement
// makes several calls.
//
// It speaks the part of RFC 9112 a JSON-RPC exchange needs: a request with Content-Length; a
// response framed by Content-Length, by the chunked transfer coding, or by the end of the
// connection; 1xx interim responses skipped. Whatever else comes back is an error, which the
// RPC layer reports as the node being unavailable. Nothing is sent twice: whether a call the
// connection lost under it reached the node is for the caller to find out (as with node:http).
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { type JsonPost, PostTimeoutError } from '@x402-casper/shared';
import { type ParsedResponse, parseHttpResponse, type ResponseParser } from './http-response.js';

/**
 * An idle socket is closed after this (or a second before the server's own `Keep-Alive:
 * timeout`), before a NAT or a load balancer forgets it silently.
 */
const MAX_IDLE_MS = 30_000;

export interface HttpTransportOptions {
  /** Sockets per origin at most; further requests wait for one. Default 64. */
  maxSockets?: number;
  /** TLS options for https origins (e.g. `ca` in tests); certificates are always verified. */
  tls?: Pick<ConnectionOptions, 'ca'>;
}

interface Target {
  origin: string;
  secure: boolean;
  host: string;
  port: number;
  /** The request head up to the Content-Length value. */
  head: string;
}

class Connection {
  private exchange:
    | {
        parser: ResponseParser;
        resolve: (response: ParsedResponse) => void;
        reject: (error: Error) => void;
      }
    | undefined;
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly onClosed: (connection: Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, MAX_IDLE_MS / 2);
    socket.on('timeout', () => {
      if (!this.exchange) socket.destroy(); // idle too long
    });
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('error', (error) => this.fail(error.message, false));
    socket.on('close', () => {
      this.fail('the connection closed before the response ended', true);
      this.closed = true;
      this.onClosed(this);
    });
  }

  /** Open both ways: the server has not ended it (its FIN may come before the close event). */
  get usable(): boolean {
    return !this.closed && this.socket.readyState === 'open';
  }

  /** Sends `request` and hands its response, or why there is none, to `done`, once. */
  send(request: string, done: (error: Error | undefined, response?: ParsedResponse) => void) {
    this.exchange = {
      parser: parseHttpResponse(),
      resolve: (response) => done(undefined, response),
      reject: done,
    };
    this.socket.ref();
    this.socket.setTimeout(0);
    this.socket.write(request);
  }

  /** Gives up on the exchange under way (its caller stopped waiting): nothing more is said. */
  abandon(): void {
    this.exchange = undefined;
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    const exchange = this.exchange;
    if (!exchange) {
      // Bytes nobody asked for: the connection cannot be trusted with another exchange.
      this.socket.destroy();
      return;
    }
    let result: ReturnType<ResponseParser['feed']>;
    try {
      result = exchange.parser.feed(chunk);
    } catch (error) {
      this.fail((error as Error).message, false);
      return;
    }
    if (result.done) this.finish(result.response, result.leftover === 0);
  }

  private finish(response: ParsedResponse, clean: boolean) {
    const exchange = this.exchange!;
    this.exchange = undefined;
    exchange.resolve({ ...response, keepAlive: response.keepAlive && clean });
  }

  /** Ends the exchange under way, if any: `closed` when the server ended the connection. */
  private fail(message: string, closed: boolean): void {
    const exchange = this.exchange;
    if (!exchange) return;
    this.exchange = undefined;
    // A response framed by the end of the connection ends here.
    const ended = closed ? exchange.parser.end() : undefined;
    if (ended) {
      exchange.resolve({ ...ended, keepAlive: false });
      return;
    }
    this.socket.destroy();
    exchange.reject(new Error(message));
  }
}

class OriginPool {
  private readonly idle: Connection[] = [];
  /** Calls waiting for a socket, in order. */
  private readonly waiting: Array<() => void> = [];
  private open = 0;

  constructor(
    private readonly target: Target,
    private readonly maxSockets: number,
    private readonly tls: HttpTransportOptions['tls'],
  ) {}

  post(target: Target, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
    const request = `${target.head}${Buffer.byteLength(body)}\r\n\r\n${body}`;
    return new Promise((resolve, reject) => {
      let connection: Connection | undefined;
      const timer = setTimeout(() => {
        if (connection) connection.abandon();
        else this.stopWaiting(start);
        reject(new PostTimeoutError(timeoutMs));
      }, timeoutMs);
      const start = () => {
        connection = this.take();
        if (!connection) {
          this.waiting.push(start);
          return;
        }
        const used = connection;
        used.send(request, (error, response) => {
          clearTimeout(timer);
          let keepMs = 0;
          if (response?.keepAlive) {
            keepMs = Math.min(MAX_IDLE_MS, (response.idleMs ?? Number.POSITIVE_INFINITY) - 1000);
          }
          this.release(used, keepMs);
          if (response) resolve({ status: response.status, text: response.text });
          else reject(error);
        });
      };
      start();
    });
  }

  private stopWaiting(call: () => void): void {
    const at = this.waiting.indexOf(call);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /** An idle socket that is still open, a new one below the limit, or none. */
  private take(): Connection | undefined {
    for (let idle = this.idle.pop(); idle; idle = this.idle.pop()) {
      if (idle.usable) return idle;
      idle.socket.destroy(); // its close event frees the slot
    }
    return this.open < this.maxSockets ? this.connect() : undefined;
  }

  private connect(): Connection {
    const { host, port, secure } = this.target;
    const socket = secure
      ? tlsConnect({
          host,
          port,
          ...(isIP(host) ? {} : { servername: host }),
          ALPNProtocols: ['http/1.1'],
          ...(this.tls?.ca ? { ca: this.tls.ca } : {}),
        })
      : netConnect({ host, port });
    this.open += 1;
    return new Connection(socket, (closed) => {
      this.open -= 1;
      const at = this.idle.indexOf(closed);
      if (at >= 0) this.idle.splice(at, 1);
      this.waiting.shift()?.();
    });
  }

  /** Keeps the connection for the next call, idle at most `keepMs`; closes it if 0 or less. */
  private release(connection: Connection, keepMs: number): void {
    if (keepMs <= 0 || !connection.usable) {
      connection.socket.destroy(); // its close event frees the slot
      return;
    }
    const next = this.waiting.shift();
    if (next) {
      this.idle.push(connection);
      next();
      return;
    }
    // An idle socket does not keep the process alive.
    connection.socket.unref();
    connection.socket.setTimeout(keepMs);
    this.idle.push(connection);
  }
}

/** A JSON POST transport with sockets kept alive per origin. */
export function httpTransport(options: HttpTransportOptions = {}): JsonPost {
  const pools = new Map<string, OriginPool>();
  const targets = new Map<string, Target>();
  const maxSockets = options.maxSockets ?? 64;
  return (url, body, timeoutMs) => {
    let target = targets.get(url);
    if (!target) {
      target = targetOf(url);
      targets.set(url, target);
    }
    let pool = pools.get(target.origin);
    if (!pool) {
      pool = new OriginPool(target, maxSockets, options.tls);
      pools.set(target.origin, pool);
    }
    return pool.post(target, body, timeoutMs);
  };
}

function targetOf(url: string): Target {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'https:';
  if (!secure && parsed.protocol !== 'http:') {
    throw new Error(`${parsed.protocol} is not an HTTP URL: ${url}`);
  }
  const auth =
    parsed.username || parsed.password
      ? `Authorization: Basic ${Buffer.from(
          `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`,
        ).toString('base64')}\r\n`
      : '';
  return {
    origin: parsed.origin,
    secure,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(parsed.port) || (secure ? 443 : 80),
    head:
      `POST ${parsed.pathname}${parsed.search} HTTP/1.1\r\nHost: ${parsed.host}\r\n${auth}` +
      'Content-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: ',
  };
}

/** The facilitator's one transport: one pool of sockets per RPC origin for the process. */
export const keepAlivePost: JsonPost = httpTransport();
