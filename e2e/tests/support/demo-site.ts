import type { TestAccount, TestDevnet, TestFacilitator } from '@x402-casper/e2e';
import { createDemoApp } from 'x402-casper';

/** The product's demo site (paid weather API, paid article, playground), paying a fresh merchant. */
export interface DemoSite {
  url: string;
  merchant: TestAccount;
  stop(): Promise<void>;
}

export async function startDemoSite(
  devnet: TestDevnet,
  facilitator: TestFacilitator,
): Promise<DemoSite> {
  const merchant = await devnet.newAccount();
  const { token } = devnet;
  const app = await createDemoApp({
    host: '127.0.0.1',
    port: 0,
    facilitatorUrl: facilitator.url,
    facilitatorApiKey: facilitator.apiKey,
    network: devnet.network,
    payTo: merchant.address,
    asset: {
      packageHash: token.packageHash,
      name: token.name,
      version: '1',
      decimals: token.decimals,
      symbol: token.symbol,
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    merchant,
    async stop() {
      // The browser may still hold keep-alive connections (Fastify waits 72 s for them).
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
