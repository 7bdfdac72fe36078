// shared's browser-safe TransactionV1 builder against casper-js-sdk 5.0.12: the same call
// gives the same JSON, the same hash, and the SDK accepts ours.
import { createRequire } from 'node:module';
import {
  addressOfPublicKey,
  buildContractCall,
  bytesToHex,
  clArg,
  type SecretKey,
  secretKeyFromHex,
  signTransactionV1WithKey,
  ttlToJson,
  verifySignature,
} from '@x402-casper/shared';
import { describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: casper-js-sdk's shipped types do not compile here.
const casper = createRequire(import.meta.url)('casper-js-sdk') as any;

const PACKAGE = '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52';
const TIMESTAMP = Date.parse('2026-12-01T09:51:43.566Z');
const keys: SecretKey[] = [
  secretKeyFromHex('ed25519', '42'.repeat(32)),
  secretKeyFromHex('secp256k1', '43'.repeat(32)),
];

function sdkKey(key: SecretKey) {
  return casper.PrivateKey.fromHex(
    bytesToHex(key.bytes),
    key.algorithm === 'ed25519' ? casper.KeyAlgorithm.ED25519 : casper.KeyAlgorithm.SECP256K1,
  );
}

function cancelCall(key: SecretKey, ttlMs: number, payment: bigint) {
  const authorizer = addressOfPublicKey(key.publicKey);
  const nonce = new Uint8Array(32).fill(0xab);
  const signature = new Uint8Array(65).fill(0x01);
  const ours = buildContractCall({
    chainName: 'casper-net-1',
    initiator: key.publicKey.hex,
    packageHash: PACKAGE,
    entryPoint: 'cancel_authorization',
    args: [
      ['authorizer', clArg.key(authorizer)],
      ['nonce', clArg.bytes(nonce)],
      ['public_key', clArg.publicKey(key.publicKey.hex)],
      ['signature', clArg.bytes(signature)],
    ],
    paymentMotes: payment,
    timestampMs: TIMESTAMP,
    ttlMs,
  });
  const { CLValue, Args, Key, PublicKey, CLTypeUInt8 } = casper;
  const list = (bytes: Uint8Array) =>
    CLValue.newCLList(
      CLTypeUInt8,
      [...bytes].map((b) => CLValue.newCLUint8(b)),
    );
  const sdkTx = new casper.ContractCallBuilder()
    .from(sdkKey(key).publicKey)
    .byPackageHash(PACKAGE)
    .entryPoint('cancel_authorization')
    .runtimeArgs(
      Args.fromMap({
        authorizer: CLValue.newCLKey(Key.newKey(`account-hash-${authorizer.slice(2)}`)),
        nonce: list(nonce),
        public_key: CLValue.newCLPublicKey(PublicKey.fromHex(key.publicKey.hex)),
        signature: list(signature),
      }),
    )
    .chainName('casper-net-1')
    .timestamp(new casper.Timestamp(new Date(TIMESTAMP)))
    .ttl(ttlMs)
    .payment(Number(payment), 1)
    .build();
  return { ours, sdkTx };
}

describe('shared TransactionV1 builder matches casper-js-sdk', () => {
  it.each(
    keys.flatMap((key) => [1_800_000, 7_200_000, 5_400_000].map((ttl) => [key, ttl] as const)),
  )(
    'a cancel_authorization call by package hash (%s, ttl %s ms): same payload JSON and hash',
    async (key, ttl) => {
      const { ours, sdkTx } = cancelCall(key, ttl, 3_000_000_000n);
      const sdkJson = sdkTx.toJSON() as { hash: string; payload: unknown };
      expect(ours.payloadJson).toEqual(sdkJson.payload);
      expect(bytesToHex(ours.hash)).toBe(sdkTx.hash.toHex());
      expect(bytesToHex(ours.hash)).toBe(sdkJson.hash);
    },
  );

  it.each(keys)(
    'signed with our key, casper-js-sdk accepts it (fromJSON + validate)',
    async (key) => {
      const { ours, sdkTx } = cancelCall(key, 1_800_000, 3_000_000_000n);
      const json = await signTransactionV1WithKey(ours, key);
      expect(verifySignature(key.publicKey, ours.hash, json.approvals[0]!.signature)).toBe(true);
      const parsed = casper.Transaction.fromJSON(json);
      expect(parsed.validate()).toBe(true);
      expect(parsed.hash.toHex()).toBe(json.hash);
      const v1 = casper.TransactionV1.fromJSON(json);
      expect(v1.approvals).toHaveLength(1);
      // The SDK's own signature over the same hash verifies under our check too.
      sdkTx.sign(sdkKey(key));
      const sdkJson = sdkTx.toJSON() as { approvals: { signer: string; signature: string }[] };
      expect(sdkJson.approvals[0]!.signer).toBe(json.approvals[0]!.signer);
      expect(verifySignature(key.publicKey, ours.hash, sdkJson.approvals[0]!.signature)).toBe(true);
    },
  );

  it('a tampered payload is refused by casper-js-sdk (hash mismatch)', async () => {
    const { ours } = cancelCall(keys[0]!, 1_800_000, 3_000_000_000n);
    const json = await signTransactionV1WithKey(ours, keys[0]!);
    const tampered = structuredClone(json) as typeof json & { payload: { chain_name: string } };
    tampered.payload.chain_name = 'casper';
    expect(() => casper.Transaction.fromJSON(tampered)).toThrow();
  });

  it('writes TTLs the way the SDK reads them', () => {
    for (const ms of [1_000, 60_000, 1_800_000, 5_400_000, 7_200_000, 90_500]) {
      expect(casper.Duration.fromJSON(ttlToJson(ms)).duration).toBe(ms);
    }
  });
});
