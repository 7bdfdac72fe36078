// The ledger's cost in settlement: N distinct payments settled at once against a devnet with
// 1 s blocks, by one facilitator process on SQLite, one on PostgreSQL, and three replicas on
// one PostgreSQL taking the payments in turn (a round-robin load balancer). The PostgreSQL
// server is a throwaway cluster (initdb/pg_ctl), as in the tests.

import { randomUUID } from 'node:crypto';
import { defaultDevAccounts } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import {
  type PostgresCluster,
  postgresAvailable,
  startPostgres,
} from '../test/support/postgres.js';
import { requirementsOf, signedPayments } from './payments.js';
import {
  cpuMsOf,
  type DevnetProcess,
  type FacilitatorProcess,
  startFacilitatorProcess,
  writeFacilitatorConfig,
} from './processes.js';

export interface LedgerRun {
  setup: string;
  payments: number;
  succeeded: number;
  perSecond: number;
  /** Facilitator CPU per settlement, summed over the replicas. */
  cpuMsPerSettlement: number;
}

async function run(
  devnet: DevnetProcess,
  dir: string,
  setup: string,
  database: string,
  replicas: number,
  payments: number,
): Promise<LedgerRun> {
  const [feePayer, merchant, ...payers] = defaultDevAccounts();
  const requirements = requirementsOf(
    devnet.network,
    devnet.token,
    addressOfPublicKey(merchant!.publicKey),
    '1',
  );
  const processes: FacilitatorProcess[] = [];
  try {
    for (let i = 0; i < replicas; i++) {
      const name = `ledger-${setup.replace(/\W+/g, '-')}-${i}`;
      processes.push(
        await startFacilitatorProcess(
          writeFacilitatorConfig(
            {
              dir,
              rpcUrl: devnet.rpcUrl,
              network: devnet.network,
              token: devnet.token,
              feePayer: feePayer!.secretKey,
              blockIntervalMs: devnet.blockTimeMs,
              settings: {
                database,
                pollIntervalMs: 100,
                settleTimeoutMs: 60_000,
                logLevel: 'warn',
              },
            },
            name,
          ),
        ),
      );
    }
    const settle = (i: number, body: unknown) =>
      fetch(`${processes[i % replicas]!.url}/settle`, {
        method: 'POST',
        // One Idempotency-Key per payment, as the paywall sends.
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ success?: boolean }>);
    // Warm-up, not measured.
    await Promise.all(
      signedPayments(requirements, payers[0]!.secretKey, 2 * replicas).map((p, i) => settle(i, p)),
    );
    const batch = payers.flatMap((payer, i) =>
      signedPayments(requirements, payer.secretKey, Math.ceil((payments - i) / payers.length)),
    );
    const cpuBefore = await Promise.all(processes.map((p) => cpuMsOf(p.pid)));
    const started = performance.now();
    const answers = await Promise.all(batch.map((payment, i) => settle(i, payment)));
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await Promise.all(processes.map((p) => cpuMsOf(p.pid)));
    const cpu = cpuAfter.reduce((sum, after, i) => sum + after - cpuBefore[i]!, 0);
    const succeeded = answers.filter((a) => a.success === true).length;
    return {
      setup,
      payments: batch.length,
      succeeded,
      perSecond: succeeded / seconds,
      cpuMsPerSettlement: Math.round((cpu / batch.length) * 10) / 10,
    };
  } finally {
    for (const process of processes) await process.stop();
  }
}

/** One row per setup; the PostgreSQL rows are left out where no server can be started. */
export async function ledgerBench(
  devnet: DevnetProcess,
  dir: string,
  payments: number,
): Promise<LedgerRun[]> {
  const rows = [await run(devnet, dir, 'SQLite, 1 process', './ledger-sqlite.sqlite', 1, payments)];
  if (!postgresAvailable) return rows;
  let cluster: PostgresCluster | undefined;
  try {
    cluster = await startPostgres();
    rows.push(
      await run(devnet, dir, 'PostgreSQL, 1 process', await cluster.database(), 1, payments),
    );
    rows.push(
      await run(devnet, dir, 'PostgreSQL, 3 replicas', await cluster.database(), 3, payments),
    );
  } finally {
    await cluster?.stop();
  }
  return rows;
}
