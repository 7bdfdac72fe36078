import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  CANCEL_AUTHORIZATION_TYPE,
  CANCEL_AUTHORIZATION_TYPE_HASH,
  cancelAuthorizationDigest,
  domainSeparator,
  hexToBytes,
  secretKeyFromHex,
  signDigest,
  verifySignature,
} from '../src/index.js';

const text = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const input = {
  name: 'Cep18x402',
  version: '1',
  chainName: 'casper:casper-test',
  contractPackageHash: '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52',
  authorizer: `00${'11'.repeat(32)}`,
  nonce: 'ab'.repeat(32),
};

describe('CEP-3009 CancelAuthorization digest', () => {
  it('has the CEP type string and its type hash 158b0a9e…7429', () => {
    expect(CANCEL_AUTHORIZATION_TYPE).toBe('CancelAuthorization(address authorizer,bytes32 nonce)');
    const hash = bytesToHex(CANCEL_AUTHORIZATION_TYPE_HASH);
    expect(hash.startsWith('158b0a9e')).toBe(true);
    expect(hash.endsWith('7429')).toBe(true);
  });

  it('is keccak256(0x1901 ‖ Casper domain ‖ keccak256(type hash ‖ keccak256(33-byte authorizer) ‖ nonce))', () => {
    const domain = keccak_256(
      cat(
        keccak_256(
          text(
            'EIP712Domain(string name,string version,string chain_name,bytes32 contract_package_hash)',
          ),
        ),
        keccak_256(text(input.name)),
        keccak_256(text(input.version)),
        keccak_256(text(input.chainName)),
        hexToBytes(input.contractPackageHash),
      ),
    );
    expect(bytesToHex(domain)).toBe(
      bytesToHex(
        domainSeparator(input.name, input.version, input.chainName, input.contractPackageHash),
      ),
    );
    const struct = keccak_256(
      cat(
        keccak_256(text('CancelAuthorization(address authorizer,bytes32 nonce)')),
        keccak_256(hexToBytes(input.authorizer)),
        hexToBytes(input.nonce),
      ),
    );
    const expected = keccak_256(cat(new Uint8Array([0x19, 0x01]), domain, struct));
    const digest = cancelAuthorizationDigest(input);
    expect(bytesToHex(digest)).toBe(bytesToHex(expected));
    // Pinned, so a change to the encoding shows up here.
    expect(bytesToHex(digest)).toMatchInlineSnapshot(
      `"744e41c243f97167ebdcd860fbaa27d52c866d456bd70875fa9145cc32541522"`,
    );
  });

  it('changes with the authorizer, the nonce and the domain', () => {
    const base = bytesToHex(cancelAuthorizationDigest(input));
    expect(
      bytesToHex(cancelAuthorizationDigest({ ...input, authorizer: `01${'11'.repeat(32)}` })),
    ).not.toBe(base);
    expect(bytesToHex(cancelAuthorizationDigest({ ...input, nonce: 'ac'.repeat(32) }))).not.toBe(
      base,
    );
    expect(bytesToHex(cancelAuthorizationDigest({ ...input, name: 'Other' }))).not.toBe(base);
    expect(
      bytesToHex(cancelAuthorizationDigest({ ...input, chainName: 'casper:casper' })),
    ).not.toBe(base);
  });

  it('refuses a malformed authorizer or nonce', () => {
    expect(() => cancelAuthorizationDigest({ ...input, authorizer: '11'.repeat(32) })).toThrow(
      /authorizer/,
    );
    expect(() => cancelAuthorizationDigest({ ...input, nonce: 'ab'.repeat(31) })).toThrow(/nonce/);
  });

  it('signs and verifies like any digest', () => {
    const key = secretKeyFromHex('ed25519', '42'.repeat(32));
    const digest = cancelAuthorizationDigest(input);
    expect(verifySignature(key.publicKey, digest, signDigest(key, digest))).toBe(true);
  });
});
