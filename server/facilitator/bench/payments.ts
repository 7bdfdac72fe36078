// Many valid, distinct payments made fast: the CEP-3009 digest from `shared`, the signature by
// the facilitator's own node:crypto signer (low-S secp256k1, as Casper requires), so making
// thousands of them costs the benchmark little.

import { randomBytes } from 'node:crypto';
import {
  addressOfPublicKey,
  bytesToHex,
  type ExactCasperPayload,
  exactDigest,
  type PaymentPayload,
  type PaymentRequirements,
  parseExactRequirements,
  type SecretKey,
} from '@x402-casper/shared';
import { requirementsFor } from '@x402-casper/testing';
import { digestSignerOf } from '../src/signature.js';

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
  const signer = digestSignerOf(payer);
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
      signature: signer.sign(exactDigest(exact, authorization)),
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
