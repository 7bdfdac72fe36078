import { X402InputError } from '../errors.js';

/**
 * How a token's `transfer_with_authorization` entry point names the amount and types the
 * validity window. Deployed CEP-3009 tokens disagree (FACTS §7):
 * - `amount-u64`: Odra's CEP-3009 module (`amount: U256`, windows `u64`);
 * - `value-u64`: the CEP-3009 text (`value: U256`, windows `u64`);
 * - `amount-u256`: the Cep18X402 proof of concept (`amount: U256`, windows `U256`).
 * Every other argument (`from`, `to`, `nonce`, `public_key`, `signature`) is the same.
 */
export const ARG_LAYOUTS = ['amount-u64', 'value-u64', 'amount-u256'] as const;
export type ArgLayout = (typeof ARG_LAYOUTS)[number];

/** Older names, still accepted in configuration and genesis files. */
export const ARG_LAYOUT_ALIASES: Readonly<Record<string, ArgLayout>> = {
  cep3009: 'amount-u64',
  'legacy-u256': 'amount-u256',
};

/** The argument names and CL types (node JSON) of each layout's amount and window. */
export function layoutArgs(layout: ArgLayout): {
  amount: 'amount' | 'value';
  window: 'U64' | 'U256';
} {
  return {
    amount: layout === 'value-u64' ? 'value' : 'amount',
    window: layout === 'amount-u256' ? 'U256' : 'U64',
  };
}

/** A layout name or alias → the layout; anything else is an X402InputError naming `field`. */
export function parseArgLayout(value: unknown, field: string): ArgLayout {
  if (typeof value === 'string') {
    if ((ARG_LAYOUTS as readonly string[]).includes(value)) return value as ArgLayout;
    if (Object.hasOwn(ARG_LAYOUT_ALIASES, value)) return ARG_LAYOUT_ALIASES[value]!;
  }
  const known = [...ARG_LAYOUTS, ...Object.keys(ARG_LAYOUT_ALIASES)].join(', ');
  throw new X402InputError(field, `must be one of ${known}`);
}
