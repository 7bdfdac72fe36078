// A site with one paid JSON API (`GET /api/weather`, 0.01 of the token) behind the Fastify
// paywall, for the reliability suite and the client benchmark: the site side of a payment, as
// a merchant's server runs it.
import type { PaywallAsset } from '@x402-casper/fastify';
import { x402Paywall } from '@x402-casper/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

export interface PaidSiteOptions {
  facilitatorUrl: string;
  network: string;
  payTo: string;
  asset: PaywallAsset;
}

export async function startPaidSite(
  options: PaidSiteOptions,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  await app.register(x402Paywall, {
    facilitator: { url: options.facilitatorUrl },
    network: options.network,
    payTo: options.payTo,
    asset: options.asset,
  });
  app.get(
    '/api/weather',
    {
      config: {
        x402: { price: '0.01', description: 'Weather forecast', mimeType: 'application/json' },
      },
    },
    async (request) => {
      const city = (request.query as { city?: unknown }).city;
      return { city: typeof city === 'string' ? city.slice(0, 64) : 'Zug', forecast: 'sunny' };
    },
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}
