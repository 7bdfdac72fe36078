// The kill rounds again, with three facilitator processes on one PostgreSQL ledger (a throwaway
// cluster) behind a "load balancer" that sends each settle to a random replica, and some
// payments to two replicas at once. Each round one replica is killed with SIGKILL at a random
// point and restarted; the others take over its settlements once its leases expire. Afterwards
// every authorization is settled exactly once, every success /settle reported is a transfer on
// chain, and the ledger agrees with the chain.

import type { Devnet } from '@x402-casper/devnet';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PaymentRequest, requirementsOf, signedPayments } from '../../bench/payments.js';
import type { FacilitatorProcess } from '../../bench/processes.js';
import { RpcProxy } from '../../bench/rpc-proxy.js';
import { type PostgresCluster, postgresAvailable, startPostgres } from '../support/postgres.js';
import { audit, chainSettlements } from './audit.js';
import { emptyFigures, recordFigures } from './figures.js';
import { Random, SEED } from './mutate.js';
import { PROFILE } from './profile.js';
import { authorizationOf, SettleTracker } from './settling.js';
import {
  facilitatorProcess,
  fundedPayers,
  inParallel,
  type LedgerRow,
  MERCHANT_ADDRESS,
  removeTempDirs,
  startChain,
  tempDir,
  waitFor,
} from './stack.js';

const REPLICAS = 3;
const figures = emptyFigures();
const random = new Random(SEED + 41);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const running: FacilitatorProcess[] = [];
let devnet: Devnet | undefined;
let proxy: RpcProxy | undefined;
let cluster: PostgresCluster | undefined;

/** The shared ledger's rows, read as another process would. */
async function ledgerRows(url: string): Promise<LedgerRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT id, payer, nonce, state, transaction_hash, error_reason, retryable FROM settlements',
    );
    return rows.map((row) => ({ ...row, id: Number(row.id) })) as LedgerRow[];
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  figures.details.seed = SEED;
  figures.details.replicas = REPLICAS;
  recordFigures('replicas', figures);
  for (const process of running) await process.kill();
  await proxy?.close();
  await devnet?.close();
  await cluster?.stop();
  removeTempDirs();
});

describe.skipIf(!postgresAvailable)(
  `SIGKILL while settling, ${REPLICAS} replicas on PostgreSQL`,
  () => {
    let url: string;
    let stacks: ReturnType<typeof facilitatorProcess>[];
    let payments: () => PaymentRequest;

    beforeAll(async () => {
      cluster = await startPostgres();
      url = await cluster.database();
      devnet = await startChain(250);
      proxy = new RpcProxy(devnet.rpcUrl);
      await proxy.start();
      proxy.rule = ({ method }) =>
        method === 'account_put_transaction' || method === 'info_get_transaction'
          ? { kind: 'slow', ms: random.int(120) }
          : undefined;
      const dir = tempDir('replicas');
      stacks = Array.from({ length: REPLICAS }, (_, i) =>
        facilitatorProcess({
          dir,
          devnet: devnet!,
          rpcUrl: proxy!.url,
          name: `replica-${i}`,
          settings: {
            database: url,
            pollIntervalMs: 50,
            settleTimeoutMs: 3000,
            leaseMs: 1500,
            rpcTimeoutMs: 1000,
          },
        }),
      );
      const requirements = requirementsOf(devnet.network, devnet.tokens[0]!, MERCHANT_ADDRESS, '3');
      const payers = await fundedPayers(devnet, 4);
      payments = () => signedPayments(requirements, random.pick(payers), 1)[0]!;
    });

    it('settles every authorization exactly once across kills, restarts and takeovers', async () => {
      const all: PaymentRequest[] = [];
      const tracker = new SettleTracker(figures);
      const settle = (facilitator: FacilitatorProcess, request: PaymentRequest) =>
        tracker.settle(facilitator.url, request);

      const replicas: FacilitatorProcess[] = [];
      for (const stack of stacks) {
        const started = await stack.start();
        running.push(started);
        replicas.push(started);
      }
      for (let round = 0; round < PROFILE.killRounds; round++) {
        all.push(...Array.from({ length: PROFILE.paymentsPerKillRound }, payments));
        const open = all.filter((r) => !tracker.isDone(r));
        const current = [...replicas];
        const traffic = Promise.all(
          open.flatMap((request) =>
            random.chance(0.3)
              ? [settle(random.pick(current), request), settle(random.pick(current), request)]
              : [settle(random.pick(current), request)],
          ),
        );
        await sleep(random.int(1200));
        const victim = random.int(REPLICAS - 1);
        await current[victim]!.kill();
        figures.faults++;
        await traffic;
        const restarted = await stacks[victim]!.start();
        running.push(restarted);
        replicas[victim] = restarted;
      }

      // A resource server keeps asking, any replica, until each payment has its final answer.
      await inParallel(all, 8, async (request) => {
        for (let attempt = 0; attempt < 60 && !tracker.isDone(request); attempt++) {
          await settle(random.pick(replicas), request);
          if (!tracker.isDone(request)) await sleep(100);
        }
      });
      const rows = await waitFor(
        () => ledgerRows(url),
        (r) => r.every((row) => row.state === 'confirmed' || row.state === 'failed'),
        20_000,
      );
      const result = audit(
        all.map(authorizationOf),
        await chainSettlements(devnet!.rpcUrl),
        rows,
        tracker.reported,
      );
      figures.settlementsChecked += result.checked;
      figures.duplicates += result.duplicates;
      figures.details.kills = PROFILE.killRounds;
      figures.details.answers = Object.fromEntries(tracker.answers);
      expect(result.problems).toEqual([]);
      expect(result.doubleSpends).toBe(0);
      expect(result.duplicates).toBe(0);
      expect(result.unsettled).toBe(0);
    });
  },
);
