import { bytesToHex, parseUint, utf8ToBytes, X402InputError } from '@x402-casper/shared';
import { WalletError } from './errors.js';
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

/** A budget as stored: with an HMAC-SHA256 over every field, under the vault's seal key. */
interface StoredBudget extends Budget {
  mac?: string;
}

/** The seal key (null while locked): the budgets' authentication key. */
export type SealKey = () => Promise<Uint8Array | null>;

function macInput(b: Budget): Uint8Array {
  return utf8ToBytes(
    JSON.stringify([
      'x402-casper budget v1',
      b.origin,
      b.account,
      b.network,
      b.asset,
      b.payTo,
      b.maxPerPayment,
      b.maxPerDay,
      b.spent,
      b.periodStart,
    ]),
  );
}

async function macOf(key: Uint8Array, budget: Budget): Promise<string> {
  const hmac = await crypto.subtle.importKey(
    'raw',
    key as BufferSource,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return bytesToHex(
    new Uint8Array(await crypto.subtle.sign('HMAC', hmac, macInput(budget) as BufferSource)),
  );
}

function plain(b: StoredBudget): Budget {
  return {
    origin: b.origin,
    account: b.account,
    network: b.network,
    asset: b.asset,
    payTo: b.payTo,
    maxPerPayment: b.maxPerPayment,
    maxPerDay: b.maxPerDay,
    spent: b.spent,
    periodStart: b.periodStart,
  };
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

  /**
   * With `sealKey`, every budget is authenticated: one changed outside the wallet (or saved
   * before budgets were authenticated) fails its check and is ignored, never obeyed; and
   * while the wallet is locked there are none. Without it (unit tests of the caps), none is.
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly sealKey?: SealKey,
  ) {}

  /** Budgets saved before they named their account can never spend, so they are left out. */
  private async all(): Promise<Budget[]> {
    return (await this.read()).valid;
  }

  private async read(): Promise<{ valid: Budget[]; refused: number }> {
    const stored = await readArea<StoredBudget[]>('local', 'budgets', []);
    const list = (Array.isArray(stored) ? stored : []).filter(
      (b) => typeof b?.account === 'string',
    );
    if (!this.sealKey) return { valid: list.map(plain), refused: 0 };
    const key = await this.sealKey();
    if (!key) return { valid: [], refused: 0 };
    const valid: Budget[] = [];
    for (const budget of list) {
      const clean = plain(budget);
      if (typeof budget.mac === 'string' && budget.mac === (await macOf(key, clean))) {
        valid.push(clean);
      }
    }
    return { valid, refused: list.length - valid.length };
  }

  /** How many stored budgets fail their check (changed outside the wallet): all ignored. */
  async refused(): Promise<number> {
    return (await this.read()).refused;
  }

  /** Writes the budgets, each with its MAC; refused while locked (nothing to sign with). */
  private async save(list: Budget[]): Promise<void> {
    if (!this.sealKey) {
      await writeArea('local', 'budgets', list);
      return;
    }
    const key = await this.sealKey();
    if (!key) throw new WalletError('locked', 'Unlock the wallet to change budgets.');
    const sealed: StoredBudget[] = [];
    for (const budget of list) {
      const clean = plain(budget);
      sealed.push({ ...clean, mac: await macOf(key, clean) });
    }
    await writeArea('local', 'budgets', sealed);
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
      await this.save([...all.filter((b) => !sameKey(b, key)), budget]);
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
      await this.save([...all, budget]);
      return true;
    });
  }

  remove(key: BudgetKey): Promise<void> {
    return this.serial.run(async () => {
      await this.save((await this.all()).filter((b) => !sameKey(b, key)));
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
      await this.save([...all.filter((b) => !sameKey(b, key)), next]);
      return { ok: true, budget: next };
    });
  }
}
