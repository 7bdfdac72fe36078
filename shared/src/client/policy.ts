import { normalizeAddress } from '../casper/address.js';
import { findKnownAsset } from '../casper/assets.js';
import { isCasperNetwork } from '../casper/network.js';
import { isDecimals, MAX_DECIMALS, parseAmount } from '../exact/amount.js';
import { EXACT_SCHEME, parseExactRequirements } from '../exact/requirements.js';
import type { PaymentRequirements } from '../x402/schemas.js';
import type { DecimalsOf } from './decimals.js';

/** What a headless payer is allowed to pay. */
export interface PaymentPolicy {
  /**
   * Largest single payment, in token units (e.g. "0.05"), converted with the token's decimals
   * as this payer knows them: a known token's (csprUSD), else `decimalsOf`'s; never the
   * site's `extra.decimals`, which an option whose decimals differ from them is refused for.
   */
  maxAmount: string;
  /**
   * The decimals of tokens other than the known ones, from a source the payer trusts (e.g.
   * `decimalsFromChain`); without it, only known tokens are paid.
   */
  decimalsOf?: DecimalsOf;
  /** CAIP-2 networks it may pay on; default: any Casper network. */
  networks?: string[];
  /** Token package hashes it may pay with; default: any. */
  assets?: string[];
  /** Addresses it may pay; default: any. */
  payees?: string[];
}

export type OptionVerdict =
  | { ok: true; requirements: PaymentRequirements; amount: bigint }
  | { ok: false; requirements: PaymentRequirements; why: string };

/** The token's decimals as the payer knows them, or why it does not. */
async function trustedDecimals(
  network: string,
  asset: string,
  policy: PaymentPolicy,
): Promise<{ decimals: number } | { why: string }> {
  const known = findKnownAsset(network, asset);
  if (known) return { decimals: known.decimals };
  let decimals: number | undefined;
  try {
    decimals = await policy.decimalsOf?.(network, asset);
  } catch (error) {
    return { why: `cannot read the decimals of token ${asset}: ${(error as Error).message}` };
  }
  if (decimals === undefined) {
    return {
      why: `token ${asset} on ${network} is not a known one and the policy has no decimalsOf for it (a site's extra.decimals is its own claim)`,
    };
  }
  if (!isDecimals(decimals)) {
    return {
      why: `the decimals given for token ${asset} (${decimals}) are not 0 to ${MAX_DECIMALS}`,
    };
  }
  return { decimals };
}

/** Judges one 402 option against the policy, saying why it will not pay it. */
export async function judgeOption(
  requirements: PaymentRequirements,
  policy: PaymentPolicy,
): Promise<OptionVerdict> {
  const refuse = (why: string): OptionVerdict => ({ ok: false, requirements, why });
  if (requirements.scheme !== EXACT_SCHEME)
    return refuse(`scheme "${requirements.scheme}" is not supported`);
  if (!isCasperNetwork(requirements.network))
    return refuse(`${requirements.network} is not a Casper network`);
  if (policy.networks && !policy.networks.includes(requirements.network)) {
    return refuse(`network ${requirements.network} is not allowed`);
  }
  let exact: ReturnType<typeof parseExactRequirements>;
  try {
    exact = parseExactRequirements(requirements);
  } catch (error) {
    return refuse(`malformed option: ${(error as Error).message}`);
  }
  if (policy.assets && !policy.assets.map((a) => a.toLowerCase()).includes(exact.asset)) {
    return refuse(`asset ${exact.asset} is not allowed`);
  }
  if (
    policy.payees &&
    !policy.payees.map((p) => normalizeAddress(p, 'policy.payees')).includes(exact.payTo)
  ) {
    return refuse(`payee ${exact.payTo} is not allowed`);
  }
  const trusted = await trustedDecimals(requirements.network, exact.asset, policy);
  if ('why' in trusted) return refuse(trusted.why);
  if (exact.decimals !== undefined && exact.decimals !== trusted.decimals) {
    return refuse(
      `the option says token ${exact.asset} has ${exact.decimals} decimals; it has ${trusted.decimals}`,
    );
  }
  const limit = parseAmount(policy.maxAmount, trusted.decimals, 'policy.maxAmount');
  if (exact.amount > limit) {
    return refuse(
      `amount ${exact.amount} exceeds the limit of ${policy.maxAmount} (${limit} atomic units)`,
    );
  }
  return { ok: true, requirements, amount: exact.amount };
}

/** The cheapest option the policy allows, or every reason it refuses them all. */
export async function chooseOption(
  accepts: PaymentRequirements[],
  policy: PaymentPolicy,
): Promise<{ chosen?: PaymentRequirements; refusals: string[] }> {
  const verdicts = await Promise.all(accepts.map((option) => judgeOption(option, policy)));
  const allowed = verdicts
    .filter((v) => v.ok)
    .sort((a, b) => (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0));
  return {
    ...(allowed[0] ? { chosen: allowed[0].requirements } : {}),
    refusals: verdicts.filter((v) => !v.ok).map((v) => v.why),
  };
}
