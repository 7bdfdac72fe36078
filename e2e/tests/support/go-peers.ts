import type { TestAccount, TestDevnet } from '@x402-casper/e2e';
import { secretKeyFromPem } from '@x402-casper/shared';
import { startGoExampleServer, startGoFacilitator } from '@x402-casper/testing';

/**
 * The Go reference's example resource server and the Go facilitator, as emulated from their
 * code (server/testing/src/peers), on the devnet in its token; the server's facilitator key is sent
 * CSPR.cloud style (`Authorization: <key>`).
 */
export interface GoPeers {
  /** The example server's base URL (its paid API is GET /weather?city=…). */
  exampleServer: string;
  merchant: TestAccount;
  close(): Promise<void>;
}

const ACCESS_TOKEN = 'e2e-cspr-cloud-style-access-token';

export async function startGoPeers(devnet: TestDevnet): Promise<GoPeers> {
  const feePayer = await devnet.newAccount({ cspr: '1000' });
  const merchant = await devnet.newAccount();
  const facilitator = await startGoFacilitator({
    network: devnet.network,
    rpcUrl: devnet.rpcUrl,
    feePayer: secretKeyFromPem(feePayer.pem),
    accessTokens: [ACCESS_TOKEN],
    pollIntervalMs: 250,
  });
  const server = await startGoExampleServer({
    facilitatorUrl: facilitator.url,
    facilitatorApiKey: ACCESS_TOKEN,
    payTo: merchant.address,
    network: devnet.network,
    assetPackage: devnet.token.packageHash,
  });
  return {
    exampleServer: server.url,
    merchant,
    async close() {
      await server.close();
      await facilitator.close();
    },
  };
}
