import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '../bytes.js';
import { X402InputError } from '../errors.js';

export type KeyAlgorithm = 'ed25519' | 'secp256k1';

/** Casper's tag byte for each algorithm, on public keys and on signatures. */
export const KEY_TAG: Record<KeyAlgorithm, number> = { ed25519: 0x01, secp256k1: 0x02 };
const RAW_PUBLIC_KEY_LENGTH: Record<KeyAlgorithm, number> = { ed25519: 32, secp256k1: 33 };

export interface PublicKey {
  algorithm: KeyAlgorithm;
  /** Key bytes without the tag. */
  raw: Uint8Array;
  /** Tag + key bytes, lower-case hex (as Casper prints it). */
  hex: string;
}

export interface SecretKey {
  algorithm: KeyAlgorithm;
  /** The 32-byte scalar / seed. Never log it. */
  bytes: Uint8Array;
  publicKey: PublicKey;
}

export function algorithmOfTag(tag: number | undefined, field: string): KeyAlgorithm {
  if (tag === KEY_TAG.ed25519) return 'ed25519';
  if (tag === KEY_TAG.secp256k1) return 'secp256k1';
  throw new X402InputError(field, 'must start with tag 01 (ed25519) or 02 (secp256k1)');
}

export function blake2b256(bytes: Uint8Array): Uint8Array {
  return blake2b(bytes, { dkLen: 32 });
}

/**
 * Keys already found on their curve (decompressing a point costs far more than the rest of a
 * parse, and the same few keys come again and again: fee payers, regular payers).
 */
const ON_CURVE = new Set<string>();
const MAX_ON_CURVE = 1024;

/** Parses a tagged Casper public key (`01` + 32 bytes or `02` + 33 bytes compressed). */
export function parsePublicKey(hex: string, field = 'publicKey'): PublicKey {
  const bytes = hexToBytes(hex, field);
  const algorithm = algorithmOfTag(bytes[0], field);
  const raw = bytes.subarray(1);
  if (raw.length !== RAW_PUBLIC_KEY_LENGTH[algorithm]) {
    throw new X402InputError(
      field,
      `${algorithm} public key must be ${RAW_PUBLIC_KEY_LENGTH[algorithm]} bytes after its tag`,
    );
  }
  const normalized = bytesToHex(bytes);
  if (!ON_CURVE.has(normalized)) {
    try {
      if (algorithm === 'ed25519') ed25519.Point.fromBytes(raw);
      else secp256k1.Point.fromBytes(raw);
    } catch {
      throw new X402InputError(field, `is not a point on the ${algorithm} curve`);
    }
    if (ON_CURVE.size >= MAX_ON_CURVE) ON_CURVE.clear();
    ON_CURVE.add(normalized);
  }
  return { algorithm, raw: raw.slice(), hex: normalized };
}

/** Account hash = blake2b-256(algorithm name ‖ 0x00 ‖ raw public key), hex. */
export function accountHashOf(publicKey: PublicKey | string): string {
  const key = typeof publicKey === 'string' ? parsePublicKey(publicKey) : publicKey;
  const preimage = concatBytes(utf8ToBytes(key.algorithm), new Uint8Array([0]), key.raw);
  return bytesToHex(blake2b256(preimage));
}

function publicKeyOf(algorithm: KeyAlgorithm, secret: Uint8Array): PublicKey {
  const raw =
    algorithm === 'ed25519' ? ed25519.getPublicKey(secret) : secp256k1.getPublicKey(secret, true);
  return {
    algorithm,
    raw,
    hex: bytesToHex(concatBytes(new Uint8Array([KEY_TAG[algorithm]]), raw)),
  };
}

/** A secret key from its 32 raw bytes (ed25519 seed or secp256k1 scalar). */
export function secretKeyFromBytes(algorithm: KeyAlgorithm, bytes: Uint8Array): SecretKey {
  if (algorithm !== 'ed25519' && algorithm !== 'secp256k1') {
    throw new X402InputError('algorithm', 'must be ed25519 or secp256k1');
  }
  if (bytes.length !== 32) throw new X402InputError('secretKey', 'must be 32 bytes');
  if (algorithm === 'secp256k1' && !secp256k1.utils.isValidSecretKey(bytes)) {
    throw new X402InputError('secretKey', 'is not a valid secp256k1 scalar');
  }
  const copy = bytes.slice();
  return { algorithm, bytes: copy, publicKey: publicKeyOf(algorithm, copy) };
}

export function secretKeyFromHex(algorithm: KeyAlgorithm, hex: string): SecretKey {
  return secretKeyFromBytes(algorithm, hexToBytes(hex, 'secretKey', 32));
}

export function generateSecretKey(algorithm: KeyAlgorithm = 'ed25519'): SecretKey {
  const bytes =
    algorithm === 'ed25519' ? ed25519.utils.randomSecretKey() : secp256k1.utils.randomSecretKey();
  return secretKeyFromBytes(algorithm, bytes);
}

/**
 * Signs a 32-byte digest the way Casper does: ed25519 over the digest; secp256k1 ECDSA over
 * SHA-256(digest), compact low-S. Returns the tagged 65-byte signature as hex.
 */
export function signDigest(key: SecretKey, digest: Uint8Array): string {
  const signature =
    key.algorithm === 'ed25519'
      ? ed25519.sign(digest, key.bytes)
      : secp256k1.sign(digest, key.bytes, { prehash: true, lowS: true });
  return bytesToHex(concatBytes(new Uint8Array([KEY_TAG[key.algorithm]]), signature));
}

/**
 * Checks a tagged signature over `message` (the digest) by a tagged public key.
 * Returns false for any malformed input or mismatched tags; never throws.
 */
export function verifySignature(
  publicKey: PublicKey | string,
  message: Uint8Array,
  signatureHex: string,
): boolean {
  try {
    const key = typeof publicKey === 'string' ? parsePublicKey(publicKey) : publicKey;
    const signature = hexToBytes(signatureHex, 'signature', 65);
    if (signature[0] !== KEY_TAG[key.algorithm]) return false;
    const body = signature.subarray(1);
    return key.algorithm === 'ed25519'
      ? ed25519.verify(body, message, key.raw, { zip215: false })
      : secp256k1.verify(body, message, key.raw, { prehash: true, lowS: true });
  } catch {
    return false;
  }
}
