// When a payment may go through without a window, and how a "pay up to X a day" answer becomes
// a budget: only for the asking host on its own top pages over a safe connection, for a token
// the person added, and never more than the person allowed.
import { formatAmount, parseAmount, X402InputError } from '@x402-casper/shared';
import type { ApprovalView } from './approval-queue.js';
import type { Budget, BudgetKey, Budgets } from './budgets.js';
import type { PaymentOption } from './options.js';
import type { PaidPageLoader } from './paid-load.js';
import {
  askerOf,
  isSecureOrigin,
  isTopSite,
  type PayRequest,
  type Requester,
} from './site-policy.js';

export function budgetKeyOf(origin: string, account: string, option: PaymentOption): BudgetKey {
  return { origin, account, network: option.network.id, asset: option.asset, payTo: option.payTo };
}

export class BudgetPolicy {
  constructor(
    private readonly budgets: Budgets,
    private readonly pages: PaidPageLoader,
  ) {}

  /** Whether this request may be paid from a budget at all (before any budget is looked at). */
  async mayPayWithoutAsking(requester: Requester, request: PayRequest): Promise<boolean> {
    if (!isTopSite(requester) || !isSecureOrigin(requester.origin)) return false;
    // A budget is the asking host's, and spends only on its own pages' requests.
    if (askerOf(requester, request) !== requester.origin) return false;
    // A page load spends a budget only when the site itself led there (a link or script of
    // its own pages): not when another site opened or navigated to it, nor a typed address.
    const ledBySite = request.referrer === requester.origin;
    if (request.kind === 'navigation' && !ledBySite) return false;
    // A fetch or XMLHttpRequest, only when the page itself started it: the person used the
    // page, or the site's own page led to it and no other site opened its window. A page
    // another site opened (window.open, a link, a navigation; with or without a referrer)
    // that asks as it loads gets the window.
    if (
      request.kind !== 'navigation' &&
      !request.activated &&
      !(ledBySite && !request.openedByOther)
    ) {
      return false;
    }
    // Loading a paid page needs access to the site, which only a click can grant.
    if (request.kind === 'navigation' && !(await this.pages.canLoad(requester.origin))) {
      return false;
    }
    return true;
  }

  /** Charges `option`'s price to the budget of (`origin`, `account`); false when it does not fit. */
  async charge(origin: string, account: string, option: PaymentOption): Promise<boolean> {
    if (!option.token) return false;
    const charge = await this.budgets.charge(
      budgetKeyOf(origin, account, option),
      BigInt(option.amount),
    );
    return charge.ok;
  }

  /** The budget each option already has for the asking host and account, for the window. */
  existing(asker: string, account: string | undefined, options: PaymentOption[]) {
    return Promise.all(
      options.map(
        async (option): Promise<Budget | null> =>
          account ? ((await this.budgets.find(budgetKeyOf(asker, account, option))) ?? null) : null,
      ),
    );
  }

  /**
   * Checks a "pay up to `dailyAllowance` a day without asking" answer against what the window
   * showed; throws an X402InputError naming `dailyAllowance` when it cannot be granted.
   */
  async checkAllowance(
    view: ApprovalView,
    option: PaymentOption,
    account: string,
    dailyAllowance: string,
  ): Promise<void> {
    if (view.page) {
      throw new X402InputError(
        'dailyAllowance',
        'payments without asking are only possible for a site asking on its own pages',
      );
    }
    if (view.insecure) {
      throw new X402InputError(
        'dailyAllowance',
        'payments without asking are only possible for sites that use HTTPS',
      );
    }
    if (!option.token) {
      throw new X402InputError(
        'dailyAllowance',
        'add this token to your token list before allowing payments without asking',
      );
    }
    const allowance = parseAmount(dailyAllowance.trim(), option.decimals, 'dailyAllowance');
    if (allowance < BigInt(option.amount)) {
      throw new X402InputError(
        'dailyAllowance',
        `must be at least this payment's price (${formatAmount(option.amount, option.decimals)} ${option.symbol})`,
      );
    }
    if (await this.budgets.find(budgetKeyOf(view.origin, account, option))) {
      throw new X402InputError(
        'dailyAllowance',
        'a budget for this site, account, token and payee already exists: change it under Budgets in the wallet',
      );
    }
  }

  /**
   * Creates the budget of a granted allowance, charged with this payment: at most this price
   * per payment; an existing budget stays as the person set it.
   */
  async grant(
    asker: string,
    account: string,
    option: PaymentOption,
    dailyAllowance: string,
  ): Promise<void> {
    const perDay = parseAmount(dailyAllowance.trim(), option.decimals, 'dailyAllowance');
    await this.budgets.create(
      budgetKeyOf(asker, account, option),
      { maxPerPayment: option.amount, maxPerDay: perDay.toString() },
      BigInt(option.amount),
    );
  }
}
