import { x402Paywall } from '@x402-casper/fastify';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { type DemoConfig, demoAssetOf } from './config.js';
import { articlePage, homePage, playgroundPage } from './pages.js';
import { forecast } from './weather.js';

export const DEMO_PRICES = { weather: '0.01', article: '0.05' };

/** The demo site: a home page, a paid JSON API, a paid article and a playground page. */
export async function createDemoApp(
  config: DemoConfig,
  logger: FastifyServerOptions['logger'] = false,
): Promise<FastifyInstance> {
  const asset = demoAssetOf(config);
  const app = Fastify({ logger });
  await app.register(x402Paywall, {
    facilitator: {
      url: config.facilitatorUrl,
      ...(config.facilitatorApiKey ? { apiKey: config.facilitatorApiKey } : {}),
      ...(config.facilitatorAuthorization
        ? { authorization: config.facilitatorAuthorization }
        : {}),
    },
    network: config.network,
    payTo: config.payTo,
    asset,
  });
  const prices = { ...DEMO_PRICES, symbol: asset.symbol };
  app.get('/', async (_, reply) => reply.type('text/html; charset=utf-8').send(homePage(prices)));
  app.get('/playground', async (_, reply) =>
    reply.type('text/html; charset=utf-8').send(playgroundPage(prices)),
  );
  app.get(
    '/api/weather',
    {
      config: {
        x402: {
          price: DEMO_PRICES.weather,
          description: 'Weather forecast',
          mimeType: 'application/json',
        },
      },
    },
    async (request) =>
      forecast(
        ((request.query as { city?: unknown }).city as string | undefined)?.slice(0, 64) || 'Zug',
      ),
  );
  app.get(
    '/articles/pay-per-article',
    {
      config: {
        x402: {
          price: DEMO_PRICES.article,
          description: 'Article: why pay-per-article finally works',
          mimeType: 'text/html',
        },
      },
    },
    async (_, reply) => reply.type('text/html; charset=utf-8').send(articlePage()),
  );
  app.get('/health', async () => ({ ok: true }));
  return app;
}
