// The x402 routes (/supported, /verify, /settle) and /metrics, as one plugin: its scope holds
// the API key check, so nothing outside it (/health, /openapi.json) ever needs a key. Bodies are
// checked by shared's TypeBox schemas before a handler runs (see `schemaValidator` in app.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  SettleRequestSchema,
  SettleResponseSchema,
  SupportedResponseSchema,
  VerifyRequestSchema,
  VerifyResponseSchema,
} from '@x402-casper/shared';
import type { Engine } from './engine.js';
import { deliveryKeyOf, IDEMPOTENCY_HEADER } from './idempotency.js';
import { type ApiKeys, auth } from './plugins/auth.js';

export interface X402RoutesOptions {
  engine: Engine;
  apiKeys: ApiKeys;
  /** Adds what a route found to its request's log line. */
  note: (request: object, found: Record<string, unknown>) => void;
}

const security = (apiKeys: ApiKeys) => (apiKeys.required ? [{ apiKey: [] }] : []);

export const x402Routes: FastifyPluginAsyncTypebox<X402RoutesOptions> = async (app, options) => {
  const { engine, apiKeys, note } = options;
  await app.register(auth, { apiKeys });
  /** A metrics label for a request's network: only configured ones, to bound cardinality. */
  const networkLabel = (network: string) =>
    engine.contexts.has(network) ? network : 'unconfigured';

  app.get(
    '/supported',
    {
      schema: {
        summary: 'The payment kinds this facilitator verifies and settles',
        security: security(apiKeys),
        response: { 200: SupportedResponseSchema },
      },
    },
    async () => engine.supported(),
  );

  app.post(
    '/verify',
    {
      schema: {
        summary: 'Checks a payment as the chain would, without settling it',
        security: security(apiKeys),
        body: VerifyRequestSchema,
        response: { 200: VerifyResponseSchema },
      },
    },
    async (request) => {
      const { body } = request;
      const response = await engine.verify(body);
      app.metrics.verifyResult(
        networkLabel(body.paymentRequirements.network),
        response.isValid ? 'valid' : (response.invalidReason ?? 'invalid'),
      );
      note(request, {
        network: body.paymentRequirements.network,
        valid: response.isValid,
        reason: response.invalidReason,
      });
      return response;
    },
  );

  app.post(
    '/settle',
    {
      schema: {
        summary: 'Settles a payment on chain (once per authorization)',
        description: `A repeated \`${IDEMPOTENCY_HEADER}\` gets the same successful answer again.`,
        security: security(apiKeys),
        body: SettleRequestSchema,
        response: { 200: SettleResponseSchema },
      },
    },
    async (request) => {
      const started = performance.now();
      const { body } = request;
      const deliveryKey = deliveryKeyOf(
        request.caller || request.ip,
        request.headers[IDEMPOTENCY_HEADER],
        body.paymentPayload,
      );
      const outcome = await engine.settle(body, deliveryKey);
      app.metrics.settleResult(
        networkLabel(body.paymentRequirements.network),
        outcome.result,
        (performance.now() - started) / 1000,
      );
      const found = {
        caller: request.caller || request.ip,
        network: body.paymentRequirements.network,
        result: outcome.result,
        transaction: outcome.response.transaction || undefined,
      };
      note(request, found);
      // No "request completed" line comes for an answer nobody reads: say what it was.
      if (request.raw.socket?.destroyed) {
        request.log.info(found, 'settle answered after the caller hung up');
      }
      return outcome.response;
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', security: security(apiKeys) } },
    async (_request, reply) => reply.type(app.metrics.contentType).send(await app.metrics.render()),
  );
};
