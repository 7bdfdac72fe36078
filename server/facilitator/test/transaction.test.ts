import {
  type ArgLayout,
  ENTRY_POINT,
  type ExactCasperPayload,
  generateSecretKey,
  hexToBytes,
  type KeyAlgorithm,
  verifySignature,
} from '@x402-casper/shared';
import { describe, expect, it } from 'vitest';
import {
  buildSettlementTransaction,
  signingKeyOf,
  transactionFromJson,
} from '../src/transaction.js';

const PACKAGE = '5c'.repeat(32);
const NOW = 1_763_900_000_000;

function payload(validBefore = NOW / 1000 + 300): ExactCasperPayload {
  return {
    signature: `01${'ab'.repeat(64)}`,
    publicKey: generateSecretKey('ed25519').publicKey.hex,
    authorization: {
      from: `00${'11'.repeat(32)}`,
      to: `01${'22'.repeat(32)}`,
      value: '10000',
      validAfter: String(NOW / 1000 - 60),
      validBefore: String(validBefore),
      nonce: '42'.repeat(32),
    },
  };
}

type Arg = [string, { cl_type: unknown; bytes: string }];

interface TransactionJson {
  hash: string;
  payload: {
    initiator_addr: { PublicKey: string };
    chain_name: string;
    timestamp: string;
    ttl: string;
    pricing_mode: { PaymentLimited: { payment_amount: number; gas_price_tolerance: number } };
    fields: {
      args: { Named: Arg[] };
      target: { Stored: { id: { ByPackageHash: { addr: string } } } };
      entry_point: { Custom: string };
    };
  };
  approvals: { signer: string; signature: string }[];
}

function build(layout: ArgLayout, algorithm: KeyAlgorithm = 'ed25519', p = payload()) {
  const feePayer = generateSecretKey(algorithm);
  const built = buildSettlementTransaction({
    payload: p,
    packageHash: PACKAGE,
    argLayout: layout,
    chainName: 'casper-test',
    paymentMotes: 3_000_000_000n,
    signingKey: signingKeyOf(feePayer),
    nowMs: NOW,
  });
  return { feePayer, built, json: JSON.parse(built.json) as TransactionJson };
}

describe('buildSettlementTransaction', () => {
  it('calls transfer_with_authorization on the package with CEP-3009 argument types', () => {
    const p = payload();
    const { built, json, feePayer } = build('amount-u64', 'ed25519', p);
    expect(json.payload.chain_name).toBe('casper-test');
    expect(json.payload.initiator_addr.PublicKey).toBe(feePayer.publicKey.hex);
    expect(json.payload.pricing_mode.PaymentLimited).toMatchObject({
      payment_amount: 3_000_000_000,
      gas_price_tolerance: 1,
    });
    expect(json.payload.fields.target.Stored.id.ByPackageHash.addr).toBe(PACKAGE);
    expect(json.payload.fields.entry_point.Custom).toBe(ENTRY_POINT);
    const args = Object.fromEntries(json.payload.fields.args.Named);
    expect(Object.keys(args)).toEqual([
      'from',
      'to',
      'amount',
      'valid_after',
      'valid_before',
      'nonce',
      'public_key',
      'signature',
    ]);
    expect(args.from).toEqual({ cl_type: 'Key', bytes: p.authorization.from });
    expect(args.to).toEqual({ cl_type: 'Key', bytes: p.authorization.to });
    expect(args.amount).toEqual({ cl_type: 'U256', bytes: '021027' });
    expect(args.valid_after!.cl_type).toBe('U64');
    expect(args.valid_before!.cl_type).toBe('U64');
    // u64 little-endian of validBefore.
    const before = new DataView(hexToBytes(args.valid_before!.bytes).buffer).getBigUint64(0, true);
    expect(before).toBe(BigInt(p.authorization.validBefore));
    expect(args.nonce).toEqual({
      cl_type: { List: 'U8' },
      bytes: `20000000${p.authorization.nonce}`,
    });
    expect(args.public_key).toEqual({ cl_type: 'PublicKey', bytes: p.publicKey });
    expect(args.signature).toEqual({ cl_type: { List: 'U8' }, bytes: `41000000${p.signature}` });
    expect(built.hash).toBe(json.hash);
  });

  it('passes the window as U256 in the amount-u256 layout', () => {
    const p = payload();
    const { json } = build('amount-u256', 'ed25519', p);
    const args = Object.fromEntries(json.payload.fields.args.Named);
    expect(args.valid_after!.cl_type).toBe('U256');
    expect(args.valid_before!.cl_type).toBe('U256');
    expect(args.amount!.cl_type).toBe('U256');
  });

  it('names the amount `value` in the value-u64 layout (the CEP-3009 text)', () => {
    const p = payload();
    const { json } = build('value-u64', 'ed25519', p);
    const args = Object.fromEntries(json.payload.fields.args.Named);
    expect(Object.keys(args)).toEqual([
      'from',
      'to',
      'value',
      'valid_after',
      'valid_before',
      'nonce',
      'public_key',
      'signature',
    ]);
    expect(args.value).toEqual({ cl_type: 'U256', bytes: '021027' });
    expect(args.valid_after!.cl_type).toBe('U64');
  });

  it.each(['ed25519', 'secp256k1'] as const)(
    'is approved by the %s fee payer over its hash, and survives a JSON round trip',
    (algorithm) => {
      const { built, json, feePayer } = build('amount-u64', algorithm);
      expect(json.approvals).toHaveLength(1);
      const [approval] = json.approvals;
      expect(approval!.signer).toBe(feePayer.publicKey.hex);
      expect(verifySignature(feePayer.publicKey, hexToBytes(built.hash), approval!.signature)).toBe(
        true,
      );
      const again = transactionFromJson(built.json);
      expect(again.hash.toHex()).toBe(built.hash);
    },
  );

  it('hashes the payload it carries', () => {
    const { built } = build('amount-u64');
    const tampered = JSON.parse(built.json) as TransactionJson;
    tampered.payload.chain_name = 'casper';
    expect(() => transactionFromJson(JSON.stringify(tampered))).toThrow();
    const unsigned = JSON.parse(built.json) as TransactionJson;
    unsigned.approvals = [];
    expect(() => transactionFromJson(JSON.stringify(unsigned))).toThrow(/no approval/);
  });

  it('lives until the authorization expires and no longer, thirty minutes at most', () => {
    const lasting = (seconds: number) =>
      build('amount-u64', 'ed25519', payload(NOW / 1000 + seconds));
    expect(lasting(300).built.expiresAt).toBe(NOW + 300_000);
    expect(lasting(300).json.payload.ttl).toBe('5m');
    expect(lasting(5).built.expiresAt).toBe(NOW + 5_000);
    expect(lasting(5).json.payload.ttl).toBe('5s');
    expect(lasting(86_400).built.expiresAt).toBe(NOW + 1_800_000);
    expect(build('amount-u64').json.payload.timestamp).toBe(new Date(NOW).toISOString());
  });

  it('refuses to build for an authorization that has expired', () => {
    expect(() => build('amount-u64', 'ed25519', payload(NOW / 1000))).toThrow(/expired/);
    expect(() => build('amount-u64', 'ed25519', payload(NOW / 1000 - 1))).toThrow(/expired/);
  });
});
