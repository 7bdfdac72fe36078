// A JSON-RPC proxy in front of a Casper node (the devnet): counts calls per method and injects
// faults chosen per call. The benchmarks use it to count a request's RPC calls; the reliability
// suite to take the node down, slow it, or make it answer errors and garbage. Loopback only.
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Close the connection unanswered: the node never sees the call. */
  | { kind: 'drop' }
  /** The node handles the call; its answer is lost. */
  | { kind: 'forward-then-drop' }
  /** The node's answer, `ms` late. */
  | { kind: 'slow'; ms: number }
  /** Kept until `release()`, then forwarded even if the caller has gone. */
  | { kind: 'hold' }
  /** A JSON-RPC error instead of the node's answer. */
  | { kind: 'rpc-error'; code: number; message: string }
  /** An HTTP error status with an HTML body, like a failing gateway. */
  | { kind: 'http-status'; status: number }
  /** HTTP 200 with a body that is not a valid answer (made from the node's own answer). */
  | { kind: 'garbage'; name: string; body: (answer: string) => string };

export interface Call {
  method: string;
  /** How many calls of this method came before (0 for the first). */
  index: number;
}

export class RpcProxy {
  /** Chooses the fault for each call; undefined forwards it untouched. */
  rule: (call: Call) => Fault | undefined = () => undefined;
  readonly calls = new Map<string, number>();
  readonly injected = new Map<string, number>();
  private readonly held: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/rpc`;
  }

  /** Calls seen, all methods together. */
  get total(): number {
    return [...this.calls.values()].reduce((sum, n) => sum + n, 0);
  }

  /** Faults injected, all kinds together. */
  get faults(): number {
    return [...this.injected.values()].reduce((sum, n) => sum + n, 0);
  }

  resetCounts(): void {
    this.calls.clear();
    this.injected.clear();
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(Buffer.concat(chunks).toString('utf8'), req.socket, res));
    });
    // As a node's JSON-RPC server (hyper 0.14's, in casper-node and its sidecar) keeps an idle
    // connection open, not closed after node:http's default 5 s: the facilitator's sockets live
    // through an 8 s block as they do against a node.
    this.server.keepAliveTimeout = 0;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The node goes away: connections are cut and new ones refused until `up()`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (!this.server) await this.start();
  }

  /** Forwards every held call to the node. */
  release(): number {
    const held = this.held.splice(0);
    for (const forward of held) forward();
    return held.length;
  }

  get holding(): number {
    return this.held.length;
  }

  async close(): Promise<void> {
    this.release();
    await this.down();
    this.agent.destroy();
  }

  private count(map: Map<string, number>, key: string): number {
    const before = map.get(key) ?? 0;
    map.set(key, before + 1);
    return before;
  }

  private handle(body: string, socket: Socket, res: import('node:http').ServerResponse): void {
    let method = 'unparsed';
    try {
      const parsed = JSON.parse(body) as { method?: unknown };
      if (typeof parsed.method === 'string') method = parsed.method;
    } catch {}
    const index = this.count(this.calls, method);
    const fault = this.rule({ method, index });
    if (fault)
      this.count(this.injected, fault.kind === 'garbage' ? `garbage:${fault.name}` : fault.kind);
    const answer = (status: number, text: string, type = 'application/json') => {
      if (res.writableEnded || socket.destroyed) return;
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    const forward = () =>
      this.forward(body).then(
        (text) => text,
        () => undefined,
      );
    switch (fault?.kind) {
      case 'drop':
        socket.destroy();
        return;
      case 'forward-then-drop':
        forward().then(() => socket.destroy());
        return;
      case 'slow':
        forward().then((text) =>
          setTimeout(() => (text === undefined ? socket.destroy() : answer(200, text)), fault.ms),
        );
        return;
      case 'hold':
        this.held.push(() => {
          forward().then((text) => (text === undefined ? socket.destroy() : answer(200, text)));
        });
        return;
      case 'rpc-error':
        answer(
          200,
          JSON.stringify({
            jsonrpc: '2.0',
            id: idOf(body),
            error: { code: fault.code, message: fault.message },
          }),
        );
        return;
      case 'http-status':
        answer(fault.status, '<html><body>upstream failure</body></html>', 'text/html');
        return;
      case 'garbage':
        forward().then((text) => answer(200, fault.body(text ?? '')));
        return;
      default:
        forward().then((text) => (text === undefined ? socket.destroy() : answer(200, text)));
    }
  }

  private forward(body: string): Promise<string> {
    const target = new URL(this.target);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

function idOf(body: string): unknown {
  try {
    return (JSON.parse(body) as { id?: unknown }).id ?? null;
  } catch {
    return null;
  }
}
