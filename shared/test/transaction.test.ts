import { describe, expect, it } from 'vitest';
import {
  blake2b256,
  buildContractCall,
  bytesToHex,
  clArg,
  secretKeyFromHex,
  signTransactionV1WithKey,
  ttlToJson,
  verifySignature,
} from '../src/index.js';

const key = secretKeyFromHex('ed25519', '42'.repeat(32));
const base = {
  chainName: 'casper-test',
  initiator: key.publicKey.hex,
  packageHash: 'ab'.repeat(32),
  entryPoint: 'cancel_authorization',
  args: [['nonce', clArg.bytes(new Uint8Array([1, 2]))]] as [
    string,
    ReturnType<typeof clArg.bytes>,
  ][],
  paymentMotes: 3_000_000_000n,
  timestampMs: 1_800_000_000_000,
  ttlMs: 1_800_000,
};

describe('TransactionV1 contract call builder', () => {
  it('hashes the payload bytes with blake2b-256 and signs that hash', async () => {
    const tx = buildContractCall(base);
    expect(bytesToHex(tx.hash)).toBe(bytesToHex(blake2b256(tx.payloadBytes)));
    const json = await signTransactionV1WithKey(tx, key);
    expect(json.hash).toBe(bytesToHex(tx.hash));
    expect(json.approvals[0]!.signer).toBe(key.publicKey.hex);
    expect(verifySignature(key.publicKey, tx.hash, json.approvals[0]!.signature)).toBe(true);
  });

  it('writes node JSON: PaymentLimited, Named args, ByPackageHash, Custom entry point', () => {
    const { payloadJson } = buildContractCall(base);
    expect(payloadJson).toMatchObject({
      initiator_addr: { PublicKey: key.publicKey.hex },
      timestamp: '2027-01-15T08:00:00.000Z',
      ttl: '30m',
      chain_name: 'casper-test',
      pricing_mode: {
        PaymentLimited: {
          payment_amount: 3_000_000_000,
          gas_price_tolerance: 1,
          standard_payment: true,
        },
      },
      fields: {
        args: { Named: [['nonce', { bytes: '020000000102', cl_type: { List: 'U8' } }]] },
        entry_point: { Custom: 'cancel_authorization' },
        scheduling: 'Standard',
      },
    });
  });

  it('changes its hash with every field', () => {
    const hash = bytesToHex(buildContractCall(base).hash);
    for (const change of [
      { chainName: 'casper' },
      { entryPoint: 'other' },
      { paymentMotes: 3_000_000_001n },
      { timestampMs: base.timestampMs + 1 },
      { ttlMs: base.ttlMs + 1000 },
      { packageHash: 'ac'.repeat(32) },
    ]) {
      expect(bytesToHex(buildContractCall({ ...base, ...change }).hash)).not.toBe(hash);
    }
  });

  it('refuses malformed input', () => {
    expect(() => buildContractCall({ ...base, initiator: '01' })).toThrow(/initiator/);
    expect(() => buildContractCall({ ...base, packageHash: 'ab' })).toThrow(/packageHash/);
    expect(() => buildContractCall({ ...base, ttlMs: 0 })).toThrow(/ttlMs/);
    expect(() => buildContractCall({ ...base, args: [base.args[0]!, base.args[0]!] })).toThrow(
      /twice/,
    );
  });

  it('writes TTLs in humantime units', () => {
    expect(ttlToJson(1_800_000)).toBe('30m');
    expect(ttlToJson(7_200_000)).toBe('2h');
    expect(ttlToJson(5_400_000)).toBe('1h 30m');
    expect(ttlToJson(90_500)).toBe('1m 30s 500ms');
  });

  it('writes U256 as casper-node does: a length byte, then minimal little-endian bytes', () => {
    const hex = (value: bigint) => bytesToHex(clArg.u256(value).valueBytes);
    expect(hex(0n)).toBe('00');
    expect(hex(1n)).toBe('0101');
    expect(hex(10_000n)).toBe('021027');
    expect(hex(256n)).toBe('020001');
    expect(hex((1n << 256n) - 1n)).toBe(`20${'ff'.repeat(32)}`);
    expect(clArg.u256(5n)).toMatchObject({ typeJson: 'U256', typeBytes: Uint8Array.of(7) });
    expect(() => clArg.u256(1n << 256n)).toThrow(/U256/);
    expect(() => clArg.u256(-1n)).toThrow(/U256/);
  });
});
