import { INVALID_REASONS } from '../exact/reasons.js';

/**
 * Reasons other facilitators give for an invalid payment or a failed settlement, with what
 * they mean, so a site and its payers get a sentence rather than a bare code:
 * - the Go reference for Casper (make-software/casper-x402, the CSPR.cloud facilitator's code
 *   base): its `invalid_exact_casper_*` codes, the short names its documentation uses for
 *   them (`verification_failed`, `build_deploy_failed`, …), and the generic codes of the
 *   upstream x402 Go facilitator it runs on;
 * - @x402/casper (x402-foundation/x402): its `invalid_exact_casper_facilitator_*` codes.
 * Codes we give ourselves are in INVALID_REASONS.
 */
export const FOREIGN_REASONS: Readonly<Record<string, string>> = Object.freeze({
  // make-software/casper-x402, x402/mechanisms/casper/exact/facilitator/errors.go
  invalid_exact_casper_unsupported_scheme: 'The payment is not for the "exact" scheme.',
  invalid_exact_casper_network_mismatch:
    'The payment was made for another network, or the facilitator does not serve this network.',
  invalid_exact_casper_malformed_payload:
    'The payment payload is malformed (missing or mistyped fields).',
  invalid_exact_casper_invalid_payto: 'The payee is not a valid Casper account address.',
  invalid_exact_casper_invalid_amount: 'The amount is missing or zero.',
  invalid_exact_casper_invalid_asset: 'The asset is not a token package hash (64 hex digits).',
  invalid_exact_casper_insufficient_time_to_settle:
    'The authorization expires too soon to be settled.',
  invalid_exact_casper_missing_token_name:
    "The requirements do not give the token's signing-domain name (extra.name).",
  invalid_exact_casper_missing_token_version:
    "The requirements do not give the token's signing-domain version (extra.version).",
  invalid_exact_casper_failed_to_hash:
    'The facilitator could not compute the digest the payer signed.',
  invalid_exact_casper_verification_failed:
    'The payment did not pass verification when the facilitator came to settle it.',
  invalid_exact_casper_build_deploy_failed:
    'The facilitator could not build the settlement transaction.',
  invalid_exact_casper_sign_deploy_failed:
    'The facilitator could not sign the settlement transaction.',
  invalid_exact_casper_put_deploy_failed:
    'The settlement transaction was refused by the node, or the node could not be reached.',
  invalid_exact_casper_wait_deploy_failed:
    'The settlement transaction failed on chain, or its result did not come in time.',
  // The same, as the Go reference's documentation names them.
  network_mismatch:
    'The payment was made for another network, or the facilitator does not serve this network.',
  malformed_payload: 'The payment payload is malformed (missing or mistyped fields).',
  pay_to_mismatch: 'The authorization pays someone other than the payee.',
  amount_mismatch: 'The authorized value is not exactly the amount asked.',
  invalid_pay_to: 'The payee is not a valid Casper account address.',
  invalid_amount: 'The amount is missing or zero.',
  invalid_asset: 'The asset is not a token package hash (64 hex digits).',
  not_yet_valid: 'The authorization is not valid yet.',
  payload_expired: 'The authorization has expired.',
  insufficient_time: 'The authorization expires too soon to be settled.',
  missing_token_name: "The requirements do not give the token's signing-domain name (extra.name).",
  missing_token_version:
    "The requirements do not give the token's signing-domain version (extra.version).",
  failed_to_hash: 'The facilitator could not compute the digest the payer signed.',
  invalid_signature: 'The signature does not verify for this authorization.',
  verification_failed:
    'The payment did not pass verification when the facilitator came to settle it.',
  build_deploy_failed: 'The facilitator could not build the settlement transaction.',
  sign_deploy_failed: 'The facilitator could not sign the settlement transaction.',
  put_deploy_failed:
    'The settlement transaction was refused by the node, or the node could not be reached.',
  wait_deploy_failed:
    'The settlement transaction failed on chain, or its result did not come in time.',
  // The upstream x402 Go facilitator (x402-foundation/x402, go/errors.go).
  invalid_version: 'The payment is not in an x402 version the facilitator supports.',
  invalid_v1_payload: 'The payment payload is malformed (x402 version 1).',
  invalid_v1_requirements: 'The payment requirements are malformed (x402 version 1).',
  invalid_v2_payload: 'The payment payload is malformed.',
  invalid_v2_requirements: 'The payment requirements are malformed.',
  no_facilitator_for_network: 'The facilitator does not serve this scheme on this network.',
  invalid_response: 'The facilitator got an answer it could not read.',
  invalid_payment: 'The payment is not valid.',
  payment_required: 'No payment was given.',
  scheme_mismatch: 'The payment was made for a different scheme than the requirements.',
  signature_invalid: 'The signature does not verify for this authorization.',
  payment_expired: 'The authorization has expired.',
  settlement_failed: 'The facilitator could not settle the payment.',
  unsupported_network: 'The facilitator does not serve this network.',
  // @x402/casper, typescript/packages/mechanisms/casper/src/exact/facilitator/scheme.ts
  invalid_exact_casper_facilitator_invalid_scheme:
    'The payment is not a well-formed Casper "exact" payment.',
  invalid_exact_casper_facilitator_network_mismatch:
    'The payment was made for another network, or the facilitator does not serve this network.',
  invalid_exact_casper_facilitator_invalid_asset:
    'The asset is not a token package hash (64 hex digits).',
  invalid_exact_casper_facilitator_invalid_payto: 'The payee is not a valid Casper address.',
  invalid_exact_casper_facilitator_invalid_payer:
    'The paying account ("from") is not a valid Casper address.',
  invalid_exact_casper_facilitator_amount_mismatch:
    'The authorized value is not exactly the amount asked.',
  invalid_exact_casper_facilitator_payto_mismatch:
    'The authorization pays someone other than the payee.',
  invalid_exact_casper_facilitator_expired:
    'The authorization has expired, or expires before the time the site allows for payment.',
  invalid_exact_casper_facilitator_not_yet_valid: 'The authorization is not valid yet.',
  invalid_exact_casper_facilitator_invalid_signature:
    'The signature does not verify for this authorization.',
  invalid_exact_casper_facilitator_non_canonical_signature:
    'The secp256k1 signature is not in its canonical (low-S) form.',
  invalid_exact_casper_facilitator_publickey_mismatch:
    'The public key does not belong to the "from" account.',
  invalid_exact_casper_facilitator_settle_failed:
    'The facilitator could not settle the payment on chain.',
  invalid_exact_casper_facilitator_missing_token_name:
    "The requirements do not give the token's signing-domain name (extra.name).",
  invalid_exact_casper_facilitator_missing_token_version:
    "The requirements do not give the token's signing-domain version (extra.version).",
  invalid_exact_casper_facilitator_failed_to_hash:
    'The facilitator could not compute the digest the payer signed.',
  invalid_exact_casper_facilitator_insufficient_balance:
    "The payer's token balance is below the amount.",
  invalid_exact_casper_facilitator_authorization_used:
    'The authorization (its nonce) was already used or cancelled.',
  invalid_exact_casper_facilitator_unsupported_asset:
    'The token does not support transfers with authorization, or the facilitator does not support it.',
  invalid_exact_casper_facilitator_speculative_execution_failed:
    'A trial run of the settlement on the node failed.',
});

/** Said of a reason no table knows. */
export const UNKNOWN_REASON =
  'The facilitator refused the payment for a reason this server does not know.';
/** Said when no reason was given. */
export const NO_REASON = 'The facilitator refused the payment without giving a reason.';

/**
 * A plain-English sentence for a reason code of ours (INVALID_REASONS) or of another
 * facilitator (FOREIGN_REASONS); a generic sentence for a code none of them knows.
 */
export function describeReason(code: string | undefined | null): string {
  if (typeof code !== 'string' || code.trim() === '') return NO_REASON;
  const key = code.trim();
  if (Object.hasOwn(INVALID_REASONS, key)) {
    return (INVALID_REASONS as Record<string, string>)[key]!;
  }
  if (Object.hasOwn(FOREIGN_REASONS, key)) return FOREIGN_REASONS[key]!;
  if (/^unsupported_version_\d+$/.test(key)) {
    return 'The payment is not in an x402 version the facilitator supports.';
  }
  return UNKNOWN_REASON;
}

/** What looks like a reason code; anything else a facilitator puts there is free text. */
const REASON_CODE = /^[A-Za-z0-9_.:-]{1,96}$/;

/** A facilitator's free text, safe to quote in one line: control characters become spaces, 300 characters at most. */
export const oneLine = (text: string): string =>
  text
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, 300);

/**
 * A facilitator's refusal in words: `<code>: <sentence> (<its message>)`, the sentence from
 * describeReason, so a payer and a site read why even for another facilitator's code. A
 * missing or odd code gives the generic sentence (an odd one is quoted with the message).
 */
export function describeRefusal(code: string | undefined, message: string | undefined): string {
  const isCode = typeof code === 'string' && REASON_CODE.test(code);
  const notes = [isCode || !code ? undefined : code, message]
    .filter((part): part is string => typeof part === 'string' && oneLine(part).length > 0)
    .map(oneLine);
  const sentence = describeReason(code);
  const detail = notes.length > 0 ? ` (${notes.join(': ')})` : '';
  return isCode ? `${code}: ${sentence}${detail}` : `${sentence}${detail}`;
}
