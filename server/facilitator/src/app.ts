// The facilitator's HTTP service: x402 /supported, /verify, /settle and /metrics behind the API
// key check, /health and /openapi.json open; request budgets, metrics and one log line per
// request for all of them.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import { checkSchema, X402InputError } from '@x402-casper/shared';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchemaCompiler,
  LogController,
} from 'fastify';
import type { FacilitatorConfig } from './config.js';
import { Engine, partsOf } from './engine.js';
import { HealthCheck } from './health.js';
import type { Ledger } from './ledger.js';
import type { ChainOf } from './network.js';
import { ApiKeys } from './plugins/auth.js';
import { metrics } from './plugins/metrics.js';
import { MemoryCounter, requestBudgets, SqlCounter } from './plugins/rate-limit.js';
import { x402Routes } from './routes.js';
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
  /** The ledger (by default one on `config.database`). */
  ledger?: Ledger;
  /** Each network's chain (by default its node at `rpcUrl`). */
  chainOf?: ChainOf;
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
      caller: request.caller || request.ip,
      ...this.outcomes.get(request),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

/**
 * Route schemas are shared's TypeBox schemas, checked by shared's own checker: a 400 names the
 * first wrong field (`body.paymentPayload.accepted.payTo`) exactly as every other x402-casper
 * component reports it.
 */
const schemaValidator: FastifySchemaCompiler<TSchema> =
  ({ schema, httpPart }) =>
  (data) => {
    try {
      return { value: checkSchema(schema, data, httpPart ?? 'body') };
    } catch (error) {
      return { error: error as Error };
    }
  };

export async function createFacilitator(
  config: FacilitatorConfig,
  options: FacilitatorOptions = {},
): Promise<Facilitator> {
  const apiKeys = new ApiKeys(config.apiKeys);
  /** What a route found, for its request's log line. */
  const outcomes = new WeakMap<object, Record<string, unknown>>();
  const note = (request: object, found: Record<string, unknown>) =>
    outcomes.set(request, { ...outcomes.get(request), ...found });

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
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(schemaValidator);
  // Answers are written as they are: the response schemas document them, they filter nothing.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const engine = new Engine(config, partsOf(config, app.log, options));
  const { contexts, ledger, settler } = engine;
  const health = new HealthCheck(contexts, engine.now);

  // Only JSON bodies: text/plain would otherwise reach the routes as a string.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('caller', '');
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'x402-casper facilitator',
        description: 'Verifies and settles x402 `exact` payments on the Casper Network.',
        version: '2',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'Authorization: Bearer <key>, or the bare key',
          },
        },
      },
    },
  });
  await app.register(metrics, { pendingSettlements: () => ledger.pendingCount() });
  // Replicas on one PostgreSQL share each caller's budget; one process counts in memory.
  const { max, windowMs } = config.rateLimit;
  await app.register(requestBudgets, {
    max,
    windowMs,
    now: engine.now,
    counter:
      ledger.kind === 'postgres'
        ? new SqlCounter(ledger.db, windowMs)
        : new MemoryCounter(windowMs),
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

  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `${request.method} ${request.url} is not a route` }),
  );

  // Probes and the API description need no key.
  app.get(
    '/health',
    { schema: { summary: 'Whether each network can be verified and settled on' } },
    async (_request, reply) => {
      const { ok, networks } = await health.report();
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', networks });
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(x402Routes, { engine, apiKeys, note });

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
  const facilitator = await createFacilitator(config, options);
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
