import {
  addressOfPublicKey,
  bytesToHex,
  CEP18X402_USED_NONCES_FIELD,
  cancelAuthorizationDigest,
  createPaymentPayload,
  encodePaymentSignature,
  hexToBytes,
  odraNonceItemKey,
  secretKeyFromHex,
  secretKeySigner,
  signDigest,
  usedNonceItemKey,
  verifySignature,
} from '@x402-casper/shared';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { CANCEL_PAYMENT_MOTES, cancelAuthorization, cancelQuote } from '../lib/cancel.js';
import { ChainReader } from '../lib/chain.js';
import { History, type PaymentRecord } from '../lib/history.js';
import { Settlements } from '../lib/settlement.js';
import { FakeChain, vectors } from './helpers.js';

const vector = vectors.keys[0]!;
const key = secretKeyFromHex(vector.algorithm, vector.secretKeyHex);
const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);

async function signedRecord(): Promise<PaymentRecord> {
  const requirements = vectors.paymentRequirements;
  const payload = await createPaymentPayload(requirements, secretKeySigner(key), {
    now: Math.floor(NOW / 1000),
    resource: { url: 'https://shop.example/item' },
  });
  const auth = payload.payload.authorization as Record<string, string>;
  return {
    id: 'r1',
    time: NOW,
    origin: 'https://shop.example',
    requester: 'https://shop.example',
    url: 'https://shop.example/item',
    network: requirements.network,
    asset: requirements.asset,
    symbol: 'CX402',
    decimals: 6,
    knownToken: true,
    amount: requirements.amount,
    payTo: requirements.payTo,
    payer: addressOfPublicKey(key.publicKey),
    status: 'pending',
    authorization: {
      from: auth.from!,
      nonce: auth.nonce!,
      validAfter: auth.validAfter!,
      validBefore: auth.validBefore!,
    },
    paymentSignature: encodePaymentSignature(payload),
    chain: { state: 'unsettled', checkedAt: NOW },
  };
}

let chain: FakeChain;
let history: History;
let record: PaymentRecord;
const signed: Uint8Array[] = [];

const deps = () => ({
  reader: new ChainReader('http://node.test/rpc', chain.fetch),
  history,
  signDigest: async (publicKey: string, digest: Uint8Array) => {
    expect(publicKey).toBe(key.publicKey.hex);
    signed.push(digest);
    return signDigest(key, digest);
  },
  now: () => NOW,
  sleep: async () => undefined,
});

beforeEach(async () => {
  fakeBrowser.reset();
  chain = new FakeChain(NOW);
  chain.entryPoints = ['transfer_with_authorization', 'cancel_authorization', 'transfer'];
  chain.cspr.set(key.publicKey.hex, 12_500_000_000n);
  history = new History();
  record = await signedRecord();
  await history.add(record);
  signed.length = 0;
});

describe('cancelling an authorization (CEP-3009 cancel_authorization)', () => {
  it('quotes the cost first: the 3 CSPR payment and the account CSPR balance read from the chain', async () => {
    const quote = await cancelQuote(deps().reader, record);
    expect(quote).toMatchObject({
      paymentMotes: '3000000000',
      balanceMotes: '12500000000',
      enough: true,
      validUntil: Number(record.authorization!.validBefore) * 1000,
    });
    expect(chain.sent).toHaveLength(0);
    chain.cspr.set(key.publicKey.hex, 1_000_000_000n);
    expect((await cancelQuote(deps().reader, record)).enough).toBe(false);
  });

  it('says so when the token has no cancel_authorization entry point', async () => {
    chain.entryPoints = ['transfer_with_authorization'];
    await expect(cancelQuote(deps().reader, record)).rejects.toThrow(
      'This token has no cancel_authorization entry point',
    );
    await expect(cancelAuthorization(deps(), record)).rejects.toThrow(/no cancel_authorization/);
    expect(chain.sent).toHaveLength(0);
  });

  it('signs CancelAuthorization with the keyring, sends a valid TransactionV1 and reports "Cancelled on chain"', async () => {
    const itemKey = usedNonceItemKey(record.authorization!.from, record.authorization!.nonce);
    chain.onPut = () => {
      chain.used.add(itemKey);
      return null;
    };
    const outcome = await cancelAuthorization(deps(), record);
    expect(outcome.state).toBe('cancelled');
    expect(outcome.message).toBe('Cancelled on chain.');

    const [tx] = chain.sent as {
      hash: string;
      payload: {
        chain_name: string;
        initiator_addr: { PublicKey: string };
        pricing_mode: { PaymentLimited: { payment_amount: number } };
        fields: {
          args: { Named: [string, { bytes: string; cl_type: unknown }][] };
          entry_point: unknown;
        };
      };
      approvals: { signer: string; signature: string }[];
    }[];
    expect(tx!.payload.chain_name).toBe('casper-test');
    expect(tx!.payload.initiator_addr.PublicKey).toBe(key.publicKey.hex);
    expect(tx!.payload.pricing_mode.PaymentLimited.payment_amount).toBe(
      Number(CANCEL_PAYMENT_MOTES),
    );
    expect(tx!.payload.fields.entry_point).toEqual({ Custom: 'cancel_authorization' });
    const args = Object.fromEntries(tx!.payload.fields.args.Named);
    expect(Object.keys(args)).toEqual(['authorizer', 'nonce', 'public_key', 'signature']);
    expect(args.authorizer!.bytes).toBe(record.authorization!.from);
    expect(args.nonce!.bytes).toBe(`20000000${record.authorization!.nonce}`);
    const digest = cancelAuthorizationDigest({
      name: vectors.paymentRequirements.extra!.name as string,
      version: '1',
      chainName: record.network,
      contractPackageHash: record.asset,
      authorizer: record.authorization!.from,
      nonce: record.authorization!.nonce,
    });
    expect(bytesToHex(signed[0]!)).toBe(bytesToHex(digest));
    expect(verifySignature(key.publicKey, digest, args.signature!.bytes.slice(8))).toBe(true);
    // The approval signs the transaction hash, by the same account (the keyring signed both).
    expect(bytesToHex(signed[1]!)).toBe(tx!.hash);
    expect(verifySignature(key.publicKey, hexToBytes(tx!.hash), tx!.approvals[0]!.signature)).toBe(
      true,
    );

    const stored = await history.find(record.id);
    expect(stored?.cancel).toMatchObject({ state: 'cancelled', transaction: tx!.hash });
    expect(stored?.chain?.state).toBe('cancelled');
    expect(stored?.status).toBe('failed');
  });

  it('says the node error in words when the cancel reverts or is refused', async () => {
    chain.onPut = () => 'User error: 37006';
    const reverted = await cancelAuthorization(deps(), record);
    expect(reverted).toMatchObject({ state: 'failed' });
    expect(reverted.message).toContain('User error: 37006');
    expect((await history.find(record.id))?.cancel?.error).toBe('User error: 37006');

    chain.onPut = () => ({ refuse: 'the transaction was invalid: insufficient balance' });
    const refused = await cancelAuthorization(deps(), record);
    expect(refused.state).toBe('failed');
    expect(refused.message).toContain('insufficient balance');
  });

  it('follows a cancel whose answer was lost, and says so when the node never got it', async () => {
    const itemKey = usedNonceItemKey(record.authorization!.from, record.authorization!.nonce);
    chain.putFault = 'answer-lost';
    chain.onPut = () => {
      chain.used.add(itemKey);
      return null;
    };
    expect(await cancelAuthorization(deps(), record)).toMatchObject({ state: 'cancelled' });
    expect((await history.find(record.id))?.cancel?.state).toBe('cancelled');

    // The same cancel again (the same hash), this time lost on its way to a node that never had it.
    chain.used.delete(itemKey);
    chain.transactions.clear();
    await history.update(record.id, { cancel: undefined, chain: undefined, status: 'pending' });
    chain.putFault = 'lost';
    const lost = await cancelAuthorization(deps(), record);
    expect(lost.state).toBe('failed');
    expect(lost.message).toMatch(/did not reach the node/);
    expect((await history.find(record.id))?.cancel?.state).toBe('failed');
  });

  it('a cancel sent before the worker stopped is read back as cancelled, not as collected', async () => {
    const itemKey = usedNonceItemKey(record.authorization!.from, record.authorization!.nonce);
    const transaction = 'ef'.repeat(32);
    await history.update(record.id, {
      cancel: { transaction, state: 'submitted', paymentMotes: '3000000000', time: NOW },
    });
    chain.used.add(itemKey);
    chain.transactions.set(transaction, { error: null });
    const settlements = new Settlements({
      history,
      reader: async () => new ChainReader('http://node.test/rpc', chain.fetch),
      now: () => NOW,
    });
    const checked = await settlements.check(record.id);
    expect(checked?.chain?.state).toBe('cancelled');
    expect(checked?.cancel?.state).toBe('cancelled');
  });

  it('refuses to cancel a nonce that already reads used', async () => {
    chain.used.add(usedNonceItemKey(record.authorization!.from, record.authorization!.nonce));
    await expect(cancelAuthorization(deps(), record)).rejects.toThrow(/already collected/);
    expect(chain.sent).toHaveLength(0);
  });
});

describe('nonce state in Odra `state` (tokens without used_nonces)', () => {
  it('reads the item odraNonceItemKey(2, from, nonce) as a List<U8> holding the bool', async () => {
    chain.odraState = true;
    const reader = new ChainReader('http://node.test/rpc', chain.fetch);
    const from = record.authorization!.from;
    const nonce = record.authorization!.nonce;
    expect(await reader.nonceUsed(record.asset, from, nonce)).toBe(false);
    chain.used.add(odraNonceItemKey(CEP18X402_USED_NONCES_FIELD, from, nonce));
    expect(await reader.nonceUsed(record.asset, from, nonce)).toBe(true);
    expect(CEP18X402_USED_NONCES_FIELD).toBe(2);
  });

  it('still says it cannot tell when a token keeps neither dictionary', async () => {
    chain.usedNoncesKey = false;
    const reader = new ChainReader('http://node.test/rpc', chain.fetch);
    expect(
      await reader.nonceUsed(record.asset, record.authorization!.from, record.authorization!.nonce),
    ).toBeUndefined();
  });
});
