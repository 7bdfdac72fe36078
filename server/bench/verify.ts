// /verify against a facilitator process on loopback, chain checks against a devnet process:
// rate and latency at several concurrencies, with every chain read live and with reads served
// from a short-lived cache (cache-preload.ts, since the facilitator has none of its own yet),
// plus the RPC calls one /verify makes in each case.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addressOfPublicKey } from '@x402-casper/shared';
import { defaultDevAccounts } from '../src/devnet/index.js';
import { httpLoad, type LoadResult } from './measure.js';
import { requirementsOf, signedPayments } from './payments.js';
import {
  cpuMsOf,
  type DevnetProcess,
  repoRoot,
  startFacilitatorProcess,
  writeFacilitatorConfig,
} from './processes.js';
import { RpcProxy } from './rpc-proxy.js';

export type ReadMode = 'live' | 'cached';

export interface VerifyFigures {
  rows: Array<
    LoadResult & {
      reads: ReadMode;
      /** CPU milliseconds per answered /verify, in the facilitator and in the devnet. */
      cpuMsPerVerify: { facilitator: number; devnet: number };
    }
  >;
  /** RPC calls per /verify, by method. */
  rpcCallsPerVerify: Record<ReadMode, Record<string, number>>;
}

const CACHE_PRELOAD = pathToFileURL(join(repoRoot, 'server/bench/cache-preload.ts')).href;

const acceptValid = (text: string) => (JSON.parse(text) as { isValid?: unknown }).isValid === true;

export async function verifyBench(
  devnet: DevnetProcess,
  dir: string,
  concurrencies: number[],
  seconds: number,
): Promise<VerifyFigures> {
  const [feePayer, merchant, alice] = defaultDevAccounts();
  const requirements = requirementsOf(
    devnet.network,
    devnet.token,
    addressOfPublicKey(merchant!.publicKey),
    '1',
  );
  const bodies = signedPayments(requirements, alice!.secretKey, 6000).map((p) => JSON.stringify(p));
  const setup = {
    dir,
    network: devnet.network,
    token: devnet.token,
    feePayer: feePayer!.secretKey,
  };
  const rows: VerifyFigures['rows'] = [];
  const rpcCallsPerVerify = {} as VerifyFigures['rpcCallsPerVerify'];
  for (const reads of ['live', 'cached'] as ReadMode[]) {
    const preload = reads === 'cached' ? [CACHE_PRELOAD] : [];
    // Count the RPC calls of a few hundred verifies through a counting proxy.
    const proxy = new RpcProxy(devnet.rpcUrl);
    await proxy.start();
    const counted = await startFacilitatorProcess(
      writeFacilitatorConfig({ ...setup, rpcUrl: proxy.url }, `verify-count-${reads}`),
      { preload },
    );
    const counting = await httpLoad({
      url: `${counted.url}/verify`,
      bodies,
      concurrency: 4,
      seconds: 1,
      warmupSeconds: 0.3,
      accept: acceptValid,
    });
    await counted.stop();
    await proxy.close();
    rpcCallsPerVerify[reads] = Object.fromEntries(
      [...proxy.calls].map(([method, n]) => [
        method,
        Math.round((n / counting.answered) * 100) / 100,
      ]),
    );

    const facilitator = await startFacilitatorProcess(
      writeFacilitatorConfig({ ...setup, rpcUrl: devnet.rpcUrl }, `verify-${reads}`),
      { preload, logFile: join(dir, `verify-${reads}.log`) },
    );
    for (const concurrency of concurrencies) {
      const cpuBefore = [await cpuMsOf(facilitator.pid), await cpuMsOf(devnet.pid)];
      const result = await httpLoad({
        url: `${facilitator.url}/verify`,
        bodies,
        concurrency,
        seconds,
        accept: acceptValid,
      });
      const cpuAfter = [await cpuMsOf(facilitator.pid), await cpuMsOf(devnet.pid)];
      const perVerify = (i: number) =>
        Math.round(((cpuAfter[i]! - cpuBefore[i]!) / result.answered) * 100) / 100;
      rows.push({
        reads,
        ...result,
        cpuMsPerVerify: { facilitator: perVerify(0), devnet: perVerify(1) },
      });
    }
    await facilitator.stop();
  }
  return { rows, rpcCallsPerVerify };
}
