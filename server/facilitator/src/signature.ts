// Casper signatures with Node's crypto (OpenSSL), several times faster than `shared`'s pure-JS
// ones. OpenSSL accepts high-S secp256k1 signatures, which Casper refuses, so the scalars are
// range-checked here before OpenSSL sees them, and the ones made here are brought to low S.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { KEY_TAG, type PublicKey, type SecretKey, secretKeyToPem } from '@x402-casper/shared';

/** DER SubjectPublicKeyInfo up to the raw key bytes. */
const SPKI_PREFIX = {
  // SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (32 bytes) }
  ed25519: Buffer.from('302a300506032b6570032100', 'hex'),
  // SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID secp256k1 } BIT STRING (33-byte compressed point) }
  secp256k1: Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex'),
} as const;

/** Order of the secp256k1 group. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;
const SIGNATURE_HEX = /^[0-9a-fA-F]{130}$/;
const MAX_CACHED_KEYS = 1024;

const keys = new Map<string, KeyObject>();

function keyObjectOf(publicKey: PublicKey): KeyObject {
  const cached = keys.get(publicKey.hex);
  if (cached) return cached;
  const key = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX[publicKey.algorithm], publicKey.raw]),
    format: 'der',
    type: 'spki',
  });
  if (keys.size >= MAX_CACHED_KEYS) {
    const oldest = keys.keys().next().value;
    if (oldest !== undefined) keys.delete(oldest);
  }
  keys.set(publicKey.hex, key);
  return key;
}

/** r and s in [1, n − 1] and s ≤ n/2 (low-S), as Casper requires. */
function isCanonicalSecp256k1(body: Buffer): boolean {
  const r = BigInt(`0x${body.toString('hex', 0, 32)}`);
  const s = BigInt(`0x${body.toString('hex', 32, 64)}`);
  return r > 0n && r < N && s > 0n && s <= HALF_N;
}

/**
 * Checks a tagged Casper signature over `digest` by `publicKey` as `shared`'s verifySignature
 * does: ed25519 over the digest; secp256k1 ECDSA over SHA-256(digest), compact, low-S.
 * Returns false for anything malformed; never throws.
 */
export function verifySignatureNative(
  publicKey: PublicKey,
  digest: Uint8Array,
  signatureHex: string,
): boolean {
  try {
    if (typeof signatureHex !== 'string' || !SIGNATURE_HEX.test(signatureHex)) return false;
    const signature = Buffer.from(signatureHex, 'hex');
    if (signature[0] !== KEY_TAG[publicKey.algorithm]) return false;
    const body = signature.subarray(1);
    const key = keyObjectOf(publicKey);
    if (publicKey.algorithm === 'ed25519') return verify(null, digest, key, body);
    if (!isCanonicalSecp256k1(body)) return false;
    return verify('sha256', digest, { key, dsaEncoding: 'ieee-p1363' }, body);
  } catch {
    return false;
  }
}

/** Signs digests as one Casper key, its secret held in an OpenSSL key object. */
export interface DigestSigner {
  /** The signer's tagged public key hex. */
  readonly publicKey: string;
  /** A tagged signature over `digest`, as `shared`'s signDigest makes it (low-S secp256k1). */
  sign(digest: Uint8Array): string;
}

export function digestSignerOf(secretKey: SecretKey): DigestSigner {
  const { algorithm } = secretKey;
  // The key as casper-client keygen writes it (PKCS#8 or SEC 1), read by OpenSSL.
  const key = createPrivateKey(secretKeyToPem(secretKey));
  const tag = Buffer.of(KEY_TAG[algorithm]);
  return {
    publicKey: secretKey.publicKey.hex,
    sign(digest) {
      if (algorithm === 'ed25519') {
        return Buffer.concat([tag, sign(null, digest, key)]).toString('hex');
      }
      const body = sign('sha256', digest, { key, dsaEncoding: 'ieee-p1363' });
      const s = BigInt(`0x${body.toString('hex', 32, 64)}`);
      if (s > HALF_N) body.write((N - s).toString(16).padStart(64, '0'), 32, 'hex');
      return Buffer.concat([tag, body]).toString('hex');
    },
  };
}
