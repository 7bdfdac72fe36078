// The facilitator killed with SIGKILL at random points of settling, then restarted, round after
// round, while payments (some sent twice at once) keep arriving and resource servers retry.
// Afterwards every authorization is settled exactly once, every success /settle reported is a
// transfer on chain, and the ledger agrees with the chain. Then one race, made deterministic:
// a transaction still on its way to the node when the facilitator dies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PaymentRequest,
  requirementsOf,
  rpcCall,
  signedPayments,
} from '../../bench/payments.js';
import type { FacilitatorProcess } from '../../bench/processes.js';
import { RpcProxy } from '../../bench/rpc-proxy.js';
import type { Devnet } from '../../src/devnet/index.js';
import { type Authorization, audit, chainSettlements, successKey } from './audit.js';
import { emptyFigures, recordFigures } from './figures.js';
import { Random, SEED } from './mutate.js';
import { PROFILE } from './profile.js';
import {
  facilitatorProcess,
  fundedPayers,
  inParallel,
  type LedgerRow,
  ledgerRows,
  MERCHANT_ADDRESS,
  post,
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

const authorizationOf = (request: PaymentRequest): Authorization => {
  const { from, nonce } = (
    request.paymentPayload.payload as { authorization: { from: string; nonce: string } }
  ).authorization;
  return { payer: from.toLowerCase(), nonce: nonce.toLowerCase() };
};

afterAll(async () => {
  figures.details.seed = SEED;
  recordFigures('kill', figures);
  for (const process of running) await process.kill();
  for (const proxy of proxies) await proxy.close();
  for (const chain of chains) await chain.close();
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
    const all: PaymentRequest[] = [];
    const done = new Set<string>();
    const reported = new Map<string, Set<string>>();
    const killPoints = new Map<string, number>();
    const answers = new Map<string, number>();
    const settle = async (facilitator: FacilitatorProcess, request: PaymentRequest) => {
      figures.cases++;
      let answer: Awaited<ReturnType<typeof post>>;
      try {
        answer = await post(`${facilitator.url}/settle`, request);
      } catch {
        answers.set('connection lost', (answers.get('connection lost') ?? 0) + 1);
        return;
      }
      expect(answer.status, answer.text).toBe(200);
      const body = answer.json!;
      const label = body.success ? 'success' : String(body.errorReason);
      answers.set(label, (answers.get(label) ?? 0) + 1);
      if (body.success) {
        const key = successKey(authorizationOf(request).payer, authorizationOf(request).nonce);
        reported.set(key, new Set([...(reported.get(key) ?? []), String(body.transaction)]));
        done.add(key);
        return;
      }
      // A kill is never the payer's fault: only "not yet" answers are acceptable.
      expect(['settlement_pending', 'unexpected_settle_error'], JSON.stringify(body)).toContain(
        label,
      );
    };

    let facilitator = await stack.start();
    running.push(facilitator);
    for (let round = 0; round < PROFILE.killRounds; round++) {
      all.push(...Array.from({ length: PROFILE.paymentsPerKillRound }, payments));
      const open = all.filter((r) => {
        const a = authorizationOf(r);
        return !done.has(successKey(a.payer, a.nonce));
      });
      const current = facilitator;
      const traffic = Promise.all(
        open.flatMap((request) =>
          random.chance(0.2)
            ? [settle(current, request), settle(current, request)]
            : [settle(current, request)],
        ),
      );
      await sleep(random.int(1200));
      await current.kill();
      figures.faults++;
      await traffic;
      for (const row of ledgerRows(stack.database)) {
        killPoints.set(row.state, (killPoints.get(row.state) ?? 0) + 1);
      }
      facilitator = await stack.start();
      running.push(facilitator);
    }

    // A resource server keeps asking until each payment has its final answer.
    const last = facilitator;
    await inParallel(all, 8, async (request) => {
      const a = authorizationOf(request);
      for (let attempt = 0; attempt < 40 && !done.has(successKey(a.payer, a.nonce)); attempt++) {
        await settle(last, request);
        if (!done.has(successKey(a.payer, a.nonce))) await sleep(100);
      }
    });
    const rows = await waitFor(
      () => ledgerRows(stack.database),
      (r) => r.every((row) => row.state === 'confirmed' || row.state === 'failed'),
      20_000,
    );
    const result = audit(
      all.map(authorizationOf),
      await chainSettlements(devnet.rpcUrl),
      rows,
      reported,
    );
    figures.settlementsChecked += result.checked;
    figures.duplicates += result.duplicates;
    figures.details.kills = PROFILE.killRounds;
    figures.details.rowStatesAtKills = Object.fromEntries(killPoints);
    figures.details.answers = Object.fromEntries(answers);
    expect(result.problems).toEqual([]);
    expect(result.doubleSpends).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.unsettled).toBe(0);
  });
});

describe('a transaction still on its way to the node when the facilitator dies', () => {
  // Deterministic: blocks only on demand, the proxy holds the submission until told.
  let devnet: Devnet;
  let proxy: RpcProxy;
  let stack: ReturnType<typeof facilitatorProcess>;
  let request: PaymentRequest;
  let first: LedgerRow;
  let second: LedgerRow;
  let answer: Record<string, unknown> | undefined;

  beforeAll(async () => {
    devnet = await startChain(0);
    chains.push(devnet);
    proxy = new RpcProxy(devnet.rpcUrl);
    proxies.push(proxy);
    await proxy.start();
    stack = facilitatorProcess({
      dir: tempDir('late-delivery'),
      devnet,
      rpcUrl: proxy.url,
      settings: { pollIntervalMs: 50, settleTimeoutMs: 5000 },
    });
    const [payer] = await fundedPayers(devnet, 1);
    request = signedPayments(
      requirementsOf(devnet.network, devnet.tokens[0]!, MERCHANT_ADDRESS, '3'),
      payer!,
      1,
    )[0]!;
  });

  it('reaches the race: the first transaction arrives after a second one was built', async () => {
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

    // Restarted, the facilitator finds the node has never seen the transaction and releases
    // the authorization for a retry; only then does the old submission reach the node.
    const after = await stack.start();
    running.push(after);
    first = (
      await waitFor(
        () => ledgerRows(stack.database),
        (rows) => rows[0]?.state === 'failed',
        10_000,
      )
    )[0]!;
    expect(first).toMatchObject({ state: 'failed', retryable: 1 });
    proxy.rule = () => undefined;
    expect(proxy.release()).toBe(1);
    await waitFor(
      () =>
        rpcCall(devnet.rpcUrl, 'info_get_transaction', {
          transaction_hash: { Version1: first.transaction_hash },
        }).then(
          () => true,
          () => false,
        ),
      Boolean,
      10_000,
    );

    // The resource server retries the payment; both transactions are now at the node.
    figures.cases++;
    const retry = post(`${after.url}/settle`, request);
    second = (
      await waitFor(
        () => ledgerRows(stack.database),
        (rows) => rows[0]?.state === 'submitted',
        10_000,
      )
    )[0]!;
    expect(second.state).toBe('submitted');
    await rpcCall(devnet.rpcUrl, 'devnet_mine');
    answer = (await retry).json;
    expect(answer).toBeDefined();
  });

  // KNOWN BUG (reported in the reliability notes): on retry the facilitator builds a second
  // transaction for an authorization whose first transaction may still arrive. Then either the
  // first transfers and the ledger records the second's revert (a paid payment answered as
  // failed), or the second transfers and the first reverts (gas paid twice). When the retry
  // reuses the stored transaction until its TTL has passed, this passes: drop `.fails`.
  it.fails('still settles the authorization once, with one transaction, and says so', async () => {
    const rows = ledgerRows(stack.database);
    const chain = await chainSettlements(devnet.rpcUrl);
    const { payer, nonce } = authorizationOf(request);
    const reported = new Map<string, Set<string>>();
    if (answer?.success)
      reported.set(successKey(payer, nonce), new Set([String(answer.transaction)]));
    const result = audit([{ payer, nonce }], chain, rows, reported);
    figures.details.lateDelivery = {
      transactions: chain.map((e) => e.error ?? 'transferred'),
      ledger: rows.map((r) => `${r.state} ${r.error_reason ?? ''}`.trim()),
      answer: answer?.success ? 'success' : answer?.errorReason,
    };
    figures.settlementsChecked += result.checked;
    figures.duplicates += result.duplicates;
    if (result.duplicates > 0 || result.problems.length > 0) {
      figures.knownBugs.push(
        `late delivery: ${chain.length} transactions for one authorization; ${result.problems.join('; ') || 'ledger agrees'}`,
      );
    }
    expect(second.transaction_hash).toBe(first.transaction_hash);
    expect(result.duplicates).toBe(0);
    expect(result.problems).toEqual([]);
    expect(answer?.success).toBe(true);
  });
});
