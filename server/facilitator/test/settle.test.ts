// Verify and settle against a real devnet over HTTP: blocks come only when a test mines them.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import {
  addressOfPublicKey,
  authorizationDigest,
  generateSecretKey,
  type PaymentPayload,
  type SecretKey,
  signDigest,
} from '@x402-casper/shared';
import {
  deployToken,
  executionOf,
  paymentFor,
  postJson,
  type RawAsset,
  rawConfig,
  requirementsFor,
  rpcResult,
  tempDir,
  tokenBalance,
  whileMining,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Facilitator, startFacilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { settleDirectly } from './helpers.js';

const dir = tempDir('settle');
const [feePayer, merchant, alice, bob] = defaultDevAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
const aliceAddress = addressOfPublicKey(alice.publicKey);
const secpPayer = generateSecretKey('secp256k1');

interface Token {
  domainName: string;
  symbol: string;
  decimals: number;
  packageHash: string;
  contractHash: string;
}

let devnet: Devnet;
let token: Token;
/** Tokens of the other argument layouts: the facilitator reads each one's from the chain. */
let valueU64: Token;
let amountU256: Token;
/** Like the Cep18X402 proof of concept: signs as `Cep18x402`, nonces in Odra's own storage. */
let odraLike: Token;
/** Waits up to 20 s for a block. */
let facilitator: Facilitator & { url: string };
/** Answers settlement_pending after 300 ms without a block. */
let slow: Facilitator & { url: string };

// No argLayout: every token's layout is read from its entry point on chain.
const asset = (t: Token): RawAsset => ({
  packageHash: t.packageHash,
  domainName: t.domainName,
  decimals: t.decimals,
  symbol: t.symbol,
});

/** A token deployed on the devnet, alice funded with a million units of it. */
async function fundedToken(
  params: { name: string; symbol: string; decimals: number } & Record<string, unknown>,
): Promise<Token> {
  const made = await deployToken(devnet, params);
  await rpcResult(devnet.rpcUrl, 'devnet_fund', {
    account: alice.publicKey,
    token: { package_hash: made.packageHash, amount: '1000000' },
  });
  return made;
}

async function start(name: string, key: SecretKey, extra: Record<string, unknown>) {
  return startFacilitator(
    parseConfig(
      rawConfig({
        database: join(dir, `${name}.sqlite`),
        network: devnet.network,
        rpcUrl: devnet.rpcUrl,
        feePayer: key,
        assets: [token, valueU64, amountU256, odraLike].map(asset),
        extra: { pollIntervalMs: 25, ...extra },
      }),
    ),
  );
}

const verifyAt = (f: { url: string }, body: unknown) => postJson(`${f.url}/verify`, body);
const settleAt = (f: { url: string }, body: unknown) => postJson(`${f.url}/settle`, body);
const balance = (t: Token, address: string) => tokenBalance(devnet, t, address);

/** What every settle of a payment but the one answered success gets. */
const settledEarlier = (payer: string, transaction: string) => ({
  success: false,
  errorReason: 'invalid_exact_casper_nonce_used',
  errorMessage: expect.stringContaining('already settled by an earlier request'),
  payer,
  transaction,
  network: devnet.network,
});

/** Settles again until the answer is no longer settlement_pending. */
async function settleUntilFinal(f: { url: string }, body: unknown) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const answer = await settleAt(f, body);
    if (answer.body.errorReason !== 'settlement_pending') return answer;
  }
  throw new Error('settlement stayed pending');
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  token = devnet.tokens[0]!;
  valueU64 = await fundedToken({
    name: 'Value Token',
    symbol: 'VAL',
    decimals: 2,
    arg_layout: 'value-u64',
  });
  amountU256 = await fundedToken({
    name: 'Wide Window Token',
    symbol: 'WIDE',
    decimals: 2,
    arg_layout: 'amount-u256',
  });
  odraLike = await fundedToken({
    name: 'Odra Token',
    symbol: 'X402',
    decimals: 2,
    arg_layout: 'amount-u256',
    domain_name: 'Cep18x402',
    nonce_storage: 'odra-state',
  });
  await rpcResult(devnet.rpcUrl, 'devnet_fund', {
    account: secpPayer.publicKey.hex,
    token: { package_hash: token.packageHash, amount: '5000000' },
  });
  facilitator = await start('main', feePayer.secretKey, { settleTimeoutMs: 20_000 });
  slow = await start('slow', feePayer.secretKey, { settleTimeoutMs: 300 });
});

afterAll(async () => {
  await facilitator?.close();
  await slow?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('settlement on the devnet', () => {
  it.each([
    ['an ed25519 payer', () => alice.secretKey, () => token],
    ['a secp256k1 payer', () => secpPayer, () => token],
    ['an ed25519 payer on a value-u64 token', () => alice.secretKey, () => valueU64],
    ['an ed25519 payer on an amount-u256 token', () => alice.secretKey, () => amountU256],
    [
      'an ed25519 payer on a Cep18x402-domain odra-state token',
      () => alice.secretKey,
      () => odraLike,
    ],
  ])('verifies then settles %s, moving the tokens on chain', async (_, payerOf, tokenOf) => {
    const payer = payerOf();
    const t = tokenOf();
    const payerAddress = addressOfPublicKey(payer.publicKey);
    const request = await paymentFor(
      payer,
      requirementsFor(devnet.network, t, merchantAddress, '1234'),
    );
    const verified = await verifyAt(facilitator, request);
    expect(verified).toMatchObject({ status: 200, body: { isValid: true, payer: payerAddress } });

    const before = [await balance(t, payerAddress), await balance(t, merchantAddress)];
    const settled = await whileMining(devnet.rpcUrl, settleAt(facilitator, request));
    expect(settled.status).toBe(200);
    expect(settled.body).toEqual({
      success: true,
      payer: payerAddress,
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
      network: devnet.network,
    });
    const transaction = settled.body.transaction as string;
    expect(await executionOf(devnet.rpcUrl, transaction)).toMatchObject({ error_message: null });
    expect([await balance(t, payerAddress), await balance(t, merchantAddress)]).toEqual([
      before[0]! - 1234n,
      before[1]! + 1234n,
    ]);

    // Settling the same authorization again is told it was settled, with the same
    // transaction; nothing moves again.
    const again = await settleAt(facilitator, request);
    expect(again).toMatchObject({ status: 200, body: settledEarlier(payerAddress, transaction) });
    expect(await balance(t, merchantAddress)).toBe(before[1]! + 1234n);
    expect((await verifyAt(facilitator, request)).body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
    });
  });

  it('settles the same authorization sent 10 times at once with one transaction and one success', async () => {
    const request = await paymentFor(
      alice.secretKey,
      requirementsFor(devnet.network, token, merchantAddress, '777'),
    );
    const merchantBefore = await balance(token, merchantAddress);
    const heightBefore = (await rpcResult(devnet.rpcUrl, 'devnet_mine')).block_height as number;
    const answers = await whileMining(
      devnet.rpcUrl,
      Promise.all(Array.from({ length: 10 }, () => settleAt(facilitator, request))),
    );
    const successes = answers.filter((answer) => answer.body.success === true);
    expect(successes).toHaveLength(1);
    const transaction = successes[0]!.body.transaction as string;
    expect(successes[0]!.body).toEqual({
      success: true,
      payer: aliceAddress,
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
      network: devnet.network,
    });
    const others = answers.filter((answer) => answer.body.success !== true);
    expect(others).toHaveLength(9);
    for (const answer of others)
      expect(answer.body).toEqual(settledEarlier(aliceAddress, transaction));
    expect(await balance(token, merchantAddress)).toBe(merchantBefore + 777n);

    const heightAfter = (await rpcResult(devnet.rpcUrl, 'devnet_mine')).block_height as number;
    const onChain: string[] = [];
    for (let height = heightBefore + 1; height <= heightAfter; height++) {
      const block = await rpcResult(devnet.rpcUrl, 'chain_get_block', {
        block_identifier: { Height: height },
      });
      const body = (
        block.block_with_signatures as {
          block: { Version2: { body: { transactions: Record<string, { Version1: string }[]> } } };
        }
      ).block.Version2.body;
      for (const lane of Object.values(body.transactions)) {
        onChain.push(...lane.map((tx) => tx.Version1));
      }
    }
    expect(onChain).toEqual([transaction]);
  });

  it('answers settlement_pending with the hash while no block comes, then the final result', async () => {
    const request = await paymentFor(
      alice.secretKey,
      requirementsFor(devnet.network, token, merchantAddress, '4321'),
    );
    const merchantBefore = await balance(token, merchantAddress);
    const pending = await settleAt(slow, request);
    expect(pending.body).toEqual({
      success: false,
      errorReason: 'settlement_pending',
      errorMessage: expect.stringContaining('settle again'),
      payer: aliceAddress,
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
      network: devnet.network,
    });
    const transaction = pending.body.transaction as string;
    expect(await executionOf(devnet.rpcUrl, transaction)).toBeNull();

    // Another authorization reusing the nonce is refused while the first is in flight.
    const reuse = await paymentFor(
      alice.secretKey,
      requirementsFor(devnet.network, token, `00${'99'.repeat(32)}`, '4321'),
      {
        nonce: (request.paymentPayload.payload as { authorization: { nonce: string } })
          .authorization.nonce,
      },
    );
    expect((await verifyAt(slow, reuse)).body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
    });
    expect((await settleAt(slow, reuse)).body).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_nonce_used',
      transaction: '',
    });
    // Callers answered settlement_pending (here three at once) have not taken the payment.
    const waiting = await Promise.all([1, 2, 3].map(() => settleAt(slow, request)));
    for (const answer of waiting) {
      expect(answer.body).toMatchObject({ errorReason: 'settlement_pending', transaction });
    }

    // Once the block comes, of the callers settling again, exactly one gets the success.
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const final = await settleUntilFinal(slow, request);
    expect(final.body).toEqual({
      success: true,
      payer: aliceAddress,
      transaction,
      network: devnet.network,
    });
    const later = await Promise.all([1, 2, 3].map(() => settleAt(slow, request)));
    for (const answer of later)
      expect(answer.body).toEqual(settledEarlier(aliceAddress, transaction));
    expect(await balance(token, merchantAddress)).toBe(merchantBefore + 4321n);
  });

  it('refuses a nonce the chain already used, read from the contract', async () => {
    const request = await paymentFor(
      alice.secretKey,
      requirementsFor(devnet.network, token, merchantAddress, '55'),
    );
    // Someone else (bob pays the gas) settles the authorization directly on chain.
    const directHash = await settleDirectly(
      devnet,
      token.packageHash,
      request.paymentPayload,
      bob.secretKey,
    );
    expect(await executionOf(devnet.rpcUrl, directHash)).toMatchObject({ error_message: null });

    expect((await verifyAt(facilitator, request)).body).toEqual({
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
      invalidMessage: 'the nonce is already used on chain',
      payer: aliceAddress,
    });
    expect((await settleAt(facilitator, request)).body).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_nonce_used',
      transaction: '',
    });
  });

  describe('refuses what the chain would refuse, spending nothing', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const base = () => requirementsFor(devnet.network, token, merchantAddress, '100');

    /** Re-signs a changed authorization with `signer`. */
    function resign(payload: PaymentPayload, signer: SecretKey): PaymentPayload {
      const signature = signDigest(signer, authorizationDigest(payload));
      return { ...payload, payload: { ...payload.payload, signature } };
    }

    const cases: [string, () => Promise<unknown>, string][] = [
      [
        'a signature by one key claiming another account as from',
        async () => {
          const request = await paymentFor(bob.secretKey, base());
          const payload = request.paymentPayload;
          const claimed = {
            ...payload,
            payload: {
              ...payload.payload,
              authorization: {
                ...(payload.payload as { authorization: object }).authorization,
                from: aliceAddress,
              },
            },
          };
          return { ...request, paymentPayload: resign(claimed, bob.secretKey) };
        },
        'invalid_exact_casper_public_key_mismatch',
      ],
      [
        'a forged signature',
        async () => {
          const request = await paymentFor(alice.secretKey, base());
          const inner = request.paymentPayload.payload as { signature: string };
          const flipped = `${inner.signature.slice(0, -2)}${inner.signature.endsWith('00') ? '01' : '00'}`;
          return {
            ...request,
            paymentPayload: {
              ...request.paymentPayload,
              payload: { ...inner, signature: flipped },
            },
          };
        },
        'invalid_exact_casper_invalid_signature',
      ],
      [
        'an unknown asset',
        () => paymentFor(alice.secretKey, { ...base(), asset: 'ee'.repeat(32) }),
        'invalid_exact_casper_unknown_asset',
      ],
      [
        'a signing-domain name other than the configured one',
        () => paymentFor(alice.secretKey, { ...base(), extra: { ...base().extra, name: 'Fake' } }),
        'invalid_exact_casper_domain_mismatch',
      ],
      [
        'a payer without the balance',
        () => paymentFor(generateSecretKey('ed25519'), base()),
        'insufficient_funds',
      ],
      [
        'a network the facilitator does not serve',
        () => paymentFor(alice.secretKey, { ...base(), network: 'casper:casper-test' }),
        'invalid_network',
      ],
      [
        'an expired authorization',
        () => paymentFor(alice.secretKey, base(), { now: now() - 3600 }),
        'invalid_exact_casper_payload_expired',
      ],
      [
        'an authorization not valid yet',
        () => paymentFor(alice.secretKey, base(), { now: now() + 3600 }),
        'invalid_exact_casper_not_yet_valid',
      ],
      [
        'an amount other than the requirements',
        async () => ({
          ...(await paymentFor(alice.secretKey, base())),
          paymentRequirements: { ...base(), amount: '200' },
        }),
        'invalid_exact_casper_amount_mismatch',
      ],
      [
        'a payee other than the requirements',
        async () => ({
          ...(await paymentFor(alice.secretKey, base())),
          paymentRequirements: { ...base(), payTo: aliceAddress },
        }),
        'invalid_exact_casper_payto_mismatch',
      ],
      [
        'x402 version 1',
        async () => ({ ...(await paymentFor(alice.secretKey, base())), x402Version: 1 }),
        'invalid_x402_version',
      ],
    ];

    it.each(cases)('%s', async (_, make, reason) => {
      const request = await make();
      const merchantBefore = await balance(token, merchantAddress);
      const verified = await verifyAt(facilitator, request);
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ isValid: false, invalidReason: reason });
      const settled = await settleAt(facilitator, request);
      expect(settled.body).toMatchObject({ success: false, errorReason: reason, transaction: '' });
      await rpcResult(devnet.rpcUrl, 'devnet_mine');
      expect(await balance(token, merchantAddress)).toBe(merchantBefore);
      expect(await facilitator.ledger.pendingCount()).toBe(0);
    });

    it('a fee payer without CSPR for the gas', async () => {
      const unfunded = await start('unfunded', generateSecretKey('ed25519'), {});
      try {
        const request = await paymentFor(alice.secretKey, base());
        expect((await verifyAt(unfunded, request)).body).toMatchObject({
          isValid: false,
          invalidReason: 'invalid_exact_casper_facilitator_unfunded',
        });
        expect((await settleAt(unfunded, request)).body).toMatchObject({
          success: false,
          errorReason: 'invalid_exact_casper_facilitator_unfunded',
        });
        expect((await fetch(`${unfunded.url}/health`)).status).toBe(503);
      } finally {
        await unfunded.close();
      }
    });
  });

  it('reports health: block height, fee payer balance, and each token layout and nonce state', async () => {
    const response = await fetch(`${facilitator.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      networks: [
        {
          network: devnet.network,
          ok: true,
          blockHeight: expect.any(Number),
          feePayer: feePayer.publicKey,
          feePayerBalance: expect.stringMatching(/^[1-9]\d{9,}$/),
          tokens: [
            { asset: token.packageHash, layout: 'amount-u64', nonces: 'used_nonces' },
            { asset: valueU64.packageHash, layout: 'value-u64', nonces: 'used_nonces' },
            { asset: amountU256.packageHash, layout: 'amount-u256', nonces: 'used_nonces' },
            { asset: odraLike.packageHash, layout: 'amount-u256', nonces: 'odra-state' },
          ],
        },
      ],
    });
  });
});

describe('a transaction the chain reverts', () => {
  it('records the revert reason as the final result', async () => {
    const chain = await startDevnet({ port: 0, blockTimeMs: 0 });
    const own = await startFacilitator(
      parseConfig(
        rawConfig({
          database: join(dir, 'revert.sqlite'),
          network: chain.network,
          rpcUrl: chain.rpcUrl,
          feePayer: feePayer.secretKey,
          assets: [asset(chain.tokens[0]!)],
          extra: { pollIntervalMs: 25, settleTimeoutMs: 300 },
        }),
      ),
    );
    try {
      const t = chain.tokens[0]!;
      const request = await paymentFor(
        alice.secretKey,
        requirementsFor(chain.network, t, merchantAddress, '10'),
      );
      const pending = await settleAt(own, request);
      expect(pending.body.errorReason).toBe('settlement_pending');
      // The block comes after the authorization expired.
      await rpcResult(chain.rpcUrl, 'devnet_increaseTime', { seconds: 3600 });
      await rpcResult(chain.rpcUrl, 'devnet_mine');
      expect(await executionOf(chain.rpcUrl, pending.body.transaction as string)).toMatchObject({
        error_message: 'User error: 37001',
      });
      const final = await settleUntilFinal(own, request);
      expect(final.body).toEqual({
        success: false,
        errorReason: 'invalid_exact_casper_payload_expired',
        errorMessage: 'the transaction reverted: User error: 37001',
        payer: aliceAddress,
        transaction: '',
        network: chain.network,
      });
      expect(await tokenBalance(chain, t, merchantAddress)).toBe(0n);
      // Final: later settles, several at once, get the same failure; nothing moves.
      const later = await Promise.all([1, 2, 3].map(() => settleAt(own, request)));
      for (const answer of later) expect(answer.body).toEqual(final.body);
      await rpcResult(chain.rpcUrl, 'devnet_mine');
      expect(await tokenBalance(chain, t, merchantAddress)).toBe(0n);
    } finally {
      await own.close();
      await chain.close();
    }
  });
});
