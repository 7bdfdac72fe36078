import { createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  authorizationDigest,
  createPaymentPayload,
  domainSeparator,
  type ExactCasperPayload,
  exactPayloadOf,
  generateSecretKey,
  type KeyAlgorithm,
  type PaymentRequirements,
  parsePublicKey,
  secretKeySigner,
  transferWithAuthorizationDigest,
  verifyPayment,
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

/** SPKI DER prefixes of a raw ed25519 key and of a compressed secp256k1 point. */
const SPKI_PREFIX: Record<KeyAlgorithm, Buffer> = {
  ed25519: Buffer.from('302a300506032b6570032100', 'hex'),
  secp256k1: Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex'),
};

/** The public key imported into OpenSSL from its raw bytes, as a request handler would. */
function importedKey(publicKeyHex: string): KeyObject {
  const key = parsePublicKey(publicKeyHex);
  return createPublicKey({
    key: Buffer.concat([SPKI_PREFIX[key.algorithm], key.raw]),
    format: 'der',
    type: 'spki',
  });
}

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

const CURVE_ORDER = secp256k1.Point.CURVE().n;

/** The same secp256k1 signature with S replaced by n − S (valid ECDSA, refused by Casper). */
function highS(signatureHex: string): string {
  const s = BigInt(`0x${signatureHex.slice(66)}`);
  return signatureHex.slice(0, 66) + (CURVE_ORDER - s).toString(16).padStart(64, '0');
}

export interface CryptoFigures {
  rates: Record<string, Rate>;
  /** Whether each verifier accepts a high-S secp256k1 signature (Casper requires low S). */
  acceptsHighS: { noble: boolean; nodeCrypto: boolean };
}

/**
 * Single-core rate of digest + signature verification, with @noble/curves and with Node's
 * crypto (key imported once, and per call), and of the parts around it: the digest alone and
 * shared's verifyPayment (every off-chain rule, as /verify runs it).
 */
export async function cryptoLimit(): Promise<CryptoFigures> {
  const results: Record<string, Rate> = {};
  let acceptsHighS = { noble: true, nodeCrypto: true };
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
    results[`${algorithm} node:crypto, key imported per call`] = measure(() => {
      const payload = payloads[i++ % payloads.length]!;
      const exact = exactPayloadOf(payload);
      const signature = Buffer.from(exact.signature, 'hex').subarray(1);
      const digest = authorizationDigest(payload);
      const callKey = importedKey(exact.publicKey);
      const ok =
        algorithm === 'ed25519'
          ? nodeVerify(null, digest, callKey, signature)
          : nodeVerify('sha256', digest, { key: callKey, dsaEncoding: 'ieee-p1363' }, signature);
      if (!ok) throw new Error('bad signature');
    });
    results[`${algorithm} shared verifyPayment (all off-chain rules)`] = measure(() => {
      const payload = payloads[i++ % payloads.length]!;
      if (!verifyPayment(payload, requirements).isValid) throw new Error('invalid payment');
    });
    if (algorithm === 'secp256k1') {
      const payload = payloads[0]!;
      const exact = exactPayloadOf(payload);
      const flipped = highS(exact.signature);
      const digest = authorizationDigest(payload);
      acceptsHighS = {
        noble: verifySignature(exact.publicKey, digest, flipped),
        nodeCrypto: nodeVerify(
          'sha256',
          digest,
          { key, dsaEncoding: 'ieee-p1363' },
          Buffer.from(flipped, 'hex').subarray(1),
        ),
      };
    }
  }
  const payload = (
    await createPaymentPayload(requirements, secretKeySigner(generateSecretKey('ed25519')))
  ).payload as ExactCasperPayload;
  let n = 0;
  results['CEP-3009 digest alone (keccak, @noble/hashes)'] = measure(() => {
    transferWithAuthorizationDigest({
      name: 'Casper x402 Token',
      version: '1',
      chainName: requirements.network,
      contractPackageHash: requirements.asset,
      ...payload.authorization,
      value: String(n++),
    });
  });
  results['CEP-3009 domain separator alone (cacheable per asset)'] = measure(() => {
    domainSeparator('Casper x402 Token', '1', requirements.network, requirements.asset);
  });
  return { rates: results, acceptsHighS };
}
