import {
  generateSecretKey,
  type KeyAlgorithm,
  parsePackageHash,
  type SecretKey,
  secretKeyFromHex,
  secretKeyFromPem,
  X402InputError,
} from '@x402-casper/shared';
import type { ApprovalView, Decision } from './approval-queue.js';
import type { Budget, BudgetKey, Budgets, RefusedBudgets } from './budgets.js';
import {
  type CancelOutcome,
  type CancelQuote,
  cancelAuthorization,
  cancelQuote,
} from './cancel.js';
import { ChainReader } from './chain.js';
import { WalletError } from './errors.js';
import type { History, PaymentRecord } from './history.js';
import type { AccountInfo, Keyring } from './keyring.js';
import type { Payments } from './payments.js';
import type { Network, NetworkKind, Settings, SettingsStore, Token } from './settings.js';
import type { Settlements } from './settlement.js';
import { siteText } from './text.js';

/** A new key: generated here, or imported from PEM or hex. */
export type KeyInput =
  | { kind: 'generate'; algorithm: KeyAlgorithm }
  | { kind: 'pem'; pem: string }
  | { kind: 'hex'; algorithm: KeyAlgorithm; hex: string };

export interface WalletState {
  hasWallet: boolean;
  unlocked: boolean;
  lockAt: number | null;
  /** Set while the wallet makes you wait after wrong passwords. */
  retryAt: number | null;
  accounts: AccountInfo[];
  account: AccountInfo | null;
  settings: Settings;
  networks: Record<NetworkKind, Network>;
  network: Network;
  tokens: Token[];
}

export interface Balance {
  value?: string;
  error?: string;
}

export interface Balances {
  network: string;
  account: string;
  cspr: Balance;
  tokens: (Balance & { token: Token })[];
}

export interface BudgetView extends Budget {
  symbol: string;
  decimals: number;
}

/** Every call an extension page can make, with its parameters and result. */
export interface WalletMethods {
  state: [Record<string, never>, WalletState];
  create: [{ password: string; key: KeyInput }, AccountInfo];
  addAccount: [{ password: string; key: KeyInput }, AccountInfo];
  selectAccount: [{ publicKey: string }, undefined];
  unlock: [{ password: string }, undefined];
  lock: [Record<string, never>, undefined];
  exportPem: [{ password: string; publicKey: string }, string];
  updateSettings: [{ autoLockMinutes?: number; activeNetwork?: NetworkKind }, Settings];
  updateNetwork: [{ kind: NetworkKind; rpcUrl?: string; id?: string }, Network];
  /** Name, symbol and decimals are read from the chain when left out. */
  addToken: [{ networkId: string; token: Partial<Token> & { packageHash: string } }, Token];
  /** The paying account's balance of an approval option's token, read from the chain. */
  approvalBalance: [{ id: string; option: number }, Balance];
  removeToken: [{ networkId: string; packageHash: string }, undefined];
  balances: [Record<string, never>, Balances | null];
  history: [Record<string, never>, PaymentRecord[]];
  clearHistory: [Record<string, never>, undefined];
  budgets: [Record<string, never>, BudgetView[]];
  setBudget: [{ key: BudgetKey; maxPerPayment: string; maxPerDay: string }, Budget];
  removeBudget: [{ key: BudgetKey }, undefined];
  refusedBudgets: [Record<string, never>, RefusedBudgets];
  approval: [{ id: string }, ApprovalView | null];
  /** What cancelling costs (CSPR payment, the account's CSPR balance): shown before confirming. */
  cancelQuote: [{ id: string }, CancelQuote];
  /** Signs and sends cancel_authorization, then waits for the chain's answer. */
  cancelAuthorization: [{ id: string }, CancelOutcome];
  decide: [{ id: string; decision: Decision }, undefined];
}

export type WalletMethod = keyof WalletMethods;

export type WalletResponse =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: string; message: string; field?: string; retryAt?: number } };

const ALGORITHMS: readonly KeyAlgorithm[] = ['ed25519', 'secp256k1'];

function algorithmOf(value: unknown): KeyAlgorithm {
  if (!ALGORITHMS.includes(value as KeyAlgorithm)) {
    throw new X402InputError('algorithm', 'must be ed25519 or secp256k1');
  }
  return value as KeyAlgorithm;
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new X402InputError(field, 'is required');
  return value;
}

export function secretKeyOf(input: KeyInput): SecretKey {
  switch (input?.kind) {
    case 'generate':
      return generateSecretKey(algorithmOf(input.algorithm));
    case 'pem':
      return secretKeyFromPem(str(input.pem, 'pem').trim());
    case 'hex':
      return secretKeyFromHex(
        algorithmOf(input.algorithm),
        str(input.hex, 'hex').trim().replace(/^0x/i, ''),
      );
    default:
      throw new X402InputError('key.kind', 'must be generate, pem or hex');
  }
}

/**
 * True for the extension's own pages (popup, approval window). Content scripts share the
 * extension id but report the web page's URL, so they are refused.
 */
export function isExtensionPage(
  sender: { id?: string; url?: string; origin?: string },
  extensionId: string,
  extensionOrigin: string,
): boolean {
  if (sender.id !== extensionId) return false;
  if (sender.origin !== undefined) return sender.origin === extensionOrigin;
  return sender.url?.startsWith(`${extensionOrigin}/`) ?? false;
}

/** An error as the UI receives it. Unexpected faults are not described (they may hold secrets). */
export function errorResponse(error: unknown): WalletResponse {
  if (error instanceof X402InputError) {
    return {
      ok: false,
      error: { code: 'invalid_input', message: error.message, field: error.field },
    };
  }
  if (error instanceof WalletError) {
    return {
      ok: false,
      error: {
        code: error.code,
        message: error.message,
        ...(error.retryAt ? { retryAt: error.retryAt } : {}),
      },
    };
  }
  return { ok: false, error: { code: 'internal', message: 'Something went wrong in the wallet.' } };
}

/** The background side of the popup and approval window. */
export class WalletApi {
  private readonly readers = new Map<string, ChainReader>();

  constructor(
    private readonly deps: {
      keyring: Keyring;
      settings: SettingsStore;
      budgets: Budgets;
      history: History;
      payments: Payments;
      settlements: Settlements;
      fetch?: typeof fetch;
    },
  ) {}

  async handle(message: unknown): Promise<WalletResponse> {
    try {
      const { method, params } = (message ?? {}) as { method?: string; params?: unknown };
      const handler = this.handlers[method as WalletMethod] as
        | ((params: never) => Promise<unknown>)
        | undefined;
      if (!handler) throw new X402InputError('method', 'is not a wallet method');
      const value = await handler((params ?? {}) as never);
      return { ok: true, value };
    } catch (error) {
      return errorResponse(error);
    }
  }

  /** A record whose authorization can still be collected, and the reader of its network. */
  private async cancellable(id: string): Promise<{ record: PaymentRecord; reader: ChainReader }> {
    const record = await this.deps.history.find(id);
    if (!record?.authorization) throw new WalletError('not_found', 'No such authorization.');
    if (record.cancel && record.cancel.state !== 'failed') {
      throw new WalletError('not_found', 'A cancel for this authorization was already sent.');
    }
    const checked = (await this.deps.settlements.check(record.id)) ?? record;
    const state = checked.chain?.state;
    if (state === 'confirmed' || state === 'expired' || state === 'cancelled') {
      throw new WalletError('not_found', 'This authorization can no longer be collected.');
    }
    const networks = Object.values(await this.deps.settings.networks());
    const network = networks.find((n) => n.id === record.network);
    if (!network) throw new WalletError('not_found', 'The wallet no longer has this network.');
    return { record: checked, reader: this.reader(network.rpcUrl) };
  }

  private reader(url: string): ChainReader {
    let reader = this.readers.get(url);
    if (!reader) {
      reader = new ChainReader(url, this.deps.fetch);
      this.readers.set(url, reader);
    }
    return reader;
  }

  private async state(): Promise<WalletState> {
    const { keyring, settings } = this.deps;
    const current = await settings.settings();
    const accounts = await keyring.accounts();
    const network = await settings.activeNetwork();
    return {
      hasWallet: await keyring.hasWallet(),
      unlocked: await keyring.isUnlocked(),
      lockAt: await keyring.lockAt(),
      retryAt: await keyring.retryAt(),
      accounts,
      account: accounts.find((a) => a.publicKey === current.activeAccount) ?? accounts[0] ?? null,
      settings: current,
      networks: await settings.networks(),
      network,
      tokens: await settings.tokens(network.id),
    };
  }

  private readonly handlers: {
    [M in WalletMethod]: (params: WalletMethods[M][0]) => Promise<WalletMethods[M][1]>;
  } = {
    state: () => this.state(),
    create: async ({ password, key }) => {
      const account = await this.deps.keyring.create(str(password, 'password'), secretKeyOf(key));
      await this.deps.settings.update({ activeAccount: account.publicKey });
      return account;
    },
    addAccount: async ({ password, key }) => {
      const account = await this.deps.keyring.addKey(str(password, 'password'), secretKeyOf(key));
      await this.deps.settings.update({ activeAccount: account.publicKey });
      return account;
    },
    selectAccount: async ({ publicKey }) => {
      const accounts = await this.deps.keyring.accounts();
      if (!accounts.some((a) => a.publicKey === publicKey)) {
        throw new WalletError('not_found', 'No such account.');
      }
      await this.deps.settings.update({ activeAccount: publicKey });
    },
    unlock: async ({ password }) => {
      await this.deps.keyring.unlock(str(password, 'password'));
    },
    lock: async () => {
      await this.deps.keyring.lock();
    },
    exportPem: ({ password, publicKey }) =>
      this.deps.keyring.exportPem(str(password, 'password'), str(publicKey, 'publicKey')),
    updateSettings: async (patch) => {
      const next = await this.deps.settings.update({
        ...(patch.autoLockMinutes !== undefined ? { autoLockMinutes: patch.autoLockMinutes } : {}),
        ...(patch.activeNetwork !== undefined ? { activeNetwork: patch.activeNetwork } : {}),
      });
      if (patch.autoLockMinutes !== undefined) await this.deps.keyring.touch();
      return next;
    },
    updateNetwork: ({ kind, rpcUrl, id }) =>
      this.deps.settings.updateNetwork(kind, {
        ...(rpcUrl !== undefined ? { rpcUrl } : {}),
        ...(id !== undefined ? { id } : {}),
      }),
    addToken: async ({ networkId, token }) => {
      if (token?.name || token?.symbol) return this.deps.settings.addToken(networkId, token);
      // Only the package hash: the rest is what the token's contract says on chain.
      const hash = parsePackageHash(token?.packageHash);
      const network = Object.values(await this.deps.settings.networks()).find(
        (n) => n.id === networkId,
      );
      if (!network) throw new X402InputError('networkId', 'is not a network of this wallet');
      let metadata: { name: string; symbol: string; decimals: number };
      try {
        metadata = await this.reader(network.rpcUrl).tokenMetadata(hash);
      } catch (error) {
        throw new WalletError(
          'not_found',
          `Cannot read this token from ${network.name}: ${error instanceof Error ? error.message : 'no answer'}.`,
        );
      }
      return this.deps.settings.addToken(networkId, {
        packageHash: hash,
        name: siteText(metadata.name, 64),
        symbol: siteText(metadata.symbol, 12),
        decimals: metadata.decimals,
      });
    },
    approvalBalance: async ({ id, option }) => {
      const view = this.deps.payments.approval(str(id, 'id'));
      const chosen = view?.options[Number(option)];
      if (!chosen) throw new WalletError('not_found', 'This payment request is no longer open.');
      const state = await this.state();
      if (!state.account) throw new WalletError('no_wallet', 'There is no account to pay with.');
      try {
        const value = await this.reader(chosen.network.rpcUrl).tokenBalance(
          chosen.asset,
          state.account.address,
        );
        return { value: value.toString() };
      } catch (error) {
        return { error: error instanceof Error ? error.message : 'Cannot read the balance' };
      }
    },
    removeToken: async ({ networkId, packageHash }) => {
      await this.deps.settings.removeToken(networkId, packageHash);
    },
    balances: async () => {
      const state = await this.state();
      if (!state.account) return null;
      const reader = this.reader(state.network.rpcUrl);
      const account = state.account;
      const read = async (load: () => Promise<bigint>): Promise<Balance> => {
        try {
          return { value: (await load()).toString() };
        } catch (error) {
          return { error: error instanceof Error ? error.message : 'Cannot read the balance' };
        }
      };
      return {
        network: state.network.id,
        account: account.publicKey,
        cspr: await read(() => reader.csprBalance(account.publicKey)),
        tokens: await Promise.all(
          state.tokens.map(async (token) => ({
            token,
            ...(await read(() => reader.tokenBalance(token.packageHash, account.address))),
          })),
        ),
      };
    },
    history: async () => {
      // What the chain says about authorizations still open, asked while someone looks.
      void this.deps.settlements.checkOpen().catch(() => undefined);
      // The signed authorizations stay in the background.
      return (await this.deps.history.list()).map(({ paymentSignature: _, ...record }) => record);
    },
    clearHistory: async () => {
      await this.deps.history.clear();
    },
    budgets: async () => {
      const networks = Object.values(await this.deps.settings.networks());
      const views: BudgetView[] = [];
      for (const budget of await this.deps.budgets.list()) {
        const network = networks.find((n) => n.id === budget.network);
        const tokens = network ? await this.deps.settings.tokens(network.id) : [];
        const token = tokens.find((t) => t.packageHash === budget.asset);
        views.push({
          ...budget,
          symbol: token?.symbol ?? 'tokens',
          decimals: token?.decimals ?? 0,
        });
      }
      return views;
    },
    setBudget: async ({ key, maxPerPayment, maxPerDay }) => {
      // Budgets are created from an approval window; here they can only be changed.
      if (!(await this.deps.budgets.find(key)))
        throw new WalletError('not_found', 'No such budget.');
      return this.deps.budgets.set(key, { maxPerPayment, maxPerDay });
    },
    removeBudget: async ({ key }) => {
      await this.deps.budgets.remove(key);
    },
    refusedBudgets: () => this.deps.budgets.refused(),
    approval: async ({ id }) => this.deps.payments.approval(str(id, 'id')) ?? null,
    cancelQuote: async ({ id }) => {
      const { record, reader } = await this.cancellable(str(id, 'id'));
      return cancelQuote(reader, record);
    },
    cancelAuthorization: async ({ id }) => {
      const { record, reader } = await this.cancellable(str(id, 'id'));
      const outcome = await cancelAuthorization(
        {
          reader,
          history: this.deps.history,
          signDigest: (publicKey, digest) => this.deps.keyring.signDigest(publicKey, digest),
          now: () => Date.now(),
        },
        record,
      );
      void this.deps.settlements.check(record.id).catch(() => undefined);
      return outcome;
    },
    decide: async ({ id, decision }) => {
      await this.deps.payments.decide(str(id, 'id'), decision);
    },
  };
}
