import { normalizeAddress } from '../casper/address.js';
import { isCasperNetwork } from '../casper/network.js';
import { parseAmount } from '../exact/amount.js';
import { EXACT_SCHEME, parseExactRequirements } from '../exact/requirements.js';
import type { PaymentRequirements } from '../x402/schemas.js';

/** What a headless payer is allowed to pay. */
export interface PaymentPolicy {
  /** Largest single payment, in token units (e.g. "0.05"); compared with the option's decimals. */
  maxAmount: string;
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

/** Judges one 402 option against the policy, saying why it will not pay it. */
export function judgeOption(
  requirements: PaymentRequirements,
  policy: PaymentPolicy,
): OptionVerdict {
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
  if (exact.decimals === undefined) return refuse('the option does not say its token decimals');
  const limit = parseAmount(policy.maxAmount, exact.decimals, 'policy.maxAmount');
  if (exact.amount > limit) {
    return refuse(
      `amount ${exact.amount} exceeds the limit of ${policy.maxAmount} (${limit} atomic units)`,
    );
  }
  return { ok: true, requirements, amount: exact.amount };
}

/** The cheapest option the policy allows, or every reason it refuses them all. */
export function chooseOption(
  accepts: PaymentRequirements[],
  policy: PaymentPolicy,
): { chosen?: PaymentRequirements; refusals: string[] } {
  const verdicts = accepts.map((option) => judgeOption(option, policy));
  const allowed = verdicts
    .filter((v) => v.ok)
    .sort((a, b) => (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0));
  return {
    ...(allowed[0] ? { chosen: allowed[0].requirements } : {}),
    refusals: verdicts.filter((v) => !v.ok).map((v) => v.why),
  };
}
