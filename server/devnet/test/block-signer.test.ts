import { randomBytes } from 'node:crypto';
import { generateSecretKey, signDigest, verifySignature } from '@x402-casper/shared';
import { describe, expect, it } from 'vitest';
import { validatorKey } from '../src/accounts.js';
import { blockSigner } from '../src/block-signer.js';

describe('blockSigner', () => {
  it("signs a digest with the very bytes shared's signDigest makes, verifiable by the key", () => {
    for (const key of [validatorKey(), generateSecretKey('ed25519')]) {
      const signer = blockSigner(key);
      for (let i = 0; i < 20; i++) {
        const digest = randomBytes(32);
        const signature = signer(digest);
        expect(signature).toBe(signDigest(key, digest));
        expect(verifySignature(key.publicKey, digest, signature)).toBe(true);
      }
    }
  });

  it('refuses a validator key of another curve', () => {
    expect(() => blockSigner(generateSecretKey('secp256k1'))).toThrow(/ed25519/);
  });
});
