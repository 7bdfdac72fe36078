// A token whose used nonces the facilitator cannot read (the devnet's `nonce_storage: hidden`:
// no `used_nonces` dictionary, no Odra state, nothing under any named key), against a real
// devnet behind a recording RPC proxy: /verify relies on the ledger and the contract, /health
// says the nonces are unreadable, settlement works, a replay is refused by the ledger or, once
// the ledger cannot know, by the contract, and an unsent settlement is concluded without
// reading a nonce.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import {
  type DeployedToken,
  deployToken,
  executionOf,
  FaultyProxy,
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
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Facilitator, startFacilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { Engine, partsOf } from '../src/engine.js';
import { EXPIRY_GRACE_MS } from '../src/settle.js';
import { reserveUnsent, settleDirectly } from './helpers.js';

const dir = tempDir('hidden-nonces');
const [feePayer, merchant, alice, bob] = defaultDevAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
const aliceAddress = addressOfPublicKey(alice.publicKey);
const silent = { info: () => {}, warn: () => {}, error: () => {} };
let devnet: Devnet;
let proxy: FaultyProxy;
let token: DeployedToken;
let facilitator: Facilitator & { url: string };
let databases = 0;
const engines: Engine[] = [];

const asset = (): RawAsset => ({
  packageHash: token.packageHash,
  domainName: token.domainName,
  decimals: token.decimals,
  symbol: token.symbol,
});

/** A facilitator's config on a fresh ledger file, reading the chain through the proxy. */
const config = (extra: Record<string, unknown> = {}) =>
  parseConfig(
    rawConfig({
      database: join(dir, `ledger-${++databases}.sqlite`),
      network: devnet.network,
      rpcUrl: proxy.url,
      feePayer: feePayer.secretKey,
      assets: [asset()],
      extra: { pollIntervalMs: 25, settleTimeoutMs: 20_000, ...extra },
    }),
  );

const verifyAt = (f: { url: string }, body: unknown) => postJson(`${f.url}/verify`, body);
const settleAt = (f: { url: string }, body: unknown) => postJson(`${f.url}/settle`, body);
const balance = (address: string) => tokenBalance(devnet, token, address);
const payment = (amount: string) =>
  paymentFor(alice.secretKey, requirementsFor(devnet.network, token, merchantAddress, amount));
/** Dictionary reads the facilitator made since `from` (an index into the proxy's calls). */
const dictionaryReads = (from: number) =>
  proxy.calls
    .slice(from)
    .filter((call) => call.method === 'state_get_dictionary_item')
    .map(
      (call) =>
        (
          call.params as {
            dictionary_identifier: { ContractNamedKey: { dictionary_name: string } };
          }
        ).dictionary_identifier.ContractNamedKey.dictionary_name,
    );

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  proxy = new FaultyProxy(devnet.rpcUrl);
  await proxy.start();
  token = await deployToken(devnet, {
    name: 'Hidden Nonce Token',
    symbol: 'HID',
    decimals: 2,
    nonce_storage: 'hidden',
  });
  await rpcResult(devnet.rpcUrl, 'devnet_fund', {
    account: alice.publicKey,
    token: { package_hash: token.packageHash, amount: '1000000' },
  });
  facilitator = await startFacilitator(config());
});

afterEach(async () => {
  proxy.faults.clear();
  for (const engine of engines.splice(0)) await engine.close();
});

afterAll(async () => {
  await facilitator?.close();
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a token whose nonce state cannot be read', () => {
  it('is listed by /health as settleable with unreadable nonces', async () => {
    const response = await fetch(`${facilitator.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      networks: [
        {
          ok: true,
          tokens: [{ asset: token.packageHash, layout: 'amount-u64', nonces: 'unreadable' }],
        },
      ],
    });
  });

  it('verifies and settles a payment, reading balances but no nonce, then refuses its replay from the ledger', async () => {
    const request = await payment('250');
    const merchantBefore = await balance(merchantAddress);
    const from = proxy.calls.length;
    expect((await verifyAt(facilitator, request)).body).toEqual({
      isValid: true,
      payer: aliceAddress,
    });
    const settled = await whileMining(devnet.rpcUrl, settleAt(facilitator, request));
    expect(settled.body).toEqual({
      success: true,
      payer: aliceAddress,
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
      network: devnet.network,
    });
    expect(await executionOf(devnet.rpcUrl, settled.body.transaction as string)).toMatchObject({
      error_message: null,
    });
    expect(await balance(merchantAddress)).toBe(merchantBefore + 250n);
    expect(new Set(dictionaryReads(from))).toEqual(new Set(['balances']));

    // The replay: the chain cannot be asked, the ledger knows.
    expect((await verifyAt(facilitator, request)).body).toEqual({
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
      invalidMessage: `the nonce is already taken by a settlement (confirmed, transaction ${settled.body.transaction})`,
      payer: aliceAddress,
    });
    expect((await settleAt(facilitator, request)).body).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_nonce_used',
      transaction: settled.body.transaction,
    });
    expect(await balance(merchantAddress)).toBe(merchantBefore + 250n);
  });

  it('leaves a replay its ledger never saw to the contract, which reverts it as nonce_used', async () => {
    const request = await payment('40');
    // Someone else (bob pays the gas) spends the authorization directly on chain.
    const direct = await settleDirectly(
      devnet,
      token.packageHash,
      request.paymentPayload,
      bob.secretKey,
    );
    expect(await executionOf(devnet.rpcUrl, direct)).toMatchObject({ error_message: null });
    const merchantAfterDirect = await balance(merchantAddress);

    // Nothing off chain says the nonce is used, and it cannot be read: /verify passes it.
    expect((await verifyAt(facilitator, request)).body).toEqual({
      isValid: true,
      payer: aliceAddress,
    });
    const settled = await whileMining(devnet.rpcUrl, settleAt(facilitator, request));
    expect(settled.body).toEqual({
      success: false,
      errorReason: 'invalid_exact_casper_nonce_used',
      errorMessage: 'the transaction reverted: User error: 37000',
      payer: aliceAddress,
      transaction: '',
      network: devnet.network,
    });
    expect(await balance(merchantAddress)).toBe(merchantAfterDirect);
    // Now the ledger knows: the next try is refused without a transaction.
    expect((await verifyAt(facilitator, request)).body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
    });
  });

  it('concludes a settlement whose transaction never reached the node as unspent, without reading a nonce, and settles it on retry', async () => {
    const file = config();
    const engineAt = (offsetMs: number) => {
      const engine = new Engine(file, partsOf(file, silent, { now: () => Date.now() + offsetMs }));
      engines.push(engine);
      return engine;
    };
    // An hour-long authorization: its transaction (30 min TTL) expires well before it.
    const request = await paymentFor(alice.secretKey, {
      ...requirementsFor(devnet.network, token, merchantAddress, '60'),
      maxTimeoutSeconds: 3600,
    });
    const row = await reserveUnsent(engineAt(0), proxy, request);

    // Restarted past the transaction's expiry and the grace: nothing says the nonce was
    // spent and it cannot be read, so the row is released for a retry.
    const from = proxy.calls.length;
    const later = engineAt(row.expiresAt + EXPIRY_GRACE_MS + 1000 - Date.now());
    await later.start();
    await later.close();
    expect(dictionaryReads(from)).toEqual([]);
    const retrying = engineAt(0);
    expect(await retrying.ledger.byId(row.id)).toMatchObject({
      state: 'failed',
      retryable: true,
      errorReason: 'unexpected_settle_error',
    });
    const merchantBefore = await balance(merchantAddress);
    const settled = await whileMining(devnet.rpcUrl, retrying.settle(request));
    expect(settled.response).toMatchObject({ success: true, payer: aliceAddress });
    expect(settled.response.transaction).not.toBe(row.transactionHash);
    expect(await balance(merchantAddress)).toBe(merchantBefore + 60n);
  });
});
