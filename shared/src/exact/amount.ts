import { X402InputError } from '../errors.js';
import { parseUint, U256_MAX } from '../uint.js';

const DECIMAL_AMOUNT = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** The most decimals a token amount may have here. */
export const MAX_DECIMALS = 36;

/** Whether `decimals` is a whole number from 0 to MAX_DECIMALS. */
export const isDecimals = (decimals: number): boolean =>
  Number.isInteger(decimals) && decimals >= 0 && decimals <= MAX_DECIMALS;

function checkDecimals(decimals: number): void {
  if (!isDecimals(decimals)) {
    throw new X402InputError('decimals', `must be a whole number from 0 to ${MAX_DECIMALS}`);
  }
}

/**
 * Token units → atomic units: `parseAmount("0.01", 6)` is `10000n`. Rejects signs, exponents,
 * separators, and more fractional digits than the token has.
 */
export function parseAmount(text: string, decimals: number, field = 'amount'): bigint {
  checkDecimals(decimals);
  const match = typeof text === 'string' ? DECIMAL_AMOUNT.exec(text) : null;
  if (!match) {
    throw new X402InputError(
      field,
      'must be a plain decimal number like "0.01" (no sign or exponent)',
    );
  }
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    throw new X402InputError(field, `has more than ${decimals} decimal places`);
  }
  const atomic = BigInt(match[1]! + fraction.padEnd(decimals, '0'));
  if (atomic > U256_MAX) throw new X402InputError(field, 'is too large for a U256');
  return atomic;
}

/** Atomic units → token units without trailing zeros: `formatAmount(10000n, 6)` is `"0.01"`. */
export function formatAmount(atomic: bigint | string, decimals: number, field = 'amount'): string {
  checkDecimals(decimals);
  const digits = parseUint(atomic, field)
    .toString()
    .padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}
