// The paywall as a Fastify plugin: registered through fastify-plugin, its hooks attached to the
// paid routes only (in any scope), CORS headers and preflight routes for paid paths only.
import {
  createPaymentPayload,
  decodePaymentRequired,
  encodePaymentSignature,
  secretKeyFromHex,
  secretKeySigner,
} from '@x402-casper/shared';
import { startStubFacilitator } from '@x402-casper/testing';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type LightMyRequestResponse,
} from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PaywallOptions, x402Paywall } from '../src/index.js';

const payer = secretKeySigner(secretKeyFromHex('ed25519', '0c'.repeat(32)));
const payTo = '00aecb045411527ca0eeb648bb6c531ea74b317c1f2d0a698b1cc48850ea3872d6';
const asset = {
  packageHash: '5c1a7b2e9d40f3a6c8e1b7d2f0a9c4e3b6d8f1a2c5e7b9d0f3a6c8e1b4d7f2a9',
  name: 'Casper x402 Token',
  version: '1',
  decimals: 6,
  symbol: 'CX402',
};
const paid = { config: { x402: { price: '0.01' } } };
const ALLOW_HEADERS = 'content-type, authorization, payment-signature, x-payment';
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-expose-headers',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
];

let facilitator: Awaited<ReturnType<typeof startStubFacilitator>>;
const apps: FastifyInstance[] = [];

/** A Fastify instance with the paywall registered at its root. */
const optionsOf = (overrides: Partial<PaywallOptions> = {}): PaywallOptions => ({
  facilitator: { url: facilitator.url, apiKey: 'test-key', timeoutMs: 2000 },
  network: 'casper:casper-test',
  payTo,
  asset,
  ...overrides,
});

async function withPaywall(overrides: Partial<PaywallOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify();
  apps.push(app);
  await app.register(x402Paywall, optionsOf(overrides));
  return app;
}

const corsOf = (response: LightMyRequestResponse) =>
  Object.fromEntries(
    CORS_HEADERS.flatMap((name) =>
      name in response.headers ? [[name, response.headers[name]]] : [],
    ),
  );

const preflight = (app: FastifyInstance, url: string) =>
  app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin: 'https://elsewhere.test',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'payment-signature',
    },
  });

/** The PAYMENT-SIGNATURE for what `url` asks, read from its 402. */
async function paymentFor(app: FastifyInstance, url: string, headers: Record<string, string> = {}) {
  const first = await app.inject({ url, headers });
  expect(first.statusCode).toBe(402);
  const required = decodePaymentRequired(first.headers['payment-required'] as string);
  return encodePaymentSignature(await createPaymentPayload(required.accepts[0]!, payer));
}

beforeAll(async () => {
  facilitator = await startStubFacilitator();
});

afterAll(async () => {
  await facilitator.close();
});

beforeEach(() => {
  facilitator.state.mode = 'success';
  facilitator.calls.verify = 0;
  facilitator.calls.settle = 0;
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('the paywall as a plugin', () => {
  it('is registered through fastify-plugin under its name, for Fastify 5', async () => {
    const app = await withPaywall();
    expect(app.hasPlugin('x402-casper-paywall')).toBe(true);
    const meta = (x402Paywall as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')] as {
      name: string;
      fastify: string;
    };
    expect(meta).toMatchObject({ name: 'x402-casper-paywall', fastify: '5.x' });
  });

  it('puts only its config check on an unpaid route, and its payment hooks on each paid one', async () => {
    const free = await withPaywall();
    free.get('/free', async () => ({ free: true }));
    await free.ready();
    const freeRoutes = free.printRoutes({ includeHooks: true, commonPrefix: false });
    expect(freeRoutes).toContain('/free (GET)');
    expect(freeRoutes).toContain('(onRequest) ["paidRouteGuard()"]');
    // Fastify's own HEAD route has its onSend hook; nothing of the paywall's but the check.
    expect(freeRoutes).not.toMatch(/\(preHandler\)/);
    expect(freeRoutes).not.toMatch(/verifyPayment|settlePayment/);

    const charged = await withPaywall();
    charged.get('/paid', paid, async () => ({ paid: true }));
    await charged.ready();
    const paidRoutes = charged.printRoutes({ includeHooks: true, commonPrefix: false });
    expect(paidRoutes).toContain('(preHandler) ["verifyPayment()"]');
    expect(paidRoutes).toContain('(onSend) ["settlePayment()"]');
  });

  it('refuses a priced route declared before the paywall, or without awaiting it, instead of serving it free', async () => {
    const early = Fastify();
    early.get('/early', paid, async () => ({ free: 'never' }));
    await early.register(x402Paywall, optionsOf());
    const before = await early.inject({ url: '/early' });
    expect(before.statusCode).toBe(500);
    expect(before.json().error).toContain('await app.register(x402Paywall');

    const hasty = Fastify();
    void hasty.register(x402Paywall, optionsOf());
    hasty.get('/hasty', paid, async () => ({ free: 'never' }));
    const unawaited = await hasty.inject({ url: '/hasty' });
    expect(unawaited.statusCode).toBe(500);
    expect(unawaited.body).not.toContain('never');
    await Promise.all([early.close(), hasty.close()]);
  });

  it("answers a paid path's preflight and sends CORS headers even where the site's scope asks for a login", async () => {
    const app = await withPaywall();
    await app.register(async (members) => {
      members.addHook('onRequest', async (request, reply) => {
        if (request.headers.authorization !== 'Bearer member') {
          return reply.code(401).send({ error: 'log in' });
        }
      });
      members.get('/members/report', paid, async () => ({ report: true }));
    });
    const preflight = await app.inject({ method: 'OPTIONS', url: '/members/report' });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('GET');
    const refused = await app.inject({ url: '/members/report' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('*');
  });

  it('charges for a route of a child scope registered after it', async () => {
    const app = await withPaywall();
    await app.register(async (child) => {
      child.get('/child/report', paid, async () => ({ report: true }));
      child.get('/child/free', async () => ({ free: true }));
    });
    const header = await paymentFor(app, '/child/report');
    const response = await app.inject({
      url: '/child/report',
      headers: { 'payment-signature': header },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ report: true });
    expect(response.headers['payment-response']).toBeDefined();
    expect(facilitator.calls).toMatchObject({ verify: 1, settle: 1 });
    const free = await app.inject({ url: '/child/free' });
    expect(free.statusCode).toBe(200);
    expect(corsOf(free)).toEqual({});
  });

  it("runs the site's own preHandler of a paid route first, and verifies nothing when it answers", async () => {
    const app = await withPaywall();
    const seen: number[] = [];
    const apiKey = async (request: FastifyRequest, reply: FastifyReply) => {
      // How many verifications had been asked when the site's hook ran.
      seen.push(facilitator.calls.verify);
      if (request.headers['x-api-key'] !== 'site-key') {
        return reply.code(401).send({ error: 'api key required' });
      }
    };
    app.get('/keyed', { ...paid, preHandler: apiKey }, async () => ({ keyed: true }));
    app.get('/keyed-list', { ...paid, preHandler: [apiKey] }, async () => ({ keyed: true }));

    // With the key and no payment: the site's hook ran, then the paywall asked for payment.
    const header = await paymentFor(app, '/keyed', { 'x-api-key': 'site-key' });
    expect(seen).toEqual([0]);
    // Without the key, paid or not, the site answers and the paywall verifies nothing.
    expect((await app.inject({ url: '/keyed' })).statusCode).toBe(401);
    const refused = await app.inject({ url: '/keyed', headers: { 'payment-signature': header } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ error: 'api key required' });
    expect(facilitator.calls).toMatchObject({ verify: 0, settle: 0 });

    seen.length = 0;
    const served = await app.inject({
      url: '/keyed-list',
      headers: { 'payment-signature': header, 'x-api-key': 'site-key' },
    });
    expect(served.statusCode).toBe(200);
    expect(seen).toEqual([0]);
    expect(facilitator.calls).toMatchObject({ verify: 1, settle: 1 });
  });

  it("keeps the site's own route hooks and never adds the paywall's to a hook array it shares", async () => {
    const app = await withPaywall();
    const ran: string[] = [];
    const shared = [
      async (request: FastifyRequest) => {
        ran.push(`onRequest ${request.url}`);
      },
    ];
    const onSend = async (request: FastifyRequest, reply: FastifyReply, body: unknown) => {
      ran.push(`onSend ${request.url} ${reply.statusCode} ${reply.hasHeader('payment-response')}`);
      return body;
    };
    app.get('/paid', { ...paid, onRequest: shared, onSend }, async () => ({ paid: true }));
    app.get('/free', { onRequest: shared, onSend }, async () => ({ free: true }));
    await app.ready();
    expect(shared).toHaveLength(1);

    const free = await app.inject({ url: '/free' });
    expect(free.statusCode).toBe(200);
    expect(free.headers['payment-required']).toBeUndefined();
    expect(corsOf(free)).toEqual({});
    expect(ran).toEqual(['onRequest /free', 'onSend /free 200 false']);

    ran.length = 0;
    const header = await paymentFor(app, '/paid');
    const response = await app.inject({ url: '/paid', headers: { 'payment-signature': header } });
    expect(response.statusCode).toBe(200);
    // The site's onSend runs after settlement, so it sees the receipt.
    expect(ran).toEqual([
      'onRequest /paid',
      'onSend /paid 402 false',
      'onRequest /paid',
      'onSend /paid 200 true',
    ]);
  });

  it("lets the site's route onSend see a failed settlement's 402", async () => {
    const app = await withPaywall();
    const statuses: number[] = [];
    app.get(
      '/paid',
      {
        ...paid,
        onSend: async (_request, reply, body) => {
          statuses.push(reply.statusCode);
          return body;
        },
      },
      async () => ({ paid: true }),
    );
    const header = await paymentFor(app, '/paid');
    facilitator.state.mode = 'failure';
    const response = await app.inject({ url: '/paid', headers: { 'payment-signature': header } });
    expect(response.statusCode).toBe(402);
    expect(statuses).toEqual([402, 402]);
  });
});

describe('CORS on paid routes only', () => {
  it('sends no CORS header on an unpaid route, and both on a paid one, its 402 too', async () => {
    const app = await withPaywall();
    app.get('/free', async () => ({ free: true }));
    app.get('/paid', paid, async () => ({ paid: true }));
    app.route({
      method: ['GET', 'OPTIONS'],
      url: '/free-options',
      handler: async (request) => ({ method: request.method }),
    });
    const free = await app.inject({ url: '/free', headers: { origin: 'https://elsewhere.test' } });
    expect(free.statusCode).toBe(200);
    expect(corsOf(free)).toEqual({});
    // An unpaid route that takes OPTIONS answers it itself, without the paywall's headers.
    const options = await preflight(app, '/free-options');
    expect(options.statusCode).toBe(200);
    expect(options.json()).toEqual({ method: 'OPTIONS' });
    expect(corsOf(options)).toEqual({});
    const required = await app.inject({ url: '/paid' });
    expect(required.statusCode).toBe(402);
    expect(corsOf(required)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
    });
  });

  it('leaves OPTIONS on an unpaid path or an unknown one to Fastify: 404, no CORS header', async () => {
    const app = await withPaywall();
    app.get('/free', async () => ({ free: true }));
    app.get('/paid', paid, async () => ({ paid: true }));
    for (const url of ['/free', '/nowhere', '/paid/more']) {
      const response = await preflight(app, url);
      expect(response.statusCode, url).toBe(404);
      expect(corsOf(response), url).toEqual({});
    }
  });

  it('answers the preflight of a paid path with 204 and the methods paid there', async () => {
    const app = await withPaywall();
    app.get('/paid', paid, async () => ({ paid: true }));
    app.get('/items/:id', paid, async (request) => request.params);
    for (const url of ['/paid', '/items/42']) {
      const response = await preflight(app, url);
      expect(response.statusCode, url).toBe(204);
      expect(response.body).toBe('');
      expect(corsOf(response), url).toEqual({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': ALLOW_HEADERS,
        'access-control-max-age': '600',
      });
    }
    expect((await app.inject({ url: '/items/42' })).statusCode).toBe(402);
  });

  it('answers the preflight of a paid path under a prefix, at the prefixed path only', async () => {
    const app = await withPaywall({ corsOrigin: 'https://shop.test' });
    await app.register(
      async (api) => {
        api.get('/weather', paid, async () => ({ sunny: true }));
        api.get('/', paid, async () => ({ index: true }));
        api.get('/items/:id', paid, async (request) => request.params);
      },
      { prefix: '/v1' },
    );
    for (const url of ['/v1/weather', '/v1', '/v1/', '/v1/items/7']) {
      const response = await preflight(app, url);
      expect(response.statusCode, url).toBe(204);
      expect(response.headers['access-control-allow-origin'], url).toBe('https://shop.test');
      expect(response.headers['access-control-allow-methods'], url).toBe('GET, HEAD, OPTIONS');
    }
    for (const url of ['/weather', '/items/7']) {
      const response = await preflight(app, url);
      expect(response.statusCode, url).toBe(404);
      expect(corsOf(response), url).toEqual({});
    }
    const required = await app.inject({ url: '/v1/weather' });
    expect(required.statusCode).toBe(402);
    expect(required.headers['access-control-allow-origin']).toBe('https://shop.test');
  });

  it('registers one preflight route per path, listing every method paid there', async () => {
    const app = Fastify();
    apps.push(app);
    const optionsRoutes: string[] = [];
    app.addHook('onRoute', (route) => {
      if ([route.method].flat().includes('OPTIONS')) optionsRoutes.push(route.url);
    });
    await app.register(x402Paywall, {
      facilitator: { url: facilitator.url, apiKey: 'test-key' },
      network: 'casper:casper-test',
      payTo,
      asset,
    });
    app.get('/things', paid, async () => ({ things: [] }));
    app.post('/things', paid, async () => ({ added: true }));
    app.route({ method: ['PUT', 'DELETE'], url: '/things', ...paid, handler: async () => 'ok' });
    await app.ready();
    expect(optionsRoutes).toEqual(['/things']);
    const response = await preflight(app, '/things');
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-methods']).toBe(
      'GET, HEAD, POST, PUT, DELETE, OPTIONS',
    );
    expect((await app.inject({ method: 'POST', url: '/things' })).statusCode).toBe(402);
  });

  it("leaves the site's own OPTIONS route, registered first, as the site wrote it", async () => {
    const app = await withPaywall();
    app.options('/paid', async (_request, reply) => reply.code(200).send('site options'));
    app.get('/paid', paid, async () => ({ paid: true }));
    // Registered after the paid route, it would be a second OPTIONS route for the path.
    app.get('/late', paid, async () => ({ late: true }));
    expect(() => app.options('/late', async () => 'late')).toThrow(/already declared/);
    const response = await preflight(app, '/paid');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('site options');
    expect(corsOf(response)).toEqual({});
    expect((await app.inject({ url: '/paid' })).statusCode).toBe(402);
  });

  it('with corsOrigin: false sends no CORS header and adds no preflight route', async () => {
    const app = await withPaywall({ corsOrigin: false });
    app.get('/paid', paid, async () => ({ paid: true }));
    const required = await app.inject({ url: '/paid' });
    expect(required.statusCode).toBe(402);
    expect(corsOf(required)).toEqual({});
    const response = await preflight(app, '/paid');
    expect(response.statusCode).toBe(404);
    expect(corsOf(response)).toEqual({});
  });
});

// Type checks only (tsc runs over test/): the options keep their type through fastify-plugin.
export function typeChecks(app: FastifyInstance, options: PaywallOptions): void {
  app.register(x402Paywall, options);
  // @ts-expect-error the network is a string
  app.register(x402Paywall, { ...options, network: 1 });
  // @ts-expect-error corsOrigin is a string or false
  app.register(x402Paywall, { ...options, corsOrigin: true });
}
