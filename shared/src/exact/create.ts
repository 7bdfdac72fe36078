import { bytesToHex } from '../bytes.js';
import { addressOfPublicKey } from '../casper/address.js';
import { verifySignature } from '../casper/keys.js';
import { X402InputError } from '../errors.js';
import type {
  ExactCasperPayload,
  PaymentPayload,
  PaymentRequirements,
  ResourceInfo,
} from '../x402/schemas.js';
import { X402_VERSION } from '../x402/schemas.js';
import { exactDigest } from './payload.js';
import { EXACT_SCHEME, parseExactRequirements } from './requirements.js';
import type { PaymentSigner } from './signer.js';

/** How far `validAfter` is set in the past, to absorb clock skew between payer and chain. */
export const VALID_AFTER_SKEW_SECONDS = 60;

export interface CreatePaymentOptions {
  /** Unix time in seconds; defaults to the clock. */
  now?: number;
  resource?: ResourceInfo;
  /** 64 hex digits; defaults to 32 fresh random bytes. Only tests should set it. */
  nonce?: string;
}

export function randomNonce(): string {
  return bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Builds a signed x402 v2 PaymentPayload for a Casper `exact` requirement: a CEP-3009
 * TransferWithAuthorization of exactly `amount` to `payTo`, valid from a minute ago until
 * `maxTimeoutSeconds` from now, under a fresh random nonce.
 */
export async function createPaymentPayload(
  requirements: PaymentRequirements,
  signer: PaymentSigner,
  options: CreatePaymentOptions = {},
): Promise<PaymentPayload> {
  if (requirements.scheme !== EXACT_SCHEME) {
    throw new X402InputError('requirements.scheme', `must be "${EXACT_SCHEME}"`);
  }
  const exact = parseExactRequirements(requirements);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const authorization = {
    from: addressOfPublicKey(signer.publicKey),
    to: exact.payTo,
    value: exact.amount.toString(),
    validAfter: String(Math.max(0, now - VALID_AFTER_SKEW_SECONDS)),
    validBefore: String(now + exact.maxTimeoutSeconds),
    nonce: options.nonce ?? randomNonce(),
  };
  const digest = exactDigest(exact, authorization);
  const signature = await signer.signDigest(digest);
  if (!verifySignature(signer.publicKey, digest, signature)) {
    throw new X402InputError('signature', 'the signer returned a signature that does not verify');
  }
  const payload: ExactCasperPayload = { signature, publicKey: signer.publicKey, authorization };
  return {
    x402Version: X402_VERSION,
    ...(options.resource ? { resource: options.resource } : {}),
    accepted: requirements,
    payload,
  };
}
