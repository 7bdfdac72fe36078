import {
  EXACT_SCHEME,
  type PaymentRequired,
  type PaymentRequirements,
  parseExactRequirements,
} from '@x402-casper/shared';
import type { Network, Token } from './settings.js';
import { siteText } from './text.js';

/** One way the site accepts to be paid that this wallet can sign, ready to show. */
export interface PaymentOption {
  /** Position in the 402's `accepts` list. */
  index: number;
  requirements: PaymentRequirements;
  network: Network;
  asset: string;
  payTo: string;
  /** Atomic units, decimal string. */
  amount: string;
  maxTimeoutSeconds: number;
  /** The person's own entry for this token, when the token is known. */
  token: Token | undefined;
  /** Shown with the amount: from the known token, else what the site claims (unverified). */
  symbol: string;
  decimals: number;
  /** Things the person should know before approving, in plain words. */
  warnings: string[];
}

/**
 * The options of a 402 this wallet can pay: the `exact` scheme on a network the wallet has,
 * with well-formed requirements. Anything else is left out (a 402 with no such option is
 * passed through to the page untouched).
 */
export function payableOptions(
  required: PaymentRequired,
  networks: Network[],
  tokens: (networkId: string) => Token[],
): PaymentOption[] {
  const options: PaymentOption[] = [];
  required.accepts.forEach((requirements, index) => {
    if (requirements.scheme !== EXACT_SCHEME) return;
    const network = networks.find((n) => n.id === requirements.network);
    if (!network) return;
    let exact: ReturnType<typeof parseExactRequirements>;
    try {
      exact = parseExactRequirements(requirements, `accepts.${index}`);
    } catch {
      return;
    }
    const token = tokens(network.id).find((t) => t.packageHash === exact.asset);
    const warnings: string[] = [];
    if (!token) {
      warnings.push(
        'Unknown token: it is not in your token list, so its name, symbol and decimals come from the site and are not verified.',
      );
    } else if (exact.decimals !== undefined && exact.decimals !== token.decimals) {
      warnings.push(
        `The site says this token has ${exact.decimals} decimals; your token list says ${token.decimals}. Amounts are shown with ${token.decimals}.`,
      );
    }
    options.push({
      index,
      requirements,
      network,
      asset: exact.asset,
      payTo: exact.payTo,
      amount: exact.amount.toString(),
      maxTimeoutSeconds: exact.maxTimeoutSeconds,
      token,
      symbol: token?.symbol ?? (siteText(exact.symbol, 12) || 'tokens'),
      decimals: token?.decimals ?? exact.decimals ?? 0,
      warnings,
    });
  });
  return options;
}

/**
 * Best option first: the active network, then tokens the person knows, then the site's own
 * order. The sort is stable, so equal options keep the order the site gave.
 */
export function orderOptions(options: PaymentOption[], activeNetworkId: string): PaymentOption[] {
  const rank = (o: PaymentOption) => (o.network.id === activeNetworkId ? 0 : 2) + (o.token ? 0 : 1);
  return [...options].sort((a, b) => rank(a) - rank(b));
}
