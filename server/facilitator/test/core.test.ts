// The facilitator's rules on a chain held in memory (test/support/fake-chain.ts): the core is
// given its ledger, its chains and its clock, so each rule is checked here in milliseconds,
// through the real HTTP routes (app.inject), without a devnet. The same rules against the
// devnet, over JSON-RPC, are in settle.test.ts and verify's tests.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  addressOfPublicKey,
  generateSecretKey,
  type PaymentRequirements,
  type SecretKey,
} from '@x402-casper/shared';
import { paymentFor, rawConfig, requirementsFor, tempDir } from '@x402-casper/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFacilitator, type Facilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { FakeChain } from './support/fake-chain.js';

const NETWORK = 'casper:casper-fake';
const TOKEN = { packageHash: '7a'.repeat(32), domainName: 'Fake', symbol: 'FK', decimals: 2 };
const CSPR = 1_000_000_000n;
const dir = tempDir('core');
const feePayer = generateSecretKey('ed25519');
const merchant = `00${'4d'.repeat(32)}`;

let chain: FakeChain;
let facilitator: Facilitator;
let offsetMs: number;
let files = 0;

beforeEach(async () => {
  offsetMs = 0;
  chain = new FakeChain(() => Date.now() + offsetMs);
  chain.cspr.set(feePayer.publicKey.hex, 1000n * CSPR);
  facilitator = await createFacilitator(
    parseConfig(
      rawConfig({
        database: join(dir, `ledger-${files++}.sqlite`),
        network: NETWORK,
        rpcUrl: 'http://127.0.0.1:9/rpc',
        feePayer,
        assets: [TOKEN],
        extra: { pollIntervalMs: 10, settleTimeoutMs: 300 },
      }),
    ),
    { chainOf: () => chain, now: () => Date.now() + offsetMs },
  );
  await facilitator.engine.start();
});

afterEach(async () => {
  await facilitator.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A payer holding `tokens` of the fake token. */
function payer(tokens: bigint): { key: SecretKey; address: string } {
  const key = generateSecretKey('ed25519');
  const address = addressOfPublicKey(key.publicKey);
  chain.tokens.set(address, tokens);
  return { key, address };
}

const requirements = (amount: string): PaymentRequirements =>
  requirementsFor(NETWORK, TOKEN, merchant, amount);

async function call(path: '/verify' | '/settle', body: unknown, headers = {}) {
  const answer = await facilitator.app.inject({
    method: 'POST',
    url: path,
    payload: body as object,
    headers,
  });
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json() as Record<string, unknown>;
}

/** Settles while blocks come every 20 ms, as a live network would make them. */
async function settleWhileMining(body: unknown, headers = {}) {
  const miner = setInterval(() => chain.mine(), 20);
  try {
    return await call('/settle', body, headers);
  } finally {
    clearInterval(miner);
  }
}

describe('the core on a chain in memory', () => {
  it('verifies against what the chain holds: funds, the nonce, the clock', async () => {
    const rich = payer(1000n);
    const valid = await paymentFor(rich.key, requirements('600'));
    expect(await call('/verify', valid)).toMatchObject({ isValid: true, payer: rich.address });

    const poor = payer(599n);
    expect(await call('/verify', await paymentFor(poor.key, requirements('600')))).toMatchObject({
      isValid: false,
      invalidReason: 'insufficient_funds',
    });

    const spent = await paymentFor(rich.key, requirements('1'));
    const nonce = (spent.paymentPayload.payload as { authorization: { nonce: string } })
      .authorization.nonce;
    chain.spent.add(`${rich.address}:${nonce}`);
    expect(await call('/verify', spent)).toMatchObject({
      invalidReason: 'invalid_exact_casper_nonce_used',
    });

    // The facilitator's clock, not the machine's: 300 s later the authorization has expired.
    offsetMs = 301_000;
    expect(await call('/verify', valid)).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_payload_expired',
    });
  });

  it("reads a payer's nonce and balance from the contract its package moved to, not the one it had", async () => {
    const { key, address } = payer(1000n);
    expect(await call('/verify', await paymentFor(key, requirements('1')))).toMatchObject({
      isValid: true,
    });
    // The contract read last holds an unused nonce; the one the package moved to has spent it.
    chain.upgrade();
    const spent = await paymentFor(key, requirements('1'));
    const nonce = (spent.paymentPayload.payload as { authorization: { nonce: string } })
      .authorization.nonce;
    chain.spent.add(`${address}:${nonce}`);
    expect(await call('/verify', spent)).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
    });
    // Again: the contract read last holds 1000, the one the package moved to nothing.
    chain.upgrade();
    chain.tokens.set(address, 0n);
    expect(await call('/settle', await paymentFor(key, requirements('1')))).toMatchObject({
      success: false,
      errorReason: 'insufficient_funds',
    });
    expect(chain.submitted).toEqual([]);
  });

  it('settles an authorization once: one transaction, one success, the tokens moved once', async () => {
    const { key, address } = payer(1000n);
    const payment = await paymentFor(key, requirements('250'));
    const headers = { 'idempotency-key': 'order-1' };
    const first = await settleWhileMining(payment, headers);
    expect(first, JSON.stringify(first)).toMatchObject({
      success: true,
      payer: address,
      network: NETWORK,
    });
    expect(chain.submitted).toEqual([first.transaction]);
    expect(chain.tokens.get(address)).toBe(750n);
    expect(chain.tokens.get(merchant)).toBe(250n);

    // The caller that lost its answer repeats its key and gets the success again; anyone else
    // is told the nonce is used. Nothing more is sent.
    expect(await call('/settle', payment, headers)).toEqual(first);
    for (const other of [{}, { 'idempotency-key': 'order-2' }]) {
      expect(await call('/settle', payment, other)).toMatchObject({
        success: false,
        errorReason: 'invalid_exact_casper_nonce_used',
        transaction: first.transaction,
      });
    }
    expect(chain.submitted).toHaveLength(1);
    expect(chain.tokens.get(merchant)).toBe(250n);
  });

  it('answers pending while no block comes, and the final result once it has', async () => {
    const { key } = payer(1000n);
    const payment = await paymentFor(key, requirements('10'));
    const pending = await call('/settle', payment, { 'idempotency-key': 'k' });
    expect(pending).toMatchObject({ success: false, errorReason: 'settlement_pending' });
    chain.mine();
    expect(await call('/settle', payment, { 'idempotency-key': 'k' })).toMatchObject({
      success: true,
      transaction: pending.transaction,
    });
    expect(chain.submitted).toEqual([pending.transaction]);
  });

  it('never lets two payments of one payer spend more than the payer holds', async () => {
    const { key, address } = payer(1000n);
    const first = await paymentFor(key, requirements('600'));
    const second = await paymentFor(key, requirements('600'));
    const [a, b] = await Promise.all([call('/settle', first), call('/settle', second)]);
    const answers = [a, b].map((answer) => answer.errorReason ?? 'settled');
    expect(answers.sort()).toEqual(['insufficient_funds', 'settlement_pending']);
    // The refusal says what the balance is and what is pending.
    expect([a, b].find((answer) => answer.errorReason === 'insufficient_funds')).toMatchObject({
      errorMessage: 'balance 1000 with 600 pending does not cover 600',
      payer: address,
    });
    expect(chain.submitted).toHaveLength(1);
    chain.mine();
    expect(chain.tokens.get(address)).toBe(400n);
  });

  it('keeps an authorization the node refused settleable, and sends it once the node takes it', async () => {
    const { key, address } = payer(1000n);
    const payment = await paymentFor(key, requirements('5'));
    chain.refuseSubmissions = true;
    const refused = await call('/settle', payment);
    expect(refused).toMatchObject({ success: false, errorReason: 'unexpected_settle_error' });
    expect(chain.submitted).toEqual([]);
    expect(chain.tokens.get(address)).toBe(1000n);

    chain.refuseSubmissions = false;
    expect(await settleWhileMining(payment)).toMatchObject({ success: true });
    expect(chain.tokens.get(address)).toBe(995n);
  });

  it('names the token’s revert: a nonce spent by someone else before the block', async () => {
    const { key, address } = payer(1000n);
    const payment = await paymentFor(key, requirements('5'));
    const pending = await call('/settle', payment);
    expect(pending).toMatchObject({ errorReason: 'settlement_pending' });
    const nonce = (payment.paymentPayload.payload as { authorization: { nonce: string } })
      .authorization.nonce;
    chain.spent.add(`${address}:${nonce}`);
    chain.mine();
    expect(await call('/settle', payment)).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_nonce_used',
    });
    expect(chain.tokens.get(address)).toBe(1000n);
  });

  it('does not settle when the fee payer cannot pay the gas', async () => {
    chain.cspr.set(feePayer.publicKey.hex, 2n * CSPR);
    const { key } = payer(1000n);
    const answer = await call('/settle', await paymentFor(key, requirements('5')));
    expect(answer).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_facilitator_unfunded',
      // The gas of a settlement by the larger of the two keys' payments (30 CSPR by default).
      errorMessage: `the fee payer holds ${2n * CSPR} motes; settling needs ${30n * CSPR}`,
    });
    expect(chain.submitted).toEqual([]);
  });
});
