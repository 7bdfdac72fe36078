// The node failing under the facilitator: a proxy in front of the devnet takes it down, drops
// or slows calls, answers JSON-RPC and HTTP errors, and garbage, during /verify and /settle.
// /verify must then say it cannot read the chain (never a 5xx, never a wrong verdict); /settle
// must keep every authorization safe: once the node is healthy again every payment settles
// exactly once, every success it reported is on chain, and the ledger agrees with the chain.

import type { Devnet } from '@x402-casper/devnet';
import { generateSecretKey } from '@x402-casper/shared';
import { rpcResult } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PaymentRequest, requirementsOf, signedPayments } from '../../bench/payments.js';
import type { FacilitatorProcess } from '../../bench/processes.js';
import { type Fault, RpcProxy } from '../../bench/rpc-proxy.js';
import { type Authorization, audit, chainSettlements, settleOutcome, successKey } from './audit.js';
import { emptyFigures, recordFigures } from './figures.js';
import { Random, SEED } from './mutate.js';
import { PROFILE } from './profile.js';
import {
  facilitatorProcess,
  fundedPayers,
  inParallel,
  ledgerRows,
  MERCHANT_ADDRESS,
  post,
  removeTempDirs,
  startChain,
  tempDir,
  waitFor,
} from './stack.js';

const figures = emptyFigures();
const random = new Random(SEED + 11);
const dir = tempDir('rpc-faults');
const RPC_TIMEOUT_MS = 1000;

/** Answers that are not a usable node answer, made from the node's real one. */
const GARBAGE: Fault[] = [
  { kind: 'garbage', name: 'html', body: () => '<html><body>502 Bad Gateway</body></html>' },
  { kind: 'garbage', name: 'truncated', body: (a) => a.slice(0, Math.floor(a.length / 2)) },
  { kind: 'garbage', name: 'empty', body: () => '' },
  { kind: 'garbage', name: 'not-json-rpc', body: () => '{"hello":"world"}' },
  { kind: 'garbage', name: 'null-result', body: () => '{"jsonrpc":"2.0","id":1,"result":null}' },
  { kind: 'garbage', name: 'array-result', body: () => '{"jsonrpc":"2.0","id":1,"result":[]}' },
  {
    kind: 'garbage',
    name: 'error-not-object',
    body: () => '{"jsonrpc":"2.0","id":1,"error":"boom"}',
  },
];

/** Every fault that makes a call fail (as opposed to only slowing it). */
const FAILING: Array<[string, Fault]> = [
  ['drop', { kind: 'drop' }],
  ['forward-then-drop', { kind: 'forward-then-drop' }],
  ['slow beyond the RPC timeout', { kind: 'slow', ms: RPC_TIMEOUT_MS + 500 }],
  ['JSON-RPC internal error', { kind: 'rpc-error', code: -32603, message: 'Internal error' }],
  ['JSON-RPC server error', { kind: 'rpc-error', code: -32099, message: 'node is syncing' }],
  ['HTTP 502', { kind: 'http-status', status: 502 }],
  ['HTTP 503', { kind: 'http-status', status: 503 }],
  ...GARBAGE.map((g): [string, Fault] => [`garbage ${(g as { name: string }).name}`, g]),
];

/** The reads a /verify makes against a block it has not read before. */
/**
 * What /verify reads in a block it has not seen. The fee payer's CSPR (`query_balance`) is read
 * once a minute, so a fault on it shows only where a process must read it (tested below).
 */
const VERIFY_READS = ['info_get_status', 'query_global_state', 'state_get_dictionary_item'];

/**
 * A block that changes the state, made on the devnet directly (not through the proxy): the
 * facilitator keeps reads of one state root, so after this its next /verify makes every read.
 */
async function newState(): Promise<void> {
  await rpcResult(devnet.rpcUrl, 'devnet_fund', {
    account: generateSecretKey().publicKey.hex,
    motes: '1',
  });
}

let devnet: Devnet;
let proxy: RpcProxy;
let facilitator: FacilitatorProcess;
let database: string;
let payment: () => PaymentRequest;
const authorizations: Authorization[] = [];
const reported = new Map<string, Set<string>>();
let downs = 0;

const authorizationOf = (request: PaymentRequest) => {
  const { from, nonce } = (
    request.paymentPayload.payload as { authorization: { from: string; nonce: string } }
  ).authorization;
  return { payer: from.toLowerCase(), nonce: nonce.toLowerCase() };
};

beforeAll(async () => {
  devnet = await startChain(200);
  proxy = new RpcProxy(devnet.rpcUrl);
  await proxy.start();
  const stack = facilitatorProcess({
    dir,
    devnet,
    rpcUrl: proxy.url,
    // Every read reaches the (faulty) node (blockIntervalMs 0), so each read's fault is observed.
    settings: {
      rpcTimeoutMs: RPC_TIMEOUT_MS,
      pollIntervalMs: 50,
      settleTimeoutMs: 4000,
    },
  });
  database = stack.database;
  facilitator = await stack.start();
  const requirements = requirementsOf(devnet.network, devnet.tokens[0]!, MERCHANT_ADDRESS, '7');
  const payers = await fundedPayers(devnet, 4);
  payment = () => signedPayments(requirements, random.pick(payers), 1)[0]!;
});

afterAll(async () => {
  figures.faults += proxy?.faults ?? 0;
  figures.faults += downs;
  figures.details.injected = Object.fromEntries(proxy?.injected ?? []);
  figures.details.downs = downs;
  recordFigures('rpc-faults', figures);
  await facilitator?.stop();
  await proxy?.close();
  await devnet?.close();
  removeTempDirs();
});

async function verifyOnce(): Promise<Record<string, unknown>> {
  figures.cases++;
  const answer = await post(`${facilitator.url}/verify`, payment());
  expect(answer.status, answer.text).toBe(200);
  return answer.json!;
}

const cannotRead = {
  isValid: false,
  invalidReason: 'unexpected_verify_error',
  invalidMessage: expect.stringContaining('cannot read'),
};

describe('/verify while the node fails', () => {
  it('is valid through a slow node that still answers in time', async () => {
    proxy.rule = () => ({ kind: 'slow', ms: 200 });
    expect(await verifyOnce()).toMatchObject({ isValid: true });
  });

  it('says it cannot read the chain while the node is down, and recovers', async () => {
    await proxy.down();
    downs++;
    try {
      expect(await verifyOnce()).toMatchObject(cannotRead);
    } finally {
      await proxy.up();
    }
    proxy.rule = () => undefined;
    expect(await verifyOnce()).toMatchObject({ isValid: true });
  });

  for (const [name, fault] of FAILING) {
    it(`says it cannot read the chain on ${name}, for each read it makes`, async () => {
      for (const target of [...VERIFY_READS, 'every call']) {
        await newState();
        proxy.rule = ({ method }) =>
          target === 'every call' || method === target ? fault : undefined;
        expect(await verifyOnce(), `${name} on ${target}`).toMatchObject(cannotRead);
      }
      proxy.rule = () => undefined;
      expect(await verifyOnce()).toMatchObject({ isValid: true });
    });
  }

  it("says it cannot read the chain when the fee payer's CSPR cannot be read", async () => {
    // A process that has not read it yet must read it for its first payment.
    const fresh = await facilitatorProcess({
      dir,
      devnet,
      rpcUrl: proxy.url,
      name: 'fee-payer-unread',
      settings: { rpcTimeoutMs: RPC_TIMEOUT_MS },
    }).start();
    try {
      const verifyAtFresh = async () => {
        figures.cases++;
        const answer = await post(`${fresh.url}/verify`, payment());
        expect(answer.status, answer.text).toBe(200);
        return answer.json!;
      };
      for (const [name, fault] of FAILING.slice(0, 3)) {
        proxy.rule = ({ method }) => (method === 'query_balance' ? fault : undefined);
        expect(await verifyAtFresh(), `${name} on query_balance`).toMatchObject(cannotRead);
      }
      proxy.rule = () => undefined;
      expect(await verifyAtFresh()).toMatchObject({ isValid: true });
    } finally {
      proxy.rule = () => undefined;
      await fresh.stop();
    }
  });

  it('answers valid or "cannot read" (nothing else) under random faults on 15% of calls', async () => {
    proxy.rule = () => (random.chance(0.15) ? random.pick(FAILING)[1] : undefined);
    const verdicts = new Map<string, number>();
    await inParallel(Array.from({ length: PROFILE.faultyVerifies }), 8, async () => {
      const verdict = await verifyOnce();
      const label = verdict.isValid ? 'valid' : String(verdict.invalidReason);
      verdicts.set(label, (verdicts.get(label) ?? 0) + 1);
      if (!verdict.isValid) expect(verdict).toMatchObject(cannotRead);
    });
    proxy.rule = () => undefined;
    figures.details.randomVerifyVerdicts = Object.fromEntries(verdicts);
  });
});

describe('/settle while the node fails', () => {
  it('settles every payment exactly once after faults on every kind of call', async () => {
    const batch = Array.from({ length: PROFILE.faultySettlements }, payment);
    authorizations.push(...batch.map(authorizationOf));
    const record = (request: PaymentRequest, body: Record<string, unknown> | undefined) => {
      const outcome = settleOutcome(body);
      if (outcome !== 'settled' && outcome !== 'settled-earlier') return;
      const { payer, nonce } = authorizationOf(request);
      const key = successKey(payer, nonce);
      reported.set(key, new Set([...(reported.get(key) ?? []), String(body?.transaction)]));
    };
    const reasons = new Map<string, number>();

    // Phase 1: 20% of all calls fail in any way, and the node goes away now and then.
    proxy.rule = () => (random.chance(0.2) ? random.pick(FAILING)[1] : undefined);
    let faulting = true;
    const flapping = (async () => {
      while (faulting) {
        await new Promise((resolve) => setTimeout(resolve, 500 + random.int(1000)));
        if (!faulting) break;
        await proxy.down();
        downs++;
        await new Promise((resolve) => setTimeout(resolve, 200 + random.int(600)));
        await proxy.up();
      }
    })();
    try {
      await inParallel(batch, 8, async (request) => {
        for (let attempt = 0; attempt < 3; attempt++) {
          figures.cases++;
          const answer = await post(`${facilitator.url}/settle`, request);
          expect(answer.status, answer.text).toBe(200);
          record(request, answer.json);
          const outcome = settleOutcome(answer.json);
          const label = answer.json?.success ? 'success' : String(answer.json?.errorReason);
          reasons.set(label, (reasons.get(label) ?? 0) + 1);
          // A failing node is never the payer's fault: settled, or not yet, nothing else.
          expect(outcome, answer.text).not.toBe('refused');
          if (outcome !== 'later') break;
        }
      });
    } finally {
      faulting = false;
      await flapping;
      await proxy.up();
      proxy.rule = () => undefined;
    }
    figures.details.settleAnswersUnderFaults = Object.fromEntries(reasons);

    // Phase 2: a healthy node; a resource server retries until each payment has its answer.
    await inParallel(batch, 8, async (request) => {
      for (let attempt = 0; attempt < 20; attempt++) {
        figures.cases++;
        const answer = await post(`${facilitator.url}/settle`, request);
        record(request, answer.json);
        const outcome = settleOutcome(answer.json);
        if (outcome === 'settled' || outcome === 'settled-earlier') return;
        expect(outcome, answer.text).toBe('later');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${JSON.stringify(authorizationOf(request))} never settled`);
    });

    const rows = await waitFor(
      () => ledgerRows(database),
      (all) => all.every((row) => row.state !== 'reserved' && row.state !== 'submitted'),
      20_000,
    );
    const result = audit(authorizations, await chainSettlements(devnet.rpcUrl), rows, reported);
    figures.settlementsChecked += result.checked;
    figures.duplicates += result.duplicates;
    expect(result.problems).toEqual([]);
    expect(result.doubleSpends).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.unsettled).toBe(0);
    expect(facilitator.child.exitCode).toBeNull();
  });
});
