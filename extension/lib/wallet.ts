import { WalletApi } from './api.js';
import type { ApprovalWindows } from './approval-queue.js';
import { Budgets } from './budgets.js';
import { ChainReader } from './chain.js';
import { History } from './history.js';
import { Keyring } from './keyring.js';
import { migrateStorage } from './migrations.js';
import type { PaidPageLoader } from './paid-load.js';
import { Payments } from './payments.js';
import { SeenAnswers } from './seen-answers.js';
import { SettingsStore } from './settings.js';
import { Settlements } from './settlement.js';

/** The background's parts, wired together (the same wiring the tests use). */
export function createWallet(options: {
  windows: ApprovalWindows;
  pages: PaidPageLoader;
  now?: () => number;
  fetch?: typeof fetch;
  later?: (step: () => void, ms: number) => void;
}) {
  const now = options.now ?? Date.now;
  // Storage is brought to this build's version before anything reads it (see background.ts).
  const ready = migrateStorage().then(() => undefined);
  ready.catch(() => {});
  const settings = new SettingsStore();
  const keyring = new Keyring(async () => (await settings.settings()).autoLockMinutes, now);
  // Budgets are authenticated with the seal key, which lives in the vault and, unlocked, in
  // storage.session: a budget rewritten in storage.local fails its check and is ignored.
  const budgets = new Budgets(now, () => keyring.sealKey());
  const history = new History();
  const readers = new Map<string, ChainReader>();
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const settlements = new Settlements({
    history,
    now,
    reader: async (networkId) => {
      const network = Object.values(await settings.networks()).find((n) => n.id === networkId);
      if (!network) return undefined;
      let reader = readers.get(network.rpcUrl);
      if (!reader) {
        reader = new ChainReader(network.rpcUrl, fetchImpl);
        readers.set(network.rpcUrl, reader);
      }
      return reader;
    },
  });
  const seen = new SeenAnswers((origin) => options.pages.canLoad(origin), now);
  const payments = new Payments({
    keyring,
    settings,
    budgets,
    history,
    windows: options.windows,
    pages: options.pages,
    settlements,
    seen,
    now,
    ...(options.later ? { later: options.later } : {}),
  });
  const api = new WalletApi({
    keyring,
    settings,
    budgets,
    history,
    payments,
    settlements,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { ready, settings, keyring, budgets, history, payments, settlements, seen, api };
}
