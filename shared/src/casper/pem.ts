import { secp256k1 } from '@noble/curves/secp256k1.js';
import { base64ToBytes, bytesEqual, bytesToBase64, concatBytes, hexToBytes } from '../bytes.js';
import { X402InputError } from '../errors.js';
import { type SecretKey, secretKeyFromBytes } from './keys.js';

// Object identifiers, DER-encoded with their tag and length.
const OID_ED25519 = hexToBytes('06032b6570');
const OID_EC_PUBLIC_KEY = hexToBytes('06072a8648ce3d0201');
const OID_SECP256K1 = hexToBytes('06052b8104000a');

interface Tlv {
  tag: number;
  /** The whole element, tag and length included. */
  element: Uint8Array;
  value: Uint8Array;
}

/** Reads the DER elements laid one after another in `bytes`. */
function readDer(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    const start = i;
    const tag = bytes[i++]!;
    let length = bytes[i++];
    if (length === undefined) throw new X402InputError('pem', 'DER is truncated');
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count < 1 || count > 2) throw new X402InputError('pem', 'DER length is not supported');
      length = 0;
      for (let k = 0; k < count; k++) {
        const next = bytes[i++];
        if (next === undefined) throw new X402InputError('pem', 'DER is truncated');
        length = (length << 8) | next;
      }
    }
    if (i + length > bytes.length) throw new X402InputError('pem', 'DER is truncated');
    out.push({
      tag,
      element: bytes.subarray(start, i + length),
      value: bytes.subarray(i, i + length),
    });
    i += length;
  }
  return out;
}

function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new X402InputError('pem', `expected ${what}`);
  return tlv;
}

function pemBody(pem: string): { label: string; der: Uint8Array } {
  if (typeof pem !== 'string') throw new X402InputError('pem', 'must be a string');
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!match)
    throw new X402InputError('pem', 'no PEM block found (-----BEGIN …----- … -----END …-----)');
  const base64 = match[2]!.replace(/\s+/g, '');
  return { label: match[1]!, der: base64ToBytes(base64, 'pem') };
}

/** SEC1 ECPrivateKey (RFC 5915) holding a secp256k1 scalar. */
function fromSec1(der: Uint8Array): SecretKey {
  const [sequence] = readDer(der);
  const fields = readDer(expect(sequence, 0x30, 'an ECPrivateKey sequence').value);
  const version = expect(fields[0], 0x02, 'ECPrivateKey version');
  if (!bytesEqual(version.value, new Uint8Array([1]))) {
    throw new X402InputError('pem', 'ECPrivateKey version must be 1');
  }
  const scalar = expect(fields[1], 0x04, 'the private key octet string').value;
  const params = fields.find((f) => f.tag === 0xa0);
  if (params && !bytesEqual(params.value, OID_SECP256K1)) {
    throw new X402InputError('pem', 'EC key is not on secp256k1');
  }
  if (scalar.length !== 32)
    throw new X402InputError('pem', 'secp256k1 private key must be 32 bytes');
  return secretKeyFromBytes('secp256k1', scalar);
}

/** PKCS#8 PrivateKeyInfo (RFC 5208 / 5958) with an ed25519 or secp256k1 key. */
function fromPkcs8(der: Uint8Array): SecretKey {
  const [sequence] = readDer(der);
  const fields = readDer(expect(sequence, 0x30, 'a PrivateKeyInfo sequence').value);
  expect(fields[0], 0x02, 'PrivateKeyInfo version');
  const algorithm = readDer(expect(fields[1], 0x30, 'an AlgorithmIdentifier').value);
  const oid = expect(algorithm[0], 0x06, 'an algorithm OID').element;
  const privateKey = expect(fields[2], 0x04, 'the private key octet string').value;
  if (bytesEqual(oid, OID_ED25519)) {
    const [seed] = readDer(privateKey);
    const bytes = expect(seed, 0x04, 'the ed25519 seed').value;
    if (bytes.length !== 32) throw new X402InputError('pem', 'ed25519 seed must be 32 bytes');
    return secretKeyFromBytes('ed25519', bytes);
  }
  if (bytesEqual(oid, OID_EC_PUBLIC_KEY)) {
    const curve = algorithm[1];
    if (curve && !bytesEqual(curve.element, OID_SECP256K1)) {
      throw new X402InputError('pem', 'EC key is not on secp256k1');
    }
    return fromSec1(privateKey);
  }
  throw new X402InputError('pem', 'key algorithm must be ed25519 or secp256k1');
}

/**
 * Loads a Casper secret key file: PKCS#8 `PRIVATE KEY` (ed25519, or secp256k1) or SEC1
 * `EC PRIVATE KEY` (secp256k1), as `casper-client keygen` writes them.
 */
export function secretKeyFromPem(pem: string): SecretKey {
  const { label, der } = pemBody(pem);
  if (label === 'PRIVATE KEY') return fromPkcs8(der);
  if (label === 'EC PRIVATE KEY') return fromSec1(der);
  if (label === 'ENCRYPTED PRIVATE KEY') {
    throw new X402InputError('pem', 'encrypted keys are not supported; export it unencrypted');
  }
  throw new X402InputError('pem', `a "${label}" block is not a secret key`);
}

function wrapPem(label: string, der: Uint8Array): string {
  const lines = bytesToBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The PEM `casper-client keygen` would write for this key. */
export function secretKeyToPem(key: SecretKey): string {
  if (key.algorithm === 'ed25519') {
    return wrapPem(
      'PRIVATE KEY',
      concatBytes(hexToBytes('302e020100300506032b657004220420'), key.bytes),
    );
  }
  const uncompressed = secp256k1.getPublicKey(key.bytes, false);
  const der = concatBytes(
    hexToBytes('30740201010420'),
    key.bytes,
    hexToBytes('a007'),
    OID_SECP256K1,
    hexToBytes('a144034200'),
    uncompressed,
  );
  return wrapPem('EC PRIVATE KEY', der);
}
