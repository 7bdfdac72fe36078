// /verify against a facilitator process on loopback, chain checks against a devnet process:
// rate and latency at several concurrencies, with reads made against one block (`per-block`,
// what a facilitator does: the newest block read once per block) and with the newest block
// read at every request (`every-read`, blockIntervalMs 0), plus the RPC calls one /verify
// makes in each case.
import { join } from 'node:path';
import { defaultDevAccounts } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import { httpLoad, type LoadResult } from './measure.js';
import { requirementsOf, signedPayments } from './payments.js';
import {
  cpuMsOf,
  type DevnetProcess,
  startFacilitatorProcess,
  writeFacilitatorConfig,
} from './processes.js';
import { RpcProxy } from './rpc-proxy.js';

export type ReadMode = 'per-block' | 'every-read';

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

/** How long each facilitator answers /verify before its rows are measured. */
const WARM_UP_SECONDS = 3;

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
  for (const reads of ['per-block', 'every-read'] as ReadMode[]) {
    const config = { ...setup, blockIntervalMs: reads === 'per-block' ? devnet.blockTimeMs : 0 };
    // Count the RPC calls of a few hundred verifies through a counting proxy.
    const proxy = new RpcProxy(devnet.rpcUrl);
    await proxy.start();
    const counted = await startFacilitatorProcess(
      writeFacilitatorConfig({ ...config, rpcUrl: proxy.url }, `verify-count-${reads}`),
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
      writeFacilitatorConfig({ ...config, rpcUrl: devnet.rpcUrl }, `verify-${reads}`),
      { logFile: join(dir, `verify-${reads}.log`) },
    );
    // A facilitator serves for days: the rows measure it warm, not V8 compiling the paths in a
    // fresh process's first seconds.
    await httpLoad({
      url: `${facilitator.url}/verify`,
      bodies,
      concurrency: 16,
      seconds: WARM_UP_SECONDS,
      warmupSeconds: 0,
      accept: acceptValid,
    });
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
