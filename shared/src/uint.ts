import { X402InputError } from './errors.js';

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export const U64_MAX = (1n << 64n) - 1n;
export const U256_MAX = (1n << 256n) - 1n;

/**
 * A canonical unsigned decimal integer (string without sign, exponent or leading zeros,
 * or a bigint) that fits in `bits` bits.
 */
export function parseUint(value: string | bigint, field: string, bits = 256): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'string' && DECIMAL.test(value)) n = BigInt(value);
  else throw new X402InputError(field, 'must be an unsigned decimal integer string');
  if (n < 0n) throw new X402InputError(field, 'must not be negative');
  if (n >= 1n << BigInt(bits)) throw new X402InputError(field, `must fit in ${bits} bits`);
  return n;
}
