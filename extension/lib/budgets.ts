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

/**
 * A budget as stored: with a sequence number, one more on every write, and an HMAC-SHA256
 * over every field and the sequence, under the vault's seal key.
 */
interface StoredBudget extends Budget {
  sequence?: number;
  mac?: string;
}

/** The seal key (null while locked): the budgets' authentication key. */
export type SealKey = () => Promise<Uint8Array | null>;

/** How many stored budgets are not obeyed, and why. */
export interface RefusedBudgets {
  /** Changed outside the wallet, or saved before budgets were authenticated. */
  rewritten: number;
  /** Authentic, but older than the newest the wallet wrote: written back to undo spending. */
  rolledBack: number;
}

/**
 * The newest sequence each budget was written with, in storage.session (trusted contexts
 * only, memory until the browser closes), so an older authentic record written back is told
 * from the current one. Never forgotten while the browser runs, so a removed budget cannot
 * come back either.
 */
const SEQUENCES = 'budgetSequences';

function macInput(b: Budget, sequence: number | undefined): Uint8Array {
  const fields = [
    b.origin,
    b.account,
    b.network,
    b.asset,
    b.payTo,
    b.maxPerPayment,
    b.maxPerDay,
    b.spent,
    b.periodStart,
  ];
  // Budgets written before they carried a sequence count as sequence 0.
  return utf8ToBytes(
    JSON.stringify(
      sequence === undefined
        ? ['x402-casper budget v1', ...fields]
        : ['x402-casper budget v2', ...fields, sequence],
    ),
  );
}

async function macOf(key: Uint8Array, budget: Budget, sequence: number | undefined) {
  const hmac = await crypto.subtle.importKey(
    'raw',
    key as BufferSource,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const input = macInput(budget, sequence) as BufferSource;
  return bytesToHex(new Uint8Array(await crypto.subtle.sign('HMAC', hmac, input)));
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

/** One name per budget key, for the sequences. */
function idOf(key: BudgetKey): string {
  return JSON.stringify([key.origin, key.account, key.network, key.asset, key.payTo]);
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

  /** What this worker knows of the sequences, with what storage.session knows. */
  private readonly sequences = new Map<string, number>();

  /** Budgets saved before they named their account can never spend, so they are left out. */
  private async all(): Promise<Budget[]> {
    return (await this.read()).valid;
  }

  /** The newest sequence of every budget written while the browser runs. */
  private async knownSequences(): Promise<Map<string, number>> {
    const stored = await readArea<Record<string, number>>('session', SEQUENCES, {});
    for (const [id, sequence] of Object.entries(stored)) {
      if (Number.isSafeInteger(sequence) && sequence > (this.sequences.get(id) ?? 0)) {
        this.sequences.set(id, sequence);
      }
    }
    return this.sequences;
  }

  private async learnSequences(updates: Map<string, number>): Promise<void> {
    if (updates.size === 0) return;
    const known = await this.knownSequences();
    for (const [id, sequence] of updates) {
      if (sequence > (known.get(id) ?? 0)) known.set(id, sequence);
    }
    await writeArea('session', SEQUENCES, Object.fromEntries(known));
  }

  private async read(): Promise<{ valid: Budget[]; refused: RefusedBudgets }> {
    const stored = await readArea<StoredBudget[]>('local', 'budgets', []);
    const list = (Array.isArray(stored) ? stored : []).filter(
      (b) => typeof b?.account === 'string',
    );
    const refused: RefusedBudgets = { rewritten: 0, rolledBack: 0 };
    if (!this.sealKey) return { valid: list.map(plain), refused };
    const key = await this.sealKey();
    if (!key) return { valid: [], refused };
    const known = await this.knownSequences();
    // Per budget key, the authentic record with the highest sequence: after a restart the
    // session knows none, and an older authentic record written beside the current one must
    // not be the one obeyed.
    const best = new Map<string, { budget: Budget; sequence: number }>();
    for (const budget of list) {
      const clean = plain(budget);
      const sequence = Number.isSafeInteger(budget.sequence) ? budget.sequence : undefined;
      const id = idOf(clean);
      if (typeof budget.mac !== 'string' || budget.mac !== (await macOf(key, clean, sequence))) {
        refused.rewritten += 1;
        continue;
      }
      const current = best.get(id);
      if (
        (sequence ?? 0) < (known.get(id) ?? 0) ||
        (current && current.sequence >= (sequence ?? 0))
      ) {
        refused.rolledBack += 1;
        continue;
      }
      if (current) refused.rolledBack += 1;
      best.set(id, { budget: clean, sequence: sequence ?? 0 });
    }
    // Newer than this worker knew (the browser restarted since they were written).
    const newer = new Map<string, number>();
    for (const [id, { sequence }] of best) {
      if (sequence > (known.get(id) ?? 0)) newer.set(id, sequence);
    }
    await this.learnSequences(newer);
    return { valid: [...best.values()].map((b) => b.budget), refused };
  }

  /** How many stored budgets are refused (rewritten, or written back from before): ignored. */
  async refused(): Promise<RefusedBudgets> {
    return (await this.read()).refused;
  }

  /**
   * Writes the budgets, each with the next sequence and its MAC; refused while locked
   * (nothing to sign with). The session learns the sequences after the write: a worker that
   * stops in between leaves records newer than the session knows, which are obeyed (and
   * learnt), never current records taken for old ones.
   */
  private async save(list: Budget[]): Promise<void> {
    if (!this.sealKey) {
      await writeArea('local', 'budgets', list);
      return;
    }
    const key = await this.sealKey();
    if (!key) throw new WalletError('locked', 'Unlock the wallet to change budgets.');
    const known = await this.knownSequences();
    const next = new Map<string, number>();
    const sealed: StoredBudget[] = [];
    for (const budget of list) {
      const clean = plain(budget);
      const sequence = (known.get(idOf(clean)) ?? 0) + 1;
      next.set(idOf(clean), sequence);
      sealed.push({ ...clean, sequence, mac: await macOf(key, clean, sequence) });
    }
    await writeArea('local', 'budgets', sealed);
    await this.learnSequences(next);
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
      // Its last record, written back, is older than what the session now knows.
      if (this.sealKey) {
        const id = idOf(key);
        const known = await this.knownSequences();
        await this.learnSequences(new Map([[id, (known.get(id) ?? 0) + 1]]));
      }
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
