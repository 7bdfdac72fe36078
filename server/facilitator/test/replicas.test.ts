// Several facilitators on one PostgreSQL ledger (a throwaway cluster), against a real devnet:
// what a load balancer in front of replicas must never see. Also the idempotency key that
// ties a settlement's one success to the request that was answered it, on either database.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey, generateSecretKey } from '@x402-casper/shared';
import {
  paymentFor,
  postJson,
  requirementsFor,
  rpcResult,
  tempDir,
  tokenBalance,
  whileMining,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Facilitator } from '../src/app.js';
import { facilitatorOn } from './helpers.js';
import {
  type PostgresCluster,
  postgresAvailable,
  postgresSkipReason,
  startPostgres,
} from './support/postgres.js';

const dir = tempDir('replicas');
const [feePayer, merchant, alice] = defaultDevAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
const aliceAddress = addressOfPublicKey(alice.publicKey);
let devnet: Devnet;
let cluster: PostgresCluster | undefined;
const running: Array<Facilitator & { url: string }> = [];

async function replica(
  database: string,
  settleTimeoutMs = 20_000,
  more: { apiKeys?: string[]; extra?: Record<string, unknown> } = {},
) {
  const started = await facilitatorOn(devnet, {
    rpcUrl: devnet.rpcUrl,
    database,
    feePayer: feePayer.secretKey,
    ...(more.apiKeys ? { apiKeys: more.apiKeys } : {}),
    extra: { pollIntervalMs: 25, settleTimeoutMs, ...more.extra },
  });
  running.push(started);
  return started;
}

const payment = (amount: string, payer = alice.secretKey) =>
  paymentFor(payer, requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, amount));
const merchantBalance = () =>
  tokenBalance(
    { rpcUrl: devnet.rpcUrl },
    { contractHash: devnet.tokens[0]!.contractHash },
    merchantAddress,
  );
const settleAt = (f: { url: string }, body: unknown, headers: Record<string, string> = {}) =>
  postJson(`${f.url}/settle`, body, headers);

/** How many transactions the devnet put in blocks after `height`. */
async function transactionsSince(height: number): Promise<number> {
  const status = await rpcResult(devnet.rpcUrl, 'info_get_status');
  const latest = (status.last_added_block_info as { height: number }).height;
  let count = 0;
  for (let h = height + 1; h <= latest; h++) {
    const block = await rpcResult(devnet.rpcUrl, 'chain_get_block', {
      block_identifier: { Height: h },
    });
    const body = (block.block_with_signatures as { block: { Version2: { body: unknown } } }).block
      .Version2.body as { transactions: Record<string, unknown[]> };
    count += Object.values(body.transactions).reduce((sum, list) => sum + list.length, 0);
  }
  return count;
}

async function height(): Promise<number> {
  const status = await rpcResult(devnet.rpcUrl, 'info_get_status');
  return (status.last_added_block_info as { height: number }).height;
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  if (postgresAvailable) cluster = await startPostgres();
}, 60_000);

afterAll(async () => {
  for (const f of running) await f.close();
  await cluster?.stop();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  { name: 'SQLite', available: true, database: async () => join(dir, `${Math.random()}.sqlite`) },
  { name: 'PostgreSQL', available: postgresAvailable, database: () => cluster!.database() },
])('an idempotency key on $name', ({ name, available, database }) => {
  it.skipIf(!available)(
    `answers the one success again to the request that repeats its key${available ? '' : ` (${postgresSkipReason})`}`,
    async () => {
      const f = await replica(await database());
      const request = await payment('10');
      const first = await whileMining(
        devnet.rpcUrl,
        settleAt(f, request, { 'idempotency-key': `order-1-${name}` }),
      );
      expect(first.body).toMatchObject({ success: true, payer: aliceAddress });
      const again = await settleAt(f, request, { 'idempotency-key': `order-1-${name}` });
      expect(again.body).toEqual(first.body);
      // Another key, or none, did not get the success: the nonce is used.
      for (const headers of [{ 'idempotency-key': 'order-2' }, {}] as Record<string, string>[]) {
        const other = await settleAt(f, request, headers);
        expect(other.body).toMatchObject({
          success: false,
          errorReason: 'invalid_exact_casper_nonce_used',
          transaction: first.body.transaction,
        });
      }
    },
  );
});

describe('idempotency keys', () => {
  it("takes the payload's payment-identifier when no header is sent, and refuses malformed keys", async () => {
    const f = await replica(join(dir, 'payment-identifier.sqlite'));
    const request = await payment('11');
    const extensions = {
      'payment-identifier': { info: { required: false, id: 'pay_0123456789abcdef' } },
    };
    const withId = { ...request, paymentPayload: { ...request.paymentPayload, extensions } };
    const first = await whileMining(devnet.rpcUrl, settleAt(f, withId));
    expect(first.body).toMatchObject({ success: true });
    expect((await settleAt(f, withId)).body).toEqual(first.body);
    expect((await settleAt(f, request)).body).toMatchObject({
      errorReason: 'invalid_exact_casper_nonce_used',
    });

    const bad = await settleAt(f, request, { 'idempotency-key': 'has space' });
    expect(bad).toMatchObject({ status: 400, body: { field: 'Idempotency-Key' } });
    const short = {
      ...request,
      paymentPayload: {
        ...request.paymentPayload,
        extensions: { 'payment-identifier': { info: { id: 'short' } } },
      },
    };
    expect(await settleAt(f, short)).toMatchObject({
      status: 400,
      body: { field: 'paymentPayload.extensions.payment-identifier.info.id' },
    });
  });
});

describe.skipIf(!postgresAvailable)('replicas on one PostgreSQL ledger', () => {
  it('settle one payment sent to every replica at once with one transaction and one success', async () => {
    const url = await cluster!.database();
    const replicas = [await replica(url), await replica(url), await replica(url)];
    const request = await payment('7');
    const before = await merchantBalance();
    const from = await height();
    const answers = await whileMining(
      devnet.rpcUrl,
      Promise.all(replicas.flatMap((r) => [settleAt(r, request), settleAt(r, request)])),
    );
    const bodies = answers.map((answer) => answer.body);
    expect(bodies.filter((body) => body.success === true)).toHaveLength(1);
    const hashes = new Set(bodies.map((body) => body.transaction));
    expect(hashes.size).toBe(1);
    for (const body of bodies.filter((b) => b.success !== true)) {
      expect(body).toMatchObject({ errorReason: 'invalid_exact_casper_nonce_used' });
    }
    expect(await merchantBalance()).toBe(before + 7n);
    expect(await transactionsSince(from)).toBe(1);
  });

  it("counts every replica's pending settlements against one payer's balance", async () => {
    const url = await cluster!.database();
    const replicas = [await replica(url, 300), await replica(url, 300)];
    // A payer holding exactly 30: two payments of 20 on two replicas cannot both be taken.
    const payer = generateSecretKey('ed25519');
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: devnet.tokens[0]!.packageHash, amount: '30' },
    });
    const payerAddress = addressOfPublicKey(payer.publicKey);
    const requests = [await payment('20', payer), await payment('20', payer)];
    // Nothing is mined until both answered: each replica must see the other's reservation.
    const answers = await Promise.all([
      postJson(`${replicas[0]!.url}/settle`, requests[0], {}),
      postJson(`${replicas[1]!.url}/settle`, requests[1], {}),
    ]);
    const reasons = answers.map((answer) => answer.body.errorReason).sort();
    expect(reasons).toEqual(['insufficient_funds', 'settlement_pending']);
    await whileMining(devnet.rpcUrl, new Promise((resolve) => setTimeout(resolve, 300)));
    expect(
      await tokenBalance(
        { rpcUrl: devnet.rpcUrl },
        { contractHash: devnet.tokens[0]!.contractHash },
        payerAddress,
      ),
    ).toBe(10n);
  });

  it("shares each API key's rate limit across replicas", async () => {
    const url = await cluster!.database();
    const key = 'replica-rate-key-0123456789';
    const options = { apiKeys: [key], extra: { rateLimit: { max: 5, windowMs: 60_000 } } };
    const replicas = [await replica(url, 300, options), await replica(url, 300, options)];
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${replicas[i % 2]!.url}/supported`, {
        headers: { authorization: `Bearer ${key}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('takes over a settlement another replica gave up when it shut down', async () => {
    const url = await cluster!.database();
    // A answers pending at once (no block comes), B waits for the outcome.
    const a = await replica(url, 200);
    const b = await replica(url, 20_000);
    const request = await payment('5');
    const before = await merchantBalance();
    const pending = await settleAt(a, request);
    expect(pending.body).toMatchObject({ errorReason: 'settlement_pending' });
    const waiting = settleAt(b, request, { 'idempotency-key': 'b-order' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A stops following (graceful shutdown gives its lease up); blocks come again.
    await a.close();
    running.splice(running.indexOf(a), 1);
    const answer = await whileMining(devnet.rpcUrl, waiting);
    expect(answer.body).toMatchObject({ success: true, transaction: pending.body.transaction });
    expect(await merchantBalance()).toBe(before + 5n);
  });

  it('answers a repeated idempotency key on a replica that lists the API keys in another order', async () => {
    const url = await cluster!.database();
    const [first, second] = ['replica-key-one-0123456789', 'replica-key-two-0123456789'];
    const a = await replica(url, 20_000, { apiKeys: [first, second] });
    const b = await replica(url, 20_000, { apiKeys: [second, first] });
    const request = await payment('4');
    const headers = { authorization: `Bearer ${second}`, 'idempotency-key': 'order-rotated' };
    const settled = await whileMining(devnet.rpcUrl, settleAt(a, request, headers));
    expect(settled.body).toMatchObject({ success: true });
    expect((await settleAt(b, request, headers)).body).toEqual(settled.body);
    // The other key's holder is another caller: its repeat of the same key is not the success.
    const other = { ...headers, authorization: `Bearer ${first}` };
    expect((await settleAt(b, request, other)).body).toMatchObject({
      errorReason: 'invalid_exact_casper_nonce_used',
    });
  });
});
