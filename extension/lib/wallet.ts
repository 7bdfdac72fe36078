import { WalletApi } from './api.js';
import { Budgets } from './budgets.js';
import { History } from './history.js';
import { Keyring } from './keyring.js';
import type { PaidPageLoader } from './paid-load.js';
import { type ApprovalWindows, Payments } from './payments.js';
import { SettingsStore } from './settings.js';

/** The background's parts, wired together (the same wiring the tests use). */
export function createWallet(options: {
  windows: ApprovalWindows;
  pages: PaidPageLoader;
  now?: () => number;
  fetch?: typeof fetch;
}) {
  const now = options.now ?? Date.now;
  const settings = new SettingsStore();
  const keyring = new Keyring(async () => (await settings.settings()).autoLockMinutes, now);
  const budgets = new Budgets(now);
  const history = new History();
  const payments = new Payments({
    keyring,
    settings,
    budgets,
    history,
    windows: options.windows,
    pages: options.pages,
    now,
  });
  const api = new WalletApi({
    keyring,
    settings,
    budgets,
    history,
    payments,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { settings, keyring, budgets, history, payments, api };
}
