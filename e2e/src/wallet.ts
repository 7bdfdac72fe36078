import {
  type BrowserContext,
  type CDPSession,
  expect,
  type Locator,
  type Page,
} from '@playwright/test';
import { parseAmount } from '@x402-casper/shared';
import type { TestAccount } from './accounts.js';

/** Limits in whole token units, e.g. `{perPayment: '0.05', perDay: '1'}`. */
export interface BudgetLimits {
  /** At most this per payment; a budget set in the approval window allows the approved price. */
  perPayment?: string;
  perDay: string;
}

export interface ApproveOptions {
  /** The approval window to approve; default the next one (or one already open). */
  window?: Page;
  /** Checks the window shows this amount, e.g. `'0.01 CX402'`. */
  amount?: string | RegExp;
  /** Checks the window names this host as the one asking, e.g. `'127.0.0.1:4021'`. */
  origin?: string;
  /**
   * Also lets the site charge up to these limits without asking (the window's "Allow this site
   * to charge me"); `false` for none. Default: `walletOptions.budget`, if the window offers one.
   */
  budget?: BudgetLimits | false;
}

/** A payment in the wallet's history, as the wallet records it (newest first). */
export interface WalletPayment {
  id: string;
  time: number;
  /** The host that asked. */
  origin: string;
  url: string;
  description?: string;
  network: string;
  asset: string;
  symbol: string;
  decimals: number;
  /** Atomic units. */
  amount: string;
  payTo: string;
  approvedBy?: 'window' | 'budget';
  status: 'pending' | 'paid' | 'failed' | 'rejected';
  transaction?: string;
  message?: string;
  /** What the chain said when the wallet last asked. */
  chain?: { state: 'confirmed' | 'unsettled' | 'expired' | 'unknown' | 'cancelled' };
}

/** A budget as the wallet holds it (atomic units). */
export interface WalletBudget {
  origin: string;
  account: string;
  network: string;
  asset: string;
  payTo: string;
  maxPerPayment: string;
  maxPerDay: string;
  spent: string;
  decimals: number;
  symbol: string;
}

const isApproval = (page: Page) => page.url().includes('/approval.html');

/**
 * Clicks a button that closes its own window and waits for the close. The click may report the
 * page gone when the window closed before Playwright finished it: that is the outcome wanted.
 */
async function clickToClose(window: Page, button: Locator): Promise<void> {
  await Promise.all([
    window.waitForEvent('close'),
    button.click().catch((error: unknown) => {
      if (!window.isClosed()) throw error;
    }),
  ]);
}

/** A page of the extension's own origin, where its API answers. */
export async function openExtensionPage(context: BrowserContext, extensionId: string) {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/manifest.json`);
  return page;
}

/** One call of the extension's API from one of its pages; throws what it refuses. */
export async function callExtension<T>(page: Page, method: string, params: object = {}) {
  const answer = (await page.evaluate(
    (message) =>
      (
        globalThis as unknown as {
          chrome: { runtime: { sendMessage(message: unknown): Promise<unknown> } };
        }
      ).chrome.runtime.sendMessage(message),
    { method, params },
  )) as
    | { ok: true; value: T }
    | { ok: false; error: { code: string; message: string } }
    | undefined;
  if (!answer) throw new Error(`the wallet did not answer ${method}`);
  if (!answer.ok) throw new Error(`${method}: ${answer.error.code}: ${answer.error.message}`);
  return answer.value;
}

/**
 * Chromium with the wallet extension, and helpers that act as the person using it: approve or
 * reject approval windows, read the history, set budgets, lock and unlock. `call` reaches any
 * other method of the extension's own API (what its popup uses).
 */
export class Wallet {
  /** Approval windows that opened and were not handed out yet, oldest first. */
  private readonly opened: Page[] = [];
  private readonly waiting: ((page: Page) => void)[] = [];
  private control: Promise<Page> | undefined;
  private workerSession: Promise<CDPSession> | undefined;
  /** The running status of each version of the extension's service worker, as CDP last said. */
  private readonly workerStatus = new Map<string, string>();
  private onWorkerStatus: () => void = () => {};

  constructor(
    readonly context: BrowserContext,
    readonly extensionId: string,
    /** The funded account the wallet was set up with (not imported with `onboard: false`). */
    readonly account: TestAccount,
    readonly password: string,
    private readonly defaultBudget: BudgetLimits | undefined,
    private readonly onClose: () => Promise<void>,
  ) {
    context.on('page', (page) => {
      if (!isApproval(page)) return;
      page.once('close', () => this.forget(page));
      // Every caller waiting gets it (as with waitForEvent); unclaimed, it waits for the next.
      const waiters = this.waiting.splice(0);
      if (waiters.length === 0) this.opened.push(page);
      for (const waiter of waiters) waiter(page);
    });
  }

  get origin(): string {
    return `chrome-extension://${this.extensionId}`;
  }

  /** Approval windows open now. */
  approvalWindows(): Page[] {
    return this.context.pages().filter(isApproval);
  }

  /** Opens the wallet popup in a tab. */
  async popup(): Promise<Page> {
    const page = await this.context.newPage();
    await page.setViewportSize({ width: 380, height: 640 });
    await page.goto(`${this.origin}/popup.html`);
    return page;
  }

  /** The next approval window (one already open and not handed out yet, or the next to open). */
  nextApproval(options: { timeout?: number } = {}): Promise<Page> {
    const open = this.opened.shift();
    if (open) return Promise.resolve(open);
    const timeout = options.timeout ?? 20_000;
    return new Promise<Page>((resolve, reject) => {
      const waiter = (page: Page) => {
        clearTimeout(timer);
        resolve(page);
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new Error(`no approval window opened within ${timeout} ms`));
      }, timeout);
      this.waiting.push(waiter);
    });
  }

  /** Checks an approval window (shown, amount, origin), optionally allows a budget, approves. */
  async approve(options: ApproveOptions = {}): Promise<void> {
    const window = options.window ?? (await this.nextApproval());
    const amount = window.getByTestId('amount');
    await expect(amount).toBeVisible();
    if (options.amount !== undefined) await expect(amount).toHaveText(options.amount);
    if (options.origin !== undefined) {
      await expect(window.getByTestId('origin')).toHaveText(options.origin);
    }
    const approveButton = window.getByRole('button', { name: 'Approve' });
    await expect(approveButton).toBeEnabled();
    const budget = options.budget ?? this.defaultBudget;
    const allow = window.getByLabel(/Allow this site to charge me/);
    const withBudget = budget ? (await allow.count()) > 0 : false;
    if (budget && options.budget && !withBudget) {
      throw new Error('this approval window offers no budget (a third party, or plain http)');
    }
    let origin: string | undefined;
    if (budget && withBudget) {
      origin = await this.askingOrigin(window);
      await allow.check();
      await window.getByLabel(/per day\)$/).fill(budget.perDay);
    }
    await clickToClose(window, approveButton);
    if (budget && origin) {
      // The wallet stores the budget once it has the decision, after the window closed.
      const site = origin;
      await expect
        .poll(async () => (await this.budgets()).some((b) => b.origin === site), {
          message: `the wallet keeps the budget allowed for ${site}`,
        })
        .toBe(true);
      if (budget.perPayment !== undefined) await this.setBudget(site, budget);
    }
  }

  /** Rejects an approval window (default: the next one). */
  async reject(options: { window?: Page } = {}): Promise<void> {
    const window = options.window ?? (await this.nextApproval());
    await clickToClose(window, window.getByRole('button', { name: 'Reject' }));
  }

  /**
   * Fails if an approval window is open, or opens while `action` runs (e.g. a click and the
   * wait for its outcome: a payment a budget covers).
   */
  async expectNoApproval(action?: () => Promise<unknown>): Promise<void> {
    const seen: Page[] = [];
    const watch = (page: Page) => {
      if (isApproval(page)) seen.push(page);
    };
    this.context.on('page', watch);
    try {
      await action?.();
    } finally {
      this.context.off('page', watch);
    }
    expect(
      [...seen, ...this.approvalWindows()].map((page) => page.url()),
      'approval windows',
    ).toEqual([]);
  }

  /**
   * Changes the limits of the budgets the wallet holds for `origin` (created in an approval
   * window: `approve({budget})`), in whole token units.
   */
  async setBudget(origin: string, limits: BudgetLimits): Promise<void> {
    const site = new URL(origin).origin;
    const budgets = (await this.budgets()).filter((b) => b.origin === site);
    if (budgets.length === 0) {
      throw new Error(`the wallet has no budget for ${site}: approve one with approve({budget})`);
    }
    for (const { decimals, symbol, spent, maxPerPayment, maxPerDay, ...key } of budgets) {
      await this.call('setBudget', {
        key,
        maxPerPayment:
          limits.perPayment === undefined
            ? maxPerPayment
            : parseAmount(limits.perPayment, decimals, 'perPayment').toString(),
        maxPerDay: parseAmount(limits.perDay, decimals, 'perDay').toString(),
      });
    }
  }

  budgets(): Promise<WalletBudget[]> {
    return this.call('budgets');
  }

  /** The payment history, newest first. */
  history(): Promise<WalletPayment[]> {
    return this.call('history');
  }

  async lock(): Promise<void> {
    await this.call('lock');
  }

  async unlock(password = this.password): Promise<void> {
    await this.call('unlock', { password });
  }

  /** Calls a method of the extension's API (what its popup uses); throws what it refuses. */
  async call<T>(method: string, params: object = {}): Promise<T> {
    return callExtension<T>(await this.controlPage(), method, params);
  }

  /**
   * Stops the extension's service worker, as the browser does when it is idle (CDP
   * ServiceWorker.stopAllWorkers); the next event or extension page starts it again.
   * Resolves once the worker is gone.
   */
  async stopServiceWorker(): Promise<void> {
    const cdp = await this.serviceWorkers();
    const stopped = new Promise<void>((resolve) => {
      this.onWorkerStatus = () => {
        const statuses = [...this.workerStatus.values()];
        if (statuses.length > 0 && statuses.every((status) => status === 'stopped')) resolve();
      };
    });
    await cdp.send('ServiceWorker.stopAllWorkers');
    this.onWorkerStatus();
    await stopped;
    this.onWorkerStatus = () => {};
  }

  close(): Promise<void> {
    return this.onClose();
  }

  /** One CDP session for the wallet's life, following the extension's service worker versions. */
  private serviceWorkers(): Promise<CDPSession> {
    this.workerSession ??= (async () => {
      const cdp = await this.context.newCDPSession(await this.controlPage());
      cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
        for (const version of versions) {
          if (version.scriptURL.startsWith(`${this.origin}/`)) {
            this.workerStatus.set(version.versionId, version.runningStatus);
          }
        }
        this.onWorkerStatus();
      });
      await cdp.send('ServiceWorker.enable');
      return cdp;
    })();
    return this.workerSession;
  }

  /** An extension page of its own, in the background, for `call`. */
  private controlPage(): Promise<Page> {
    this.control ??= openExtensionPage(this.context, this.extensionId);
    return this.control;
  }

  /** The origin (scheme, host, port) that asked in an approval window, from the extension. */
  private async askingOrigin(window: Page): Promise<string> {
    const id = new URL(window.url()).searchParams.get('request');
    const view = await this.call<{ origin: string } | null>('approval', { id });
    if (!view) throw new Error('this approval window is no longer open');
    return view.origin;
  }

  private forget(page: Page) {
    const at = this.opened.indexOf(page);
    if (at >= 0) this.opened.splice(at, 1);
  }
}
