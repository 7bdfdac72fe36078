// The layout of the wallet's storage.local carries a version; a newer build brings older
// storage up to its version, one step at a time, before anything reads it. Storage written by
// a newer build than this one is left as it is and refused: an older wallet must not
// misread (or overwrite) what it does not know.
import { WalletError } from './errors.js';
import { readArea, removeArea, writeArea } from './store.js';

/** The version of storage.local this build reads and writes. */
export const STORAGE_VERSION = 2;
export const VERSION_KEY = 'storageVersion';

/** MIGRATIONS[n] brings storage from version n to n + 1. */
const MIGRATIONS: ReadonlyArray<() => Promise<void>> = [
  // 0 → 1, wallets from before storage had a version: budgets saved before they named their
  // paying account could never spend and are removed; a list that is not a list is dropped.
  async () => {
    const budgets = await readArea<unknown>('local', 'budgets', []);
    if (!Array.isArray(budgets)) await removeArea('local', 'budgets');
    else {
      const named = budgets.filter(
        (budget) => typeof (budget as { account?: unknown } | null)?.account === 'string',
      );
      if (named.length !== budgets.length) await writeArea('local', 'budgets', named);
    }
    if (!Array.isArray(await readArea<unknown>('local', 'history', []))) {
      await removeArea('local', 'history');
    }
  },
  // 1 → 2, payment records name the page origin that asked (`requester`, the browser's word),
  // so an authorization is only sent again to that page. Version 1 kept it as `page` when it
  // differed from the host that asked and left it out when it was the same, so it is exact.
  async () => {
    const history = await readArea<unknown>('local', 'history', []);
    // Not a list (written by hand, or damaged): there is no history to name.
    if (!Array.isArray(history)) {
      await removeArea('local', 'history');
      return;
    }
    const named = history.map((record) => {
      const { origin, page, requester } = (record ?? {}) as Record<string, unknown>;
      if (typeof requester === 'string') return record;
      const asked = typeof page === 'string' ? page : origin;
      return typeof asked === 'string' ? { ...(record as object), requester: asked } : record;
    });
    if (history.length > 0) await writeArea('local', 'history', named);
  },
];

/**
 * Brings storage.local to STORAGE_VERSION; answers the version it found. Each step records
 * the version it reached, so a worker stopped in the middle resumes where it was.
 */
export async function migrateStorage(): Promise<number> {
  const found = await readArea<unknown>('local', VERSION_KEY, 0);
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 0) {
    throw new WalletError(
      'unsupported',
      `The wallet's storage has an unreadable version (${String(found)}).`,
    );
  }
  if (found > STORAGE_VERSION) {
    throw new WalletError(
      'unsupported',
      `The wallet's storage was written by a newer version of x402-casper (storage version ${found}): update the extension.`,
    );
  }
  for (let version = found; version < STORAGE_VERSION; version++) {
    await MIGRATIONS[version]!();
    await writeArea('local', VERSION_KEY, version + 1);
  }
  return found;
}
