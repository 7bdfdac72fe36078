// Many valid, distinct payments made fast: the CEP-3009 digest from `shared`, the signature from
// Node's crypto (low-S normalised for secp256k1, as Casper requires), so making thousands of
// them costs the benchmark little. Plus a raw JSON-RPC call for the devnet's test controls.

import { createPrivateKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  addressOfPublicKey,
  bytesToHex,
  type ExactCasperPayload,
  exactDigest,
  KEY_TAG,
  type PaymentPayload,
  type PaymentRequirements,
  parseExactRequirements,
  type SecretKey,
} from '@x402-casper/shared';
import { requirementsFor } from '@x402-casper/testing';

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const CURVE_ORDER = secp256k1.Point.CURVE().n;

function nodePrivateKey(secretKey: SecretKey): KeyObject {
  if (secretKey.algorithm === 'ed25519') {
    return createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: base64url(secretKey.bytes),
        x: base64url(secretKey.publicKey.raw),
      },
      format: 'jwk',
    });
  }
  const point = secp256k1.Point.fromBytes(secretKey.publicKey.raw).toBytes(false);
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'secp256k1',
      d: base64url(secretKey.bytes),
      x: base64url(point.subarray(1, 33)),
      y: base64url(point.subarray(33)),
    },
    format: 'jwk',
  });
}

/** Signs a digest like Casper (see `signDigest` in shared), with Node's crypto. */
export function fastSigner(secretKey: SecretKey): (digest: Uint8Array) => string {
  const key = nodePrivateKey(secretKey);
  const tag = KEY_TAG[secretKey.algorithm].toString(16).padStart(2, '0');
  if (secretKey.algorithm === 'ed25519') {
    return (digest) => tag + sign(null, digest, key).toString('hex');
  }
  return (digest) => {
    const rs = sign('sha256', digest, { key, dsaEncoding: 'ieee-p1363' });
    const s = BigInt(`0x${rs.subarray(32).toString('hex')}`);
    const lowS = s > CURVE_ORDER / 2n ? CURVE_ORDER - s : s;
    return tag + rs.subarray(0, 32).toString('hex') + lowS.toString(16).padStart(64, '0');
  };
}

export interface PaymentRequest {
  x402Version: 2;
  paymentPayload: PaymentPayload;
  paymentRequirements: PaymentRequirements;
}

/** `count` valid payments of `requirements` by `payer`, each with its own random nonce. */
export function signedPayments(
  requirements: PaymentRequirements,
  payer: SecretKey,
  count: number,
  now = Math.floor(Date.now() / 1000),
): PaymentRequest[] {
  const exact = parseExactRequirements(requirements);
  const signDigest = fastSigner(payer);
  const from = addressOfPublicKey(payer.publicKey);
  return Array.from({ length: count }, () => {
    const authorization = {
      from,
      to: exact.payTo,
      value: exact.amount.toString(),
      validAfter: String(now - 60),
      validBefore: String(now + exact.maxTimeoutSeconds),
      nonce: bytesToHex(randomBytes(32)),
    };
    const payload: ExactCasperPayload = {
      signature: signDigest(exactDigest(exact, authorization)),
      publicKey: payer.publicKey.hex,
      authorization,
    };
    return {
      x402Version: 2,
      paymentPayload: { x402Version: 2, accepted: requirements, payload },
      paymentRequirements: requirements,
    };
  });
}

/** Requirements for `amount` of a devnet token paid to `payTo`, valid for an hour. */
export function requirementsOf(
  network: string,
  token: { name: string; decimals: number; packageHash: string },
  payTo: string,
  amount: string,
): PaymentRequirements {
  return requirementsFor(network, { ...token, domainName: token.name }, payTo, amount, 3600);
}
