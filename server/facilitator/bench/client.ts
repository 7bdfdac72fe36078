// The client side: the headless client (`fetchWithPayment` from shared) paying a paid site's
// weather API, whose paywall uses a facilitator process against the devnet. Measured: the time
// from the 402 arriving to the paid retry leaving (decode, choose, sign, encode), and the whole
// paid request (402 round trip, verify, settle with its block, response).

import {
  decimalsFromChain,
  type FetchLike,
  fetchWithPayment,
  generateSecretKey,
  type KeyAlgorithm,
  paymentReceiptOf,
  secretKeySigner,
} from '@x402-casper/shared';
import { rpcResult } from '@x402-casper/testing';
import { startPaidSite } from '../test/support/paid-site.js';
import { type Latency, latencyOf } from './measure.js';
import type { DevnetProcess } from './processes.js';

export interface ClientRun {
  algorithm: KeyAlgorithm;
  payments: number;
  paid: number;
  /** 402 received → paid retry sent, in the client. */
  retryMs: Latency;
  /** First request sent → paid response received. */
  totalMs: Latency;
}

export async function clientBench(
  devnet: DevnetProcess,
  facilitatorUrl: string,
  payTo: string,
  payments: number,
  concurrency: number,
): Promise<ClientRun[]> {
  const decimalsOf = decimalsFromChain(devnet.rpcUrl);
  const { app, url: site } = await startPaidSite({
    facilitatorUrl,
    network: devnet.network,
    payTo,
    asset: { ...devnet.token, version: '1' },
  });
  const runs: ClientRun[] = [];
  try {
    for (const algorithm of ['ed25519', 'secp256k1'] as KeyAlgorithm[]) {
      const key = generateSecretKey(algorithm);
      await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: key.publicKey.hex,
        token: { package_hash: devnet.token.packageHash, amount: '1000000000' },
      });
      const retryMs: number[] = [];
      const totalMs: number[] = [];
      let paid = 0;
      const pay = async () => {
        let arrived = 0;
        const timed: FetchLike = async (input, init) => {
          if (arrived > 0) retryMs.push(performance.now() - arrived);
          const response = await fetch(input, init);
          if (response.status === 402) arrived = performance.now();
          return response;
        };
        const paying = fetchWithPayment(timed, secretKeySigner(key), {
          maxAmount: '0.05',
          decimalsOf,
        });
        const started = performance.now();
        const response = await paying(`${site}/api/weather?city=Zug`);
        await response.arrayBuffer();
        totalMs.push(performance.now() - started);
        if (response.status === 200 && paymentReceiptOf(response)?.success) paid++;
      };
      let left = payments;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (left-- > 0) await pay();
        }),
      );
      runs.push({
        algorithm,
        payments,
        paid,
        retryMs: latencyOf(retryMs),
        totalMs: latencyOf(totalMs),
      });
    }
  } finally {
    await app.close();
  }
  return runs;
}
