import { transferWithAuthorizationDigest } from '../eip712.js';
import {
  type ExactCasperPayload,
  ExactCasperPayloadSchema,
  type PaymentPayload,
} from '../x402/schemas.js';
import { checkSchema } from '../x402/validate.js';
import { parseExactRequirements } from './requirements.js';

/** The Casper `exact` part of a PaymentPayload, type-checked (formats are checked by verifyPayment). */
export function exactPayloadOf(paymentPayload: PaymentPayload): ExactCasperPayload {
  return checkSchema(ExactCasperPayloadSchema, paymentPayload.payload, 'payload');
}

/**
 * The digest an `exact` payload's signature covers, from the requirements it accepted and its
 * authorization. Throws an X402InputError for malformed fields.
 */
export function authorizationDigest(paymentPayload: PaymentPayload): Uint8Array {
  const accepted = parseExactRequirements(paymentPayload.accepted, 'accepted');
  const { authorization } = exactPayloadOf(paymentPayload);
  return transferWithAuthorizationDigest({
    name: accepted.name,
    version: accepted.version,
    chainName: accepted.network,
    contractPackageHash: accepted.asset,
    ...authorization,
  });
}
