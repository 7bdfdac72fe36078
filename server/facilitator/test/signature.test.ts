import { verify as rawVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  bytesToHex,
  createPaymentPayload,
  hexToBytes,
  type KeyAlgorithm,
  type PaymentRequirements,
  parsePublicKey,
  type SecretKey,
  secretKeyFromBytes,
  secretKeyFromHex,
  secretKeySigner,
  signDigest,
  verifySignature,
} from '@x402-casper/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NetworkContext } from '../src/network.js';
import { digestSignerOf, verifySignatureNative } from '../src/signature.js';
import { checkOffChain } from '../src/verify.js';

const vectors = JSON.parse(
  readFileSync(
    new URL('../../../shared/test/fixtures/cep3009-exact.json', import.meta.url),
    'utf8',
  ),
) as {
  keys: { algorithm: KeyAlgorithm; secretKeyHex: string; address: string }[];
  digests: { digest: string; signer: string; signature: string }[];
  paymentRequirements: PaymentRequirements;
};

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/** Order of the ed25519 group. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const hex32 = (n: bigint) => n.toString(16).padStart(64, '0');
const littleEndian = (bytes: string) => BigInt(`0x${bytesToHex(hexToBytes(bytes).reverse())}`);
const toLittleEndian = (n: bigint) => bytesToHex(hexToBytes(hex32(n)).reverse());

/** The same signature with s replaced by n − s (secp256k1) or S + L (ed25519): valid for OpenSSL's bare check, refused by Casper. */
function malleated(algorithm: KeyAlgorithm, signature: string): string {
  const tag = signature.slice(0, 2);
  const r = signature.slice(2, 66);
  const s = signature.slice(66);
  if (algorithm === 'secp256k1') return `${tag}${r}${hex32(N - BigInt(`0x${s}`))}`;
  return `${tag}${r}${toLittleEndian(littleEndian(s) + L)}`;
}

const secretKey = fc
  .record({
    algorithm: fc.constantFrom<KeyAlgorithm>('ed25519', 'secp256k1'),
    scalar: fc.bigInt(1n, N - 1n),
  })
  .map(({ algorithm, scalar }) => secretKeyFromBytes(algorithm, hexToBytes(hex32(scalar))));
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Both verifiers give the same answer, and it is `expected`. */
function agree(key: SecretKey, message: Uint8Array, signature: string, expected: boolean) {
  const noble = verifySignature(key.publicKey, message, signature);
  const native = verifySignatureNative(key.publicKey, message, signature);
  expect({ noble, native }).toEqual({ noble: expected, native: expected });
}

describe('verifySignatureNative (node:crypto) agrees with shared verifySignature (noble)', () => {
  it('on the vectors, their single-byte tamperings and their malleated twins', () => {
    for (const { digest: d, signer, signature } of vectors.digests) {
      const key = parsePublicKey(signer);
      const message = hexToBytes(d);
      expect(verifySignatureNative(key, message, signature)).toBe(true);
      expect(verifySignature(key, message, signature)).toBe(true);
      const twin = malleated(key.algorithm, signature);
      expect(verifySignatureNative(key, message, twin)).toBe(false);
      expect(verifySignature(key, message, twin)).toBe(false);
      for (let i = 0; i < 65; i++) {
        const bytes = hexToBytes(signature);
        bytes[i] = (bytes[i] ?? 0) ^ 0x01;
        expect(verifySignatureNative(key, message, bytesToHex(bytes)), `byte ${i}`).toBe(false);
      }
    }
  });

  it('on random keys and digests: valid, tampered, wrong key, wrong tag, wrong length, malleated (property)', () => {
    fc.assert(
      fc.property(
        secretKey,
        secretKey,
        digest,
        fc.nat(64),
        fc.integer({ min: 1, max: 255 }),
        fc.nat(31),
        (key, other, message, at, flip, digestAt) => {
          const signature = signDigest(key, message);
          agree(key, message, signature, true);

          const bytes = hexToBytes(signature);
          bytes[at] = (bytes[at] ?? 0) ^ flip;
          agree(key, message, bytesToHex(bytes), false);

          const changed = message.slice();
          changed[digestAt] = (changed[digestAt] ?? 0) ^ flip;
          agree(key, changed, signature, false);

          agree(other, message, signature, other.publicKey.hex === key.publicKey.hex);

          const otherTag = key.algorithm === 'ed25519' ? '02' : '01';
          agree(key, message, `${otherTag}${signature.slice(2)}`, false);
          agree(key, message, signature.slice(0, -2), false);
          agree(key, message, `${signature}00`, false);

          agree(key, message, malleated(key.algorithm, signature), false);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('refuses the high-S twin that OpenSSL alone would accept', () => {
    const key = secretKeyFromHex('secp256k1', vectors.keys[1]!.secretKeyHex);
    const message = new Uint8Array(32).fill(7);
    const twin = malleated('secp256k1', signDigest(key, message));
    const spki = Buffer.concat([
      Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex'),
      key.publicKey.raw,
    ]);
    const bareOpenSsl = rawVerify(
      'sha256',
      message,
      { key: spki, format: 'der', type: 'spki', dsaEncoding: 'ieee-p1363' },
      hexToBytes(twin).subarray(1),
    );
    expect(bareOpenSsl).toBe(true);
    expect(verifySignatureNative(key.publicKey, message, twin)).toBe(false);
  });

  it('refuses out-of-range scalars and malformed signatures without throwing', () => {
    const key = secretKeyFromHex('secp256k1', vectors.keys[1]!.secretKeyHex);
    const message = new Uint8Array(32).fill(9);
    const signature = signDigest(key, message);
    const r = signature.slice(2, 66);
    const s = signature.slice(66);
    for (const bad of [
      `02${hex32(0n)}${s}`,
      `02${r}${hex32(0n)}`,
      `02${hex32(N)}${s}`,
      `02${r}${hex32(N)}`,
      `02${r}${hex32(N - 1n)}`,
      `02${'ff'.repeat(64)}`,
      `0x${signature.slice(2)}`,
      `${signature.slice(0, -1)}g`,
      signature.slice(0, -1),
      '',
      12 as unknown as string,
      undefined as unknown as string,
    ]) {
      expect(verifySignatureNative(key.publicKey, message, bad), String(bad)).toBe(false);
    }
    expect(verifySignatureNative(key.publicKey, message, signature.toUpperCase())).toBe(true);
  });

  it('keeps verifying correctly once more keys than it caches have been seen', () => {
    const keys = Array.from({ length: 1100 }, (_, i) =>
      secretKeyFromBytes('ed25519', hexToBytes(hex32(BigInt(i + 1)))),
    );
    const message = new Uint8Array(32).fill(3);
    for (const key of keys) {
      expect(verifySignatureNative(key.publicKey, message, signDigest(key, message))).toBe(true);
    }
    const [first, second] = keys as [SecretKey, SecretKey];
    expect(verifySignatureNative(first.publicKey, message, signDigest(first, message))).toBe(true);
    expect(verifySignatureNative(first.publicKey, message, signDigest(second, message))).toBe(
      false,
    );
  });
});

describe('digestSignerOf (node:crypto) signs as shared signDigest does', () => {
  it('gives ed25519 signatures byte for byte equal to noble, on the vector keys and random ones', () => {
    const keys = [
      ...vectors.keys.filter((k) => k.algorithm === 'ed25519'),
      { algorithm: 'ed25519' as const, secretKeyHex: '42'.repeat(32) },
    ].map((k) => secretKeyFromHex(k.algorithm, k.secretKeyHex));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (digest) => {
        for (const key of keys) {
          expect(digestSignerOf(key).sign(digest)).toBe(signDigest(key, digest));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('gives secp256k1 signatures that shared accepts, always low-S, for the key it was made from', () => {
    const key = secretKeyFromHex(
      'secp256k1',
      vectors.keys.find((k) => k.algorithm === 'secp256k1')!.secretKeyHex,
    );
    const signer = digestSignerOf(key);
    expect(signer.publicKey).toBe(key.publicKey.hex);
    const other = secretKeyFromHex('secp256k1', '43'.repeat(32));
    // OpenSSL picks a random nonce: about half of its raw signatures are high-S before the fix.
    for (let i = 0; i < 64; i++) {
      const digest = new Uint8Array(32).fill(i);
      const signature = signer.sign(digest);
      expect(signature.slice(0, 2)).toBe('02');
      expect(BigInt(`0x${signature.slice(66)}`) <= N / 2n).toBe(true);
      expect(verifySignature(key.publicKey, digest, signature)).toBe(true);
      expect(verifySignature(other.publicKey, digest, signature)).toBe(false);
    }
  });
});

describe('checkOffChain', () => {
  it('refuses a payment carrying the high-S twin of its valid signature', async () => {
    const now = 1_800_000_000;
    const payer = secretKeyFromHex('secp256k1', vectors.keys[1]!.secretKeyHex);
    const requirements = { ...vectors.paymentRequirements, payTo: vectors.keys[2]!.address };
    const payment = await createPaymentPayload(requirements, secretKeySigner(payer), { now });
    const inner = payment.payload as { signature: string };
    const twin = {
      ...payment,
      payload: { ...inner, signature: malleated('secp256k1', inner.signature) },
    };
    const contexts = new Map([[requirements.network, {} as NetworkContext]]);
    const result = checkOffChain(
      contexts,
      { x402Version: 2, paymentPayload: twin, paymentRequirements: requirements },
      { now, settlementMarginSeconds: 30 },
    );
    expect(result).toMatchObject({
      ok: false,
      response: { isValid: false, invalidReason: 'invalid_exact_casper_invalid_signature' },
    });
  });
});
