import { transferWithAuthorizationDigest } from '../eip712.js';
import {
  type ExactCasperPayload,
  ExactCasperPayloadSchema,
  type PaymentPayload,
} from '../x402/schemas.js';
import { checkSchema } from '../x402/validate.js';
import { type ExactRequirements, parseExactRequirements } from './requirements.js';

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
  return exactDigest(accepted, exactPayloadOf(paymentPayload).authorization);
}

/** The CEP-3009 digest of an authorization under a requirement's token domain. */
export function exactDigest(
  requirements: ExactRequirements,
  authorization: ExactCasperPayload['authorization'],
): Uint8Array {
  return transferWithAuthorizationDigest({
    name: requirements.name,
    version: requirements.version,
    chainName: requirements.network,
    contractPackageHash: requirements.asset,
    ...authorization,
  });
}
