import { createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  authorizationDigest,
  createPaymentPayload,
  exactPayloadOf,
  generateSecretKey,
  type KeyAlgorithm,
  type PaymentRequirements,
  parsePublicKey,
  secretKeySigner,
  verifySignature,
} from '@x402-casper/shared';
import { measure, type Rate } from './measure.js';

const requirements: PaymentRequirements = {
  scheme: 'exact',
  network: 'casper:casper-test',
  amount: '10000',
  asset: '5c1a7b2e9d40f3a6c8e1b7d2f0a9c4e3b6d8f1a2c5e7b9d0f3a6c8e1b4d7f2a9',
  payTo: '00aecb045411527ca0eeb648bb6c531ea74b317c1f2d0a698b1cc48850ea3872d6',
  maxTimeoutSeconds: 300,
  extra: { name: 'Casper x402 Token', version: '1', decimals: 6 },
};

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** The same public key as a Node (OpenSSL) KeyObject. */
function nodeKey(publicKeyHex: string): KeyObject {
  const key = parsePublicKey(publicKeyHex);
  if (key.algorithm === 'ed25519') {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: base64url(key.raw) },
      format: 'jwk',
    });
  }
  const point = secp256k1.Point.fromBytes(key.raw).toBytes(false);
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'secp256k1',
      x: base64url(point.subarray(1, 33)),
      y: base64url(point.subarray(33)),
    },
    format: 'jwk',
  });
}

/** Single-core rate of digest + signature verification, with @noble/curves and with Node's crypto. */
export async function cryptoLimit(): Promise<Record<string, Rate>> {
  const results: Record<string, Rate> = {};
  for (const algorithm of ['ed25519', 'secp256k1'] as KeyAlgorithm[]) {
    const signer = secretKeySigner(generateSecretKey(algorithm));
    const payloads = await Promise.all(
      Array.from({ length: 64 }, () => createPaymentPayload(requirements, signer)),
    );
    const key = nodeKey(signer.publicKey);
    let i = 0;
    results[`${algorithm} noble`] = measure(() => {
      const payload = payloads[i++ % payloads.length]!;
      const { signature, publicKey } = exactPayloadOf(payload);
      if (!verifySignature(publicKey, authorizationDigest(payload), signature))
        throw new Error('bad signature');
    });
    results[`${algorithm} node:crypto`] = measure(() => {
      const payload = payloads[i++ % payloads.length]!;
      const signature = Buffer.from(exactPayloadOf(payload).signature, 'hex').subarray(1);
      const digest = authorizationDigest(payload);
      const ok =
        algorithm === 'ed25519'
          ? nodeVerify(null, digest, key, signature)
          : nodeVerify('sha256', digest, { key, dsaEncoding: 'ieee-p1363' }, signature);
      if (!ok) throw new Error('bad signature');
    });
  }
  return results;
}
