/**
 * Every reason `verifyPayment` and the facilitator give for an invalid payment or a failed
 * settlement, with what it means. Generic x402 v2 reasons first, then Casper `exact` ones.
 */
export const INVALID_REASONS = {
  invalid_x402_version: 'The payload or request is not x402 version 2.',
  unsupported_scheme: 'The requirements ask for a scheme other than "exact".',
  invalid_scheme: 'The payload was made for a different scheme than the requirements.',
  invalid_network:
    'The network is not a Casper CAIP-2 id, or differs between payload and requirements.',
  invalid_payload: 'The payment payload is malformed (missing or mistyped fields).',
  invalid_payment_requirements:
    'The requirements are malformed: asset, payee, amount or extra.name/version are not usable.',
  insufficient_funds: "The payer's token balance is below the amount.",
  invalid_transaction_state:
    'The settlement transaction failed on chain for a reason with no better name.',
  unexpected_verify_error:
    'The facilitator failed while verifying (e.g. the node could not be read).',
  unexpected_settle_error:
    'The facilitator failed while settling (e.g. the node refused or could not be reached).',
  settlement_pending:
    'Settlement was submitted but its block has not come yet; the answer carries the transaction hash and a later settle of the same payload returns the final result.',
  invalid_exact_casper_asset_mismatch:
    'The payload was made for a different asset (token package).',
  invalid_exact_casper_domain_mismatch:
    'The payload was made for a different signing-domain name or version (the EIP-712 domain the token signs with).',
  invalid_exact_casper_payto_mismatch: 'The authorization pays someone other than the payee.',
  invalid_exact_casper_amount_mismatch: 'The authorized value is not exactly the amount asked.',
  invalid_exact_casper_invalid_address: 'An authorization address is not 00/01 + 64 hex digits.',
  invalid_exact_casper_invalid_value: 'The authorized value is not a positive U256 decimal.',
  invalid_exact_casper_invalid_nonce: 'The nonce is not 32 bytes (64 hex digits).',
  invalid_exact_casper_invalid_window:
    'validAfter/validBefore are not u64 decimals, or validAfter is not before validBefore.',
  invalid_exact_casper_not_yet_valid:
    'The authorization is not valid yet (validAfter is not in the past).',
  invalid_exact_casper_payload_expired:
    'The authorization expires before it could be settled (validBefore minus the settlement margin).',
  invalid_exact_casper_invalid_public_key:
    'The public key is not a tagged ed25519 or secp256k1 key.',
  invalid_exact_casper_public_key_mismatch: 'The public key does not belong to the "from" account.',
  invalid_exact_casper_invalid_signature: 'The signature does not verify for this authorization.',
  invalid_exact_casper_nonce_used:
    'The nonce was already used on chain or by an earlier settlement.',
  invalid_exact_casper_unsupported_token:
    "The token cannot be settled: its transfer_with_authorization entry point, as read from the chain, takes arguments x402 cannot supply, or its package's current version is not a contract the facilitator reads (a Casper 2.x addressable entity).",
  invalid_exact_casper_unknown_asset:
    'The facilitator does not support this asset on this network.',
  invalid_exact_casper_facilitator_unfunded: 'The facilitator cannot pay the gas for settlement.',
} as const;

export type InvalidReason = keyof typeof INVALID_REASONS;

/** Whether `code` is one of our reasons (text from a database or a peer is checked with it). */
export function isInvalidReason(code: unknown): code is InvalidReason {
  return typeof code === 'string' && Object.hasOwn(INVALID_REASONS, code);
}
