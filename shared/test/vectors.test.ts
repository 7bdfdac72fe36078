import { describe, expect, it } from 'vitest';
import {
  accountHashOf,
  addressOfPublicKey,
  balancesItemKey,
  bytesToHex,
  DOMAIN_TYPE,
  decodePaymentSignature,
  encodePaymentSignature,
  parsePublicKey,
  secretKeyFromHex,
  secretKeyFromPem,
  secretKeyToPem,
  signDigest,
  TRANSFER_WITH_AUTHORIZATION_TYPE,
  TRANSFER_WITH_AUTHORIZATION_TYPE_HASH,
  transferWithAuthorizationDigest,
  usedNonceItemKey,
  verifyPayment,
  verifySignature,
} from '../src/index.js';
import { vectors } from './vectors.js';

describe('CEP-3009 vectors from an independent implementation', () => {
  it('has the same type strings and type hash', () => {
    expect(DOMAIN_TYPE).toBe(vectors.domainType);
    expect(TRANSFER_WITH_AUTHORIZATION_TYPE).toBe(vectors.primaryType);
    expect(bytesToHex(TRANSFER_WITH_AUTHORIZATION_TYPE_HASH)).toBe(vectors.typeHash);
  });

  it.each(vectors.digests)('digest case $case matches', ({ input, digest }) => {
    expect(bytesToHex(transferWithAuthorizationDigest(input))).toBe(digest);
  });

  it.each(vectors.digests)(
    'digest case $case: the signature verifies and ours is identical',
    (v) => {
      const digest = transferWithAuthorizationDigest(v.input);
      expect(verifySignature(v.signer, digest, v.signature)).toBe(true);
      const key = vectors.keys.find((k) => k.publicKey === v.signer)!;
      const ours = signDigest(secretKeyFromHex(key.algorithm, key.secretKeyHex), digest);
      // ed25519 is deterministic; secp256k1 uses RFC 6979 nonces, also deterministic.
      expect(ours).toBe(v.signature);
    },
  );

  it.each(vectors.keys)(
    'key $publicKey: hex, PEM, account hash, address, balances item key',
    (k) => {
      const fromHex = secretKeyFromHex(k.algorithm, k.secretKeyHex);
      const fromPem = secretKeyFromPem(k.secretKeyPem);
      expect(fromHex.publicKey.hex).toBe(k.publicKey);
      expect(fromPem.publicKey.hex).toBe(k.publicKey);
      expect(bytesToHex(fromPem.bytes)).toBe(k.secretKeyHex);
      expect(secretKeyToPem(fromHex)).toBe(k.secretKeyPem);
      expect(parsePublicKey(k.publicKey).algorithm).toBe(k.algorithm);
      expect(accountHashOf(k.publicKey)).toBe(k.accountHash);
      expect(addressOfPublicKey(k.publicKey)).toBe(k.address);
      expect(balancesItemKey(k.address)).toBe(k.balancesItemKey);
    },
  );

  it.each(vectors.usedNonceItemKeys)('used_nonces item key for $nonce', (v) => {
    expect(usedNonceItemKey(`00${v.accountHash}`, v.nonce)).toBe(v.itemKey);
  });

  it('decodes the payment header to the payload and encodes it back byte for byte', () => {
    expect(decodePaymentSignature(vectors.paymentSignatureHeader)).toEqual(vectors.paymentPayload);
    expect(encodePaymentSignature(vectors.paymentPayload)).toBe(vectors.paymentSignatureHeader);
  });

  it('verifies the whole payload inside its window, and rejects it after', () => {
    const { paymentPayload, paymentRequirements } = vectors;
    const now = 1763900100; // inside [validAfter 1763900000, validBefore 1763900300]
    expect(verifyPayment(paymentPayload, paymentRequirements, { now })).toEqual({
      isValid: true,
      payer: vectors.keys[0]!.address,
    });
    const late = verifyPayment(paymentPayload, paymentRequirements, { now: 1763900290 });
    expect(late.invalidReason).toBe('invalid_exact_casper_payload_expired');
  });
});
