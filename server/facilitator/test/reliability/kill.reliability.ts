// The facilitator killed with SIGKILL at random points of settling, then restarted, round after
// round, while payments (some sent twice at once) keep arriving and resource servers retry.
// Afterwards every authorization is settled exactly once, every success /settle reported is a
// transfer on chain, and the ledger agrees with the chain. Then one race, made deterministic:
// a transaction still on its way to the node when the facilitator dies.

import type { Devnet } from '@x402-casper/devnet';
import { rpcResult } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PaymentRequest, requirementsOf, signedPayments } from '../../bench/payments.js';
import type { FacilitatorProcess } from '../../bench/processes.js';
import { RpcProxy } from '../../bench/rpc-proxy.js';
import { audit, chainSettlements, settleOutcome, successKey } from './audit.js';
import { emptyFigures, recordFigures } from './figures.js';
import { Random, SEED } from './mutate.js';
import { PROFILE } from './profile.js';
import { authorizationOf, SettleTracker, settleThroughKills } from './settling.js';
import {
  facilitatorProcess,
  fundedPayers,
  ledgerRows,
  MERCHANT_ADDRESS,
  post,
  removeTempDirs,
  startChain,
  tempDir,
  waitFor,
} from './stack.js';

const figures = emptyFigures();
const random = new Random(SEED + 23);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const running: FacilitatorProcess[] = [];
const chains: Devnet[] = [];
const proxies: RpcProxy[] = [];

afterAll(async () => {
  figures.details.seed = SEED;
  recordFigures('kill', figures);
  for (const process of running) await process.kill();
  for (const proxy of proxies) await proxy.close();
  for (const chain of chains) await chain.close();
  removeTempDirs();
});

describe('SIGKILL while settling', () => {
  let devnet: Devnet;
  let proxy: RpcProxy;
  let stack: ReturnType<typeof facilitatorProcess>;
  let payments: () => PaymentRequest;

  beforeAll(async () => {
    devnet = await startChain(250);
    chains.push(devnet);
    // Answers from the node come 0–120 ms late, so kills land between every two steps.
    proxy = new RpcProxy(devnet.rpcUrl);
    proxies.push(proxy);
    await proxy.start();
    proxy.rule = ({ method }) =>
      method === 'account_put_transaction' || method === 'info_get_transaction'
        ? { kind: 'slow', ms: random.int(120) }
        : undefined;
    stack = facilitatorProcess({
      dir: tempDir('kill'),
      devnet,
      rpcUrl: proxy.url,
      settings: { pollIntervalMs: 50, settleTimeoutMs: 3000 },
    });
    const requirements = requirementsOf(devnet.network, devnet.tokens[0]!, MERCHANT_ADDRESS, '3');
    const payers = await fundedPayers(devnet, 4);
    payments = () => signedPayments(requirements, random.pick(payers), 1)[0]!;
  });

  it('settles every authorization exactly once across kills and restarts', async () => {
    const tracker = new SettleTracker(figures);
    const { all, killPoints, rows } = await settleThroughKills({
      stack,
      tracker,
      random,
      payments,
      figures,
      running,
    });
    const result = audit(
      all.map(authorizationOf),
      await chainSettlements(devnet.rpcUrl),
      rows,
      tracker.reported,
    );
    figures.settlementsChecked += result.checked;
    figures.duplicates += result.duplicates;
    figures.details.kills = PROFILE.killRounds;
    figures.details.rowStatesAtKills = Object.fromEntries(killPoints);
    figures.details.answers = Object.fromEntries(tracker.answers);
    expect(result.problems).toEqual([]);
    expect(result.doubleSpends).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.unsettled).toBe(0);
  });
});

describe('a transaction still on its way to the node when the facilitator dies', () => {
  // Deterministic: blocks only on demand, the proxy holds the submission until told. The
  // restarted facilitator looks the transaction up, the node has never seen it; then the old
  // submission arrives and executes, and only then does the resource server retry.
  let devnet: Devnet;
  let database: string;
  let request: PaymentRequest;
  let answer: Record<string, unknown> | undefined;

  it('reaches the race: the first transaction executes after the restart looked for it', async () => {
    devnet = await startChain(0);
    chains.push(devnet);
    const proxy = new RpcProxy(devnet.rpcUrl);
    proxies.push(proxy);
    await proxy.start();
    const stack = facilitatorProcess({
      dir: tempDir('late-delivery'),
      devnet,
      rpcUrl: proxy.url,
      settings: { pollIntervalMs: 50, settleTimeoutMs: 5000, logLevel: 'info' },
    });
    database = stack.database;
    const [payer] = await fundedPayers(devnet, 1);
    request = signedPayments(
      requirementsOf(devnet.network, devnet.tokens[0]!, MERCHANT_ADDRESS, '3'),
      payer!,
      1,
    )[0]!;

    proxy.rule = ({ method }) =>
      method === 'account_put_transaction' ? { kind: 'hold' } : undefined;
    const before = await stack.start();
    running.push(before);
    const lost = post(`${before.url}/settle`, request).catch(() => undefined);
    await waitFor(
      () => proxy.holding,
      (n) => n === 1,
      10_000,
      20,
    );
    expect(proxy.holding).toBe(1);
    await before.kill();
    figures.faults++;
    await lost;
    const [held] = ledgerRows(database);
    expect(held).toMatchObject({ state: 'reserved' });

    proxy.resetCounts();
    const after = await stack.start();
    running.push(after);
    await waitFor(
      () => proxy.calls.get('info_get_transaction') ?? 0,
      (n) => n > 0,
      10_000,
      20,
    );
    await sleep(300);
    proxy.rule = () => undefined;
    expect(proxy.release()).toBe(1);
    const executed = await waitFor(
      async () => {
        await rpcResult(devnet.rpcUrl, 'devnet_mine');
        const info = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
          transaction_hash: { Version1: held!.transaction_hash },
        }).catch(() => undefined);
        return info?.execution_info ?? null;
      },
      (info) => info !== null,
      10_000,
    );
    expect(executed).toMatchObject({ execution_result: { Version2: { error_message: null } } });

    // The resource server retries the payment; blocks keep coming.
    figures.cases++;
    const retry = post(`${after.url}/settle`, request).then((a) => {
      answer = a.json;
    });
    for (let i = 0; i < 50 && answer === undefined; i++) {
      await rpcResult(devnet.rpcUrl, 'devnet_mine');
      await sleep(100);
    }
    await retry;
    expect(answer).toBeDefined();
  });

  // Found by this suite: the facilitator used to release the authorization after the restart
  // (the node had not seen its transaction yet) and never learn that the same transaction
  // executed later, keeping a failure in the ledger and telling the retry the nonce was used,
  // for a payment that went through.
  it('still records the payment as settled, once, and tells the retry so', async () => {
    const rows = await waitFor(
      () => ledgerRows(database),
      (all) => all.every((row) => row.state === 'confirmed' || row.state === 'failed'),
      5000,
    );
    const chain = await chainSettlements(devnet.rpcUrl);
    const authorization = authorizationOf(request);
    const reported = new Map<string, Set<string>>();
    const outcome = settleOutcome(answer);
    if (outcome === 'settled' || outcome === 'settled-earlier') {
      reported.set(
        successKey(authorization.payer, authorization.nonce),
        new Set([String(answer?.transaction)]),
      );
    }
    const result = audit([authorization], chain, rows, reported);
    figures.settlementsChecked += result.checked;
    figures.duplicates += result.duplicates;
    figures.details.lateDelivery = {
      transactions: chain.map((e) => e.error ?? 'transferred'),
      ledger: rows.map((r) => `${r.state} ${r.error_reason ?? ''}`.trim()),
      answer: answer?.success ? 'success' : answer?.errorReason,
    };
    expect(result.problems).toEqual([]);
    expect(result.duplicates).toBe(0);
    expect(['settled', 'settled-earlier']).toContain(outcome);
  });
});
