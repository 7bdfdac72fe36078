import type { InvalidReason } from '../exact/reasons.js';

/**
 * How deployed CEP-3009 tokens revert, as `User error: <code>`, and what each code means for
 * x402. They disagree:
 * - `cep3009`: the CEP's codes (Odra's CEP-3009 module), 37000–37006;
 * - `cep18x402`: the Cep18X402 proof of concept (the binary the Go reference deploys), whose
 *   own error enum starts at 1 — observed by running it.
 * Both are CEP-18 tokens: 60001 is an insufficient balance in either.
 */
export const REVERT_CODES = {
  cep3009: {
    37000: 'invalid_exact_casper_nonce_used',
    37001: 'invalid_exact_casper_payload_expired',
    37002: 'invalid_exact_casper_not_yet_valid',
    37003: 'invalid_exact_casper_invalid_signature',
    37004: 'invalid_exact_casper_public_key_mismatch',
    37006: 'invalid_exact_casper_nonce_used',
    60001: 'insufficient_funds',
  },
  cep18x402: {
    1: 'invalid_exact_casper_nonce_used',
    2: 'invalid_exact_casper_payload_expired',
    3: 'invalid_exact_casper_not_yet_valid',
    4: 'invalid_exact_casper_invalid_signature',
    5: 'invalid_exact_casper_invalid_address',
    6: 'invalid_exact_casper_public_key_mismatch',
    60001: 'insufficient_funds',
  },
} as const satisfies Record<string, Record<number, InvalidReason>>;

export type RevertFamily = keyof typeof REVERT_CODES;

/**
 * The x402 reason of a reverted settlement, from the node's error message and the token's
 * family; `invalid_transaction_state` for a code (or failure) with no better name.
 */
export function revertReason(
  errorMessage: string,
  family: RevertFamily,
): InvalidReason | 'invalid_transaction_state' {
  const code = /User error: (\d+)/.exec(errorMessage)?.[1];
  const table: Record<number, InvalidReason> = REVERT_CODES[family];
  return (code !== undefined && table[Number(code)]) || 'invalid_transaction_state';
}
