// The facilitator's HTTP service: x402 /supported, /verify, /settle, plus /health and /metrics.
import { randomUUID } from 'node:crypto';
import { parseSettleRequest, parseVerifyRequest, X402InputError } from '@x402-casper/shared';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { FacilitatorConfig } from './config.js';
import { Engine } from './engine.js';
import { HealthCheck } from './health.js';
import { ApiKeys, MemoryRateLimiter, type RateLimiter, SqlRateLimiter } from './http.js';
import { deliveryKeyOf, IDEMPOTENCY_HEADER } from './idempotency.js';
import type { Ledger } from './ledger.js';
import { Metrics } from './metrics.js';
import type { Settler } from './settle.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface Facilitator {
  app: FastifyInstance;
  engine: Engine;
  ledger: Ledger;
  settler: Settler;
  /** Stops taking requests, lets running ones finish, stops polling, closes the ledger. */
  close(): Promise<void>;
}

export interface FacilitatorOptions {
  logger?: FastifyBaseLogger;
  /** The clock, ms since the epoch (Date.now by default). */
  now?: () => number;
}

/**
 * One log line per request, written when it ends, with what its route found (a verdict, a
 * settlement result), instead of Fastify's two lines plus one of the route's.
 */
class RequestLines extends LogController {
  constructor(private readonly outcomes: WeakMap<object, Record<string, unknown>>) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...this.outcomes.get(request),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

export function createFacilitator(
  config: FacilitatorConfig,
  options: FacilitatorOptions = {},
): Facilitator {
  const apiKeys = new ApiKeys(config.apiKeys);
  /** What a route found, for its request's log line. */
  const outcomes = new WeakMap<object, Record<string, unknown>>();

  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger }
      : {
          logger: {
            level: config.logLevel,
            redact: ['req.headers.authorization'],
            stream: process.stderr,
          },
        }),
    bodyLimit: config.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new RequestLines(outcomes),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const engine = new Engine(config, app.log, { now: options.now });
  const { contexts, ledger, settler } = engine;
  // Replicas on one PostgreSQL share each client's budget; one process counts in memory.
  const { max, windowMs } = config.rateLimit;
  const limiter: RateLimiter =
    engine.db.dialect === 'postgres'
      ? new SqlRateLimiter(engine.db, max, windowMs)
      : new MemoryRateLimiter(max, windowMs);
  const metrics = new Metrics();
  const health = new HealthCheck(contexts, engine.now);

  /** Who sent each request: an API key's index, or the client address without keys. */
  const callers = new WeakMap<object, string>();

  // Only JSON bodies: text/plain would otherwise reach the routes as a string.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  /** Takes one request from its caller's budget; a 429 once the budget is spent. */
  const limit = async (request: FastifyRequest, reply: FastifyReply) => {
    const client = callers.get(request) ?? request.ip;
    callers.set(request, client);
    outcomes.set(request, { ...outcomes.get(request), caller: client });
    const wait = await limiter.take(client, engine.now());
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return reply.code(429).send({ error: 'rate_limited', message: `retry in ${wait} s` });
    }
  };

  /** With API keys configured, a request needs one; its caller is then the key. */
  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!apiKeys.required) return;
    const index = apiKeys.match(request.headers.authorization);
    if (index < 0) {
      reply.header('www-authenticate', 'Bearer');
      return reply.code(401).send({
        error: 'unauthorized',
        message: 'a valid API key is required: Authorization: Bearer <key>, or the bare key',
      });
    }
    callers.set(request, apiKeys.callerOf(index));
  };

  app.addHook('onResponse', async (request, reply) => {
    metrics.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode);
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof X402InputError) {
      return reply
        .code(400)
        .send({ error: 'invalid_request', field: error.field, message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.code(status).send({
        error: (error as { code?: string }).code ?? 'bad_request',
        message: (error as Error).message,
      });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'internal error' });
  });

  app.setNotFoundHandler({ preHandler: limit }, (request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `${request.method} ${request.url} is not a route` }),
  );

  /** A metrics label for a request's network: only configured ones, to bound cardinality. */
  const networkLabel = (network: string) => (contexts.has(network) ? network : 'unconfigured');

  // Probes have no key: /health is open, limited per client address. Its scope is its own, so
  // the key check of the x402 routes never applies to it.
  void app.register(async (open) => {
    open.addHook('onRequest', limit);
    open.get('/health', async (_request, reply) => {
      const { ok, networks } = await health.report();
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', networks });
    });
  });

  // The x402 routes and /metrics: an API key when keys are configured, then the caller's budget.
  void app.register(async (keyed) => {
    keyed.addHook('onRequest', authenticate);
    keyed.addHook('onRequest', limit);
    keyed.get('/supported', async () => engine.supported());

    keyed.post('/verify', async (request) => {
      const body = parseVerifyRequest(request.body);
      const response = await engine.verify(body);
      metrics.verifyResult(
        networkLabel(body.paymentRequirements.network),
        response.isValid ? 'valid' : (response.invalidReason ?? 'invalid'),
      );
      outcomes.set(request, {
        ...outcomes.get(request),
        network: body.paymentRequirements.network,
        valid: response.isValid,
        reason: response.invalidReason,
      });
      return response;
    });

    keyed.post('/settle', async (request) => {
      const started = performance.now();
      const body = parseSettleRequest(request.body);
      const deliveryKey = deliveryKeyOf(
        callers.get(request) ?? request.ip,
        request.headers[IDEMPOTENCY_HEADER],
        body.paymentPayload,
      );
      const outcome = await engine.settle(body, deliveryKey);
      metrics.settleResult(
        networkLabel(body.paymentRequirements.network),
        outcome.result,
        (performance.now() - started) / 1000,
      );
      const found = {
        ...outcomes.get(request),
        network: body.paymentRequirements.network,
        result: outcome.result,
        transaction: outcome.response.transaction || undefined,
      };
      outcomes.set(request, found);
      // No "request completed" line comes for an answer nobody reads: say what it was.
      if (request.raw.socket?.destroyed) {
        request.log.info(found, 'settle answered after the caller hung up');
      }
      return outcome.response;
    });

    keyed.get('/metrics', async (_request, reply) =>
      reply
        .type('text/plain; version=0.0.4; charset=utf-8')
        .send(metrics.render(await ledger.pendingCount())),
    );
  });

  let closing: Promise<void> | undefined;
  return {
    app,
    engine,
    ledger,
    settler,
    close() {
      closing ??= (async () => {
        // New requests get 503 at once; waiting settles answer with where they stand.
        const appClosed = app.close();
        await settler.close();
        await appClosed;
        await ledger.close();
      })();
      return closing;
    },
  };
}

/** Creates the service, resumes unfinished settlements, and listens. */
export async function startFacilitator(
  config: FacilitatorConfig,
  options: FacilitatorOptions = {},
): Promise<Facilitator & { url: string }> {
  const facilitator = createFacilitator(config, options);
  try {
    const resumed = await facilitator.engine.start();
    if (resumed > 0) facilitator.app.log.info({ resumed }, 'resuming unfinished settlements');
    await facilitator.app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await facilitator.close();
    throw error;
  }
  const address = facilitator.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { ...facilitator, url: `http://${host}:${port}` };
}
