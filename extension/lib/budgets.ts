import { parseUint, X402InputError } from '@x402-casper/shared';
import { readArea, Serial, writeArea } from './store.js';

export const DAY_MS = 86_400_000;

/** Whom a budget lets the wallet pay without asking, and from which account. */
export interface BudgetKey {
  /** The site's origin as the browser reported it, e.g. `https://news.example`. */
  origin: string;
  /** Public key (hex) of the account that pays: a budget never spends another account's tokens. */
  account: string;
  network: string;
  /** Token contract package hash. */
  asset: string;
  payTo: string;
}

/** Caps in atomic token units (decimal strings). */
export interface BudgetLimits {
  maxPerPayment: string;
  maxPerDay: string;
}

export interface Budget extends BudgetKey, BudgetLimits {
  /** Spent in the current period (atomic units). */
  spent: string;
  /** Start of the current 24-hour period (ms since epoch). */
  periodStart: number;
}

export type ChargeResult =
  | { ok: true; budget: Budget }
  | { ok: false; reason: 'no_budget' | 'over_payment_cap' | 'over_daily_cap' };

function sameKey(a: BudgetKey, b: BudgetKey) {
  return (
    a.origin === b.origin &&
    a.account === b.account &&
    a.network === b.network &&
    a.asset === b.asset &&
    a.payTo === b.payTo
  );
}

function checkLimits(limits: BudgetLimits): BudgetLimits {
  const perPayment = parseUint(limits.maxPerPayment, 'maxPerPayment');
  const perDay = parseUint(limits.maxPerDay, 'maxPerDay');
  if (perDay === 0n) throw new X402InputError('maxPerDay', 'must be more than 0');
  if (perPayment === 0n) throw new X402InputError('maxPerPayment', 'must be more than 0');
  if (perPayment > perDay) {
    throw new X402InputError('maxPerPayment', 'must not be more than the daily maximum');
  }
  return { maxPerPayment: perPayment.toString(), maxPerDay: perDay.toString() };
}

/** Moves a budget to the period that contains `now`, clearing what was spent before it. */
export function currentPeriod(budget: Budget, now: number): Budget {
  if (now < budget.periodStart + DAY_MS) return budget;
  const periods = Math.floor((now - budget.periodStart) / DAY_MS);
  return { ...budget, spent: '0', periodStart: budget.periodStart + periods * DAY_MS };
}

/**
 * Spending allowances per (site origin, paying account, network, token, payee). A payment within a budget
 * goes through without a window; what it costs is counted when the authorization is signed,
 * because from then on the site can settle it until it expires.
 */
export class Budgets {
  private readonly serial = new Serial();

  constructor(private readonly now: () => number = Date.now) {}

  /** Budgets saved before they named their account can never spend, so they are left out. */
  private async all(): Promise<Budget[]> {
    const stored = await readArea<Budget[]>('local', 'budgets', []);
    return stored.filter((b) => typeof b.account === 'string');
  }

  async list(): Promise<Budget[]> {
    const now = this.now();
    return (await this.all()).map((b) => currentPeriod(b, now));
  }

  async find(key: BudgetKey): Promise<Budget | undefined> {
    return (await this.list()).find((b) => sameKey(b, key));
  }

  /** Creates or changes a budget; what was spent in the current period is kept. */
  set(key: BudgetKey, limits: BudgetLimits): Promise<Budget> {
    return this.serial.run(async () => {
      const checked = checkLimits(limits);
      const all = await this.all();
      const old = all.find((b) => sameKey(b, key));
      const budget: Budget = old
        ? { ...currentPeriod(old, this.now()), ...checked }
        : {
            origin: key.origin,
            account: key.account,
            network: key.network,
            asset: key.asset,
            payTo: key.payTo,
            ...checked,
            spent: '0',
            periodStart: this.now(),
          };
      await writeArea('local', 'budgets', [...all.filter((b) => !sameKey(b, key)), budget]);
      return budget;
    });
  }

  /**
   * Creates a budget with `spent` already counted, unless one exists for this key: an
   * existing budget is never changed here. Resolves with whether it was created.
   */
  create(key: BudgetKey, limits: BudgetLimits, spent: bigint): Promise<boolean> {
    return this.serial.run(async () => {
      const checked = checkLimits(limits);
      const all = await this.all();
      if (all.some((b) => sameKey(b, key))) return false;
      const budget: Budget = {
        origin: key.origin,
        account: key.account,
        network: key.network,
        asset: key.asset,
        payTo: key.payTo,
        ...checked,
        spent: spent.toString(),
        periodStart: this.now(),
      };
      await writeArea('local', 'budgets', [...all, budget]);
      return true;
    });
  }

  remove(key: BudgetKey): Promise<void> {
    return this.serial.run(async () => {
      await writeArea(
        'local',
        'budgets',
        (await this.all()).filter((b) => !sameKey(b, key)),
      );
    });
  }

  /** Counts `amount` against the budget if it fits; changes nothing when it does not. */
  charge(key: BudgetKey, amount: bigint): Promise<ChargeResult> {
    return this.serial.run(async () => {
      const all = await this.all();
      const stored = all.find((b) => sameKey(b, key));
      if (!stored) return { ok: false, reason: 'no_budget' };
      const budget = currentPeriod(stored, this.now());
      if (amount > BigInt(budget.maxPerPayment)) return { ok: false, reason: 'over_payment_cap' };
      const spent = BigInt(budget.spent) + amount;
      if (spent > BigInt(budget.maxPerDay)) return { ok: false, reason: 'over_daily_cap' };
      const next = { ...budget, spent: spent.toString() };
      await writeArea('local', 'budgets', [...all.filter((b) => !sameKey(b, key)), next]);
      return { ok: true, budget: next };
    });
  }
}
