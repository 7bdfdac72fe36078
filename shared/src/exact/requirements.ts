import { normalizeAddress, PACKAGE_HASH } from '../casper/address.js';
import { isCasperNetwork } from '../casper/network.js';
import { X402InputError } from '../errors.js';
import { parseUint } from '../uint.js';
import { type PaymentRequirements, PaymentRequirementsSchema } from '../x402/schemas.js';
import { checkSchema } from '../x402/validate.js';
import { isDecimals, MAX_DECIMALS } from './amount.js';

export const EXACT_SCHEME = 'exact';

const DECIMALS_TEXT = /^(0|[1-9][0-9]?)$/;

/**
 * A token's decimals as requirements carry them: a number (`6`) or a decimal string (`"6"`,
 * as the Go reference server sends it), from 0 to 36; `undefined` when absent. Throws an
 * X402InputError naming `field` for anything else (`"2.5"`, `"-1"`, `""`, `"0x2"`, `null`).
 */
export function parseDecimals(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  const decimals =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && DECIMALS_TEXT.test(value)
        ? Number(value)
        : Number.NaN;
  if (!isDecimals(decimals)) {
    throw new X402InputError(
      field,
      `must be a whole number from 0 to ${MAX_DECIMALS}, as a number or a decimal string like "6"`,
    );
  }
  return decimals;
}

/** What a Casper `exact` requirement means, parsed and normalised. */
export interface ExactRequirements {
  network: string;
  asset: string;
  payTo: string;
  amount: bigint;
  maxTimeoutSeconds: number;
  /** The EIP-712 signing-domain name (`extra.name`); it may differ from the CEP-18 name. */
  name: string;
  /** The signing-domain version (`extra.version`). */
  version: string;
  /** `extra.decimals` as a number, whether it came as a number or a decimal string. */
  decimals: number | undefined;
  symbol: string | undefined;
}

/**
 * Parses PaymentRequirements for the Casper `exact` scheme; throws an X402InputError naming
 * the field (`requirements.payTo`, `requirements.extra.name`, …). Does not check the scheme.
 */
export function parseExactRequirements(
  value: PaymentRequirements,
  root = 'requirements',
): ExactRequirements {
  const requirements = checkSchema(PaymentRequirementsSchema, value, root);
  if (!isCasperNetwork(requirements.network)) {
    throw new X402InputError(
      `${root}.network`,
      'must be a Casper CAIP-2 id like casper:casper-test',
    );
  }
  if (!PACKAGE_HASH.test(requirements.asset)) {
    throw new X402InputError(
      `${root}.asset`,
      'must be the token package hash: 64 lower-case hex digits',
    );
  }
  const amount = parseUint(requirements.amount, `${root}.amount`);
  if (amount === 0n) throw new X402InputError(`${root}.amount`, 'must be greater than zero');
  const extra = requirements.extra ?? {};
  const { name, version, decimals, symbol } = extra;
  if (typeof name !== 'string' || name.length === 0) {
    throw new X402InputError(
      `${root}.extra.name`,
      "must be the token's signing-domain name (the EIP-712 domain name)",
    );
  }
  if (typeof version !== 'string' || version.length === 0) {
    throw new X402InputError(
      `${root}.extra.version`,
      'must be the signing-domain version, e.g. "1"',
    );
  }
  const tokenDecimals = parseDecimals(decimals, `${root}.extra.decimals`);
  if (symbol !== undefined && typeof symbol !== 'string') {
    throw new X402InputError(`${root}.extra.symbol`, 'must be a string');
  }
  return {
    network: requirements.network,
    asset: requirements.asset,
    payTo: normalizeAddress(requirements.payTo, `${root}.payTo`),
    amount,
    maxTimeoutSeconds: requirements.maxTimeoutSeconds,
    name,
    version,
    decimals: tokenDecimals,
    symbol: symbol as string | undefined,
  };
}
