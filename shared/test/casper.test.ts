import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressOfPublicKey,
  addressToFormattedKey,
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  chainNameOfNetwork,
  generateSecretKey,
  hexToBytes,
  networkOfChainName,
  normalizeAddress,
  parsePublicKey,
  secretKeyFromBytes,
  secretKeyFromHex,
  secretKeyFromPem,
  secretKeyToPem,
  signDigest,
  usedNonceItemKey,
  verifySignature,
  X402InputError,
} from '../src/index.js';
import { vectors } from './vectors.js';

const [edKey, secpKey] = vectors.keys as [(typeof vectors.keys)[0], (typeof vectors.keys)[0]];
const hash = edKey.accountHash;

describe('addresses', () => {
  it('normalises every accepted spelling', () => {
    expect(normalizeAddress(`00${hash}`)).toBe(`00${hash}`);
    expect(normalizeAddress(`00${hash.toUpperCase()}`)).toBe(`00${hash}`);
    expect(normalizeAddress(`account-hash-${hash}`)).toBe(`00${hash}`);
    expect(normalizeAddress(`hash-${hash}`)).toBe(`01${hash}`);
    expect(normalizeAddress(`01${hash}`)).toBe(`01${hash}`);
    expect(addressToFormattedKey(`00${hash}`)).toBe(`account-hash-${hash}`);
    expect(addressToFormattedKey(`01${hash}`)).toBe(`hash-${hash}`);
  });

  it.each([
    ['wrong tag', `02${hash}`],
    ['too short', `00${hash.slice(2)}`],
    ['too long', `00${hash}00`],
    ['not hex', `00${hash.slice(0, 62)}zz`],
    ['bare hash', hash],
    ['prefix without hash', 'account-hash-'],
    ['prefix with short hash', `hash-${hash.slice(1)}`],
  ])('rejects %s', (_, input) => {
    expect(() => normalizeAddress(input, 'payTo')).toThrow(X402InputError);
    expect(() => normalizeAddress(input, 'payTo')).toThrow(/^payTo: /);
  });

  it('rejects a bad nonce for the used_nonces item key', () => {
    expect(() => usedNonceItemKey(edKey.address, 'ab')).toThrow(/nonce: must be 32 bytes/);
  });
});

describe('public keys', () => {
  it.each([
    ['unknown tag', `03${edKey.publicKey.slice(2)}`, 'must start with tag 01'],
    ['ed25519 too short', edKey.publicKey.slice(0, -2), 'must be 32 bytes'],
    ['secp256k1 too short', secpKey.publicKey.slice(0, -2), 'must be 33 bytes'],
    ['odd length', edKey.publicKey.slice(0, -1), 'even number'],
    ['not hex', `01${'g'.repeat(64)}`, 'hex digits'],
    ['not on the curve', `02${'04'}${'00'.repeat(32)}`, 'not a point'],
    ['empty', '', 'must start with tag'],
  ])('rejects %s', (_, hex, message) => {
    expect(() => parsePublicKey(hex)).toThrow(message);
  });
});

describe('secret keys and signatures', () => {
  it.each(['ed25519', 'secp256k1'] as const)(
    '%s: generated keys round-trip through PEM and sign',
    (algorithm) => {
      const key = generateSecretKey(algorithm);
      const again = secretKeyFromPem(secretKeyToPem(key));
      expect(again.publicKey.hex).toBe(key.publicKey.hex);
      expect(again.algorithm).toBe(algorithm);
      const digest = hexToBytes('11'.repeat(32));
      const signature = signDigest(key, digest);
      expect(signature).toHaveLength(130);
      expect(verifySignature(key.publicKey.hex, digest, signature)).toBe(true);
      expect(verifySignature(key.publicKey.hex, hexToBytes('12'.repeat(32)), signature)).toBe(
        false,
      );
    },
  );

  it('any single-byte change to a signature fails verification (property)', () => {
    const key = secretKeyFromHex('secp256k1', secpKey.secretKeyHex);
    const digest = hexToBytes('22'.repeat(32));
    const signature = hexToBytes(signDigest(key, digest));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 1, max: 255 }),
        (index, delta) => {
          const bad = signature.slice();
          bad[index] = (bad[index]! + delta) & 0xff;
          expect(verifySignature(key.publicKey, digest, bytesToHex(bad))).toBe(false);
        },
      ),
    );
  });

  it('rejects a high-S secp256k1 signature', () => {
    const key = secretKeyFromHex('secp256k1', secpKey.secretKeyHex);
    const digest = hexToBytes('33'.repeat(32));
    const signature = hexToBytes(signDigest(key, digest));
    const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    const s = BigInt(`0x${bytesToHex(signature.subarray(33))}`);
    const highS = (n - s).toString(16).padStart(64, '0');
    expect(
      verifySignature(key.publicKey, digest, bytesToHex(signature.subarray(0, 33)) + highS),
    ).toBe(false);
  });

  it('never throws on malformed signature input', () => {
    const digest = new Uint8Array(32);
    expect(verifySignature(edKey.publicKey, digest, 'zz')).toBe(false);
    expect(verifySignature(edKey.publicKey, digest, `02${'00'.repeat(64)}`)).toBe(false);
    expect(verifySignature('nonsense', digest, `01${'00'.repeat(64)}`)).toBe(false);
    expect(verifySignature(edKey.publicKey, digest, `01${'00'.repeat(63)}`)).toBe(false);
  });

  it('rejects bad secret keys', () => {
    expect(() => secretKeyFromHex('ed25519', 'ab')).toThrow(/32 bytes/);
    expect(() => secretKeyFromHex('secp256k1', '00'.repeat(32))).toThrow(
      /not a valid secp256k1 scalar/,
    );
    expect(() => secretKeyFromBytes('rsa' as 'ed25519', new Uint8Array(32))).toThrow(/algorithm/);
  });

  it.each([
    ['no PEM block', 'just text', 'no PEM block'],
    [
      'a public key block',
      '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----',
      'not a secret key',
    ],
    [
      'an encrypted key',
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMCowBQYDK2VwAyEA\n-----END ENCRYPTED PRIVATE KEY-----',
      'encrypted keys',
    ],
    [
      'truncated DER',
      edKey.secretKeyPem.replace(
        'MC4CAQAwBQYDK2VwBCIEIAoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoK',
        'MC4CAQAwBQYDK2VwBCIE',
      ),
      'truncated',
    ],
    ['bad base64', edKey.secretKeyPem.replace('MC4C', 'M!4C'), 'base64'],
    ['an RSA key', pkcs8WithOid('06092a864886f70d010101'), 'ed25519 or secp256k1'],
    [
      'a P-256 SEC1 key',
      secpKey.secretKeyPem.replace('oAcGBSuBBAAK', 'oAcGBSuBBAAi'),
      'not on secp256k1',
    ],
  ])('rejects a PEM that is %s', (_, pem, message) => {
    expect(() => secretKeyFromPem(pem)).toThrow(message);
  });
});

/** A PKCS#8 PEM with the given algorithm OID element and a 32-byte key. */
function pkcs8WithOid(oidHex: string): string {
  const algorithm = `30${(oidHex.length / 2 + 2).toString(16).padStart(2, '0')}${oidHex}0500`;
  const key = `0422${'0420'}${'07'.repeat(32)}`;
  const body = `020100${algorithm}${key}`;
  const der = `30${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
  return `-----BEGIN PRIVATE KEY-----\n${bytesToBase64(hexToBytes(der))}\n-----END PRIVATE KEY-----\n`;
}

describe('networks', () => {
  it('maps CAIP-2 ids and chain names both ways', () => {
    expect(chainNameOfNetwork('casper:casper-test')).toBe('casper-test');
    expect(networkOfChainName('casper-net-1')).toBe('casper:casper-net-1');
    expect(() => chainNameOfNetwork('eip155:1')).toThrow(/network: /);
    expect(() => chainNameOfNetwork('casper:')).toThrow(X402InputError);
    expect(() => networkOfChainName('has space')).toThrow(/chainName: /);
  });
});

describe('bytes', () => {
  it('base64 round-trips any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
        expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      }),
    );
  });

  it('hex round-trips any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(hexToBytes(bytesToHex(bytes))).toEqual(bytes);
      }),
    );
  });

  it('rejects odd, non-hex and prefixed hex', () => {
    expect(() => hexToBytes('abc', 'nonce')).toThrow('nonce: must have an even number');
    expect(() => hexToBytes('0xab', 'nonce')).toThrow('nonce: must contain only hex digits');
    expect(() => hexToBytes('abcd', 'nonce', 3)).toThrow('nonce: must be 3 bytes');
  });

  it('maps every address to the same account through its public key (ed25519 and secp256k1)', () => {
    for (const k of vectors.keys) expect(addressOfPublicKey(k.publicKey)).toBe(k.address);
  });
});
