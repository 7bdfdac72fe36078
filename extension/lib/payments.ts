import {
  addressOfPublicKey,
  bytesToHex,
  createPaymentPayload,
  decodePaymentRequired,
  encodePaymentSignature,
  formatAmount,
  type PaymentRequired,
  parseAmount,
  type ResourceInfo,
  X402InputError,
} from '@x402-casper/shared';
import type { Budget, BudgetKey, Budgets } from './budgets.js';
import { WalletError } from './errors.js';
import type { History, PaymentRecord } from './history.js';
import type { Keyring } from './keyring.js';
import { orderOptions, type PaymentOption, payableOptions } from './options.js';
import { describeOutcome, type Outcome, type RetryReport } from './outcome.js';
import { type PaidPageLoader, requestUrl } from './paid-load.js';
import type { DeclineReason, RequestKind } from './protocol.js';
import type { SettingsStore } from './settings.js';
import { isFinal, RESEND_MARGIN_MS, type Settlements } from './settlement.js';
import { registrableDomain } from './site.js';
import { readArea, Serial, writeArea } from './store.js';
import { siteText } from './text.js';

/** Who asks, as the browser (not the page) reported it. */
export interface Requester {
  origin: string;
  tabId: number;
  frameId: number;
  /** URL of the tab's top page, when the browser tells it. */
  tabUrl?: string;
  /** URL of the asking document, as the browser reported it. */
  url?: string;
}

export interface PayRequest {
  kind: RequestKind;
  url: string;
  method: string;
  paymentRequired: string;
  /** For a page load: the origin of the page that led here ('' for none). */
  referrer?: string;
}

export type PayAnswer =
  | { type: 'signed'; paymentSignature: string; paymentId: string; notice?: string }
  /** A page load: the wallet loads the paid page itself and records what the site answers. */
  | { type: 'loading'; paymentId: string }
  | { type: 'declined'; reason: DeclineReason; message: string };

/** Everything the approval window shows. */
export interface ApprovalView {
  id: string;
  /** The host that asked: the origin of the response that answered 402. */
  origin: string;
  /** The page that made the request, when it is not the host that asked (a third party). */
  page?: string;
  /** The origin of the `resource.url` the site claims, when it is not the host that asked. */
  claimedOrigin?: string;
  /** The tab's top page, when the request comes from a frame of another origin. */
  tabUrl?: string;
  /** The request comes from a frame of a page the browser did not name. */
  unknownTop?: boolean;
  /** The site is plain http on the network: no budgets, and a warning. */
  insecure?: boolean;
  kind: RequestKind;
  method: string;
  resource: ResourceInfo;
  /** Best first. */
  options: PaymentOption[];
  /** Per option: the budget that already exists for it with the paying account, if any. */
  budgets: (Budget | null)[];
  createdAt: number;
}

export type Decision =
  | { approve: false }
  | {
      approve: true;
      /** Position in `ApprovalView.options`. */
      option: number;
      /**
       * "Allow up to X per day without asking", in token units: creates a budget of X per
       * day and at most this payment's price per payment. Refused when a budget exists.
       */
      dailyAllowance?: string;
    };

/** Opens and closes approval windows (browser.windows in the extension, a fake in tests). */
export interface ApprovalWindows {
  open(approvalId: string): Promise<number | undefined>;
  close(windowId: number): Promise<void>;
}

/** Approvals waiting for the person, in storage.session: a stopped worker forgets them. */
const OPEN_APPROVALS = 'openApprovals';

interface OpenApproval {
  record: Omit<PaymentRecord, 'status'>;
}

/** How long after a paid page load failed its 402 page is not asked about again. */
const FAILED_LOAD_QUIET_MS = 10_000;
/** After this many rejections in a row, a site gets no window for a while… */
const REJECTIONS_BEFORE_QUIET = 3;
/** …a minute, doubling with each further rejection, at most 15 minutes. */
const REJECTED_QUIET_MS = 60_000;
const MAX_REJECTED_QUIET_MS = 15 * 60_000;

interface Pending {
  view: ApprovalView;
  windowId?: number;
  settle: (decision: Decision) => void;
}

function randomId(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
}

function originOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the request comes from the page the person is on: the top frame, or a frame of
 * the same origin as the top page. A budget is for a site the person visits, not for every
 * page that embeds it.
 */
export function isTopSite(requester: Requester): boolean {
  return requester.frameId === 0 || originOf(requester.tabUrl) === requester.origin;
}

/**
 * Whether what the site asks for reaches the wallet unaltered: https, or plain http only on
 * this computer (localhost, loopback addresses). Anything else could be changed on the way.
 */
export function isSecureOrigin(origin: string): boolean {
  const url = new URL(origin);
  if (url.protocol === 'https:') return true;
  const host = url.hostname;
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]'
  );
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

/**
 * The host that asked for the payment: the origin of the response that answered 402 (the
 * URL the request went to, after redirects), not the page that made the request.
 */
export function askerOf(requester: Requester, request: PayRequest): string {
  return originOf(request.url) ?? requester.origin;
}

export function budgetKeyOf(origin: string, account: string, option: PaymentOption): BudgetKey {
  return { origin, account, network: option.network.id, asset: option.asset, payTo: option.payTo };
}

/**
 * The payment desk: takes a 402 from a page, pays it from a budget or asks the person in an
 * approval window, signs with the active account, and records what happened.
 */
export class Payments {
  private readonly pending = new Map<string, Pending>();
  private readonly queues = new Map<number, Serial>();
  private readonly openSerial = new Serial();
  /** Per tab: a paid page load the site refused, whose 402 page must not ask again at once. */
  private readonly failedLoads = new Map<number, { url: string; until: number }>();
  /**
   * Per tab and per registrable domain (of the host that asked and of the page): rejections
   * in a row, and until when their requests get no window. Sub-origins of one site in
   * frames, or many sites in one tab, share a count.
   */
  private readonly rejections = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly deps: {
      keyring: Keyring;
      settings: SettingsStore;
      budgets: Budgets;
      history: History;
      windows: ApprovalWindows;
      pages: PaidPageLoader;
      settlements: Settlements;
      now?: () => number;
      /** Runs `step` later (setTimeout in the extension). */
      later?: (step: () => void, ms: number) => void;
    },
  ) {}

  private now() {
    return (this.deps.now ?? Date.now)();
  }

  /** Handles one 402. `cancelled` fires when the page goes away (tab closed, navigated). */
  async request(
    requester: Requester,
    request: PayRequest,
    cancelled: AbortSignal,
  ): Promise<PayAnswer> {
    let required: PaymentRequired;
    try {
      required = decodePaymentRequired(request.paymentRequired);
    } catch (error) {
      const why = error instanceof X402InputError ? error.message : 'unreadable';
      return {
        type: 'declined',
        reason: 'not_payable',
        message: `The 402 is not valid x402: ${why}`,
      };
    }
    if (!(await this.deps.keyring.hasWallet())) {
      return { type: 'declined', reason: 'unavailable', message: 'The wallet is not set up yet.' };
    }
    const { settings } = this.deps;
    const networks = Object.values(await settings.networks());
    const tokens = new Map<string, Awaited<ReturnType<SettingsStore['tokens']>>>();
    for (const network of networks) tokens.set(network.id, await settings.tokens(network.id));
    const active = await settings.activeNetwork();
    const options = orderOptions(
      payableOptions(required, networks, (id) => tokens.get(id) ?? []),
      active.id,
    );
    if (options.length === 0) {
      return {
        type: 'declined',
        reason: 'not_payable',
        message: 'None of the payment options is a Casper network this wallet knows.',
      };
    }
    const resource = required.resource;
    if (request.kind === 'navigation') {
      const refused = this.refuseNavigation(requester, request);
      if (refused) return refused;
    }

    // The same purchase, asked for again while its authorization can still be collected:
    // the same authorization goes back, so one purchase can only ever be collected once.
    const again = await this.sendAgain(requester, request, resource, options);
    if (again) return again;

    const budgeted = await this.payFromBudget(requester, request, resource, options);
    if (budgeted) return budgeted;

    const queue = this.queues.get(requester.tabId) ?? new Serial();
    this.queues.set(requester.tabId, queue);
    return queue.run(() => this.askPerson(requester, request, resource, options, cancelled));
  }

  /**
   * A page load is paid by loading the page again with the payment, so only the top page
   * itself may ask, for its own URL; and a 402 page that a paid load just produced does not
   * ask again (the person would see the window again at once).
   */
  private refuseNavigation(requester: Requester, request: PayRequest): PayAnswer | undefined {
    const url = requestUrl(request.url);
    if (requester.frameId !== 0 || !requester.url || requestUrl(requester.url) !== url) {
      return {
        type: 'declined',
        reason: 'not_payable',
        message: 'Only the top page itself can ask to pay for loading it.',
      };
    }
    const failed = this.failedLoads.get(requester.tabId);
    this.failedLoads.delete(requester.tabId);
    if (failed && failed.url === url && this.now() < failed.until) {
      return {
        type: 'declined',
        reason: 'rejected',
        message: 'The site refused the paid page load; reload the page to try again.',
      };
    }
    return undefined;
  }

  private keepOpen(id: string, record: OpenApproval['record'] | undefined): Promise<void> {
    return this.openSerial.run(async () => {
      const open = await readArea<Record<string, OpenApproval>>('session', OPEN_APPROVALS, {});
      if (record) open[id] = { record };
      else delete open[id];
      await writeArea('session', OPEN_APPROVALS, open);
    });
  }

  /**
   * At start-up: requests whose window was open when the worker stopped are recorded as
   * interrupted (nothing was signed for them; their page got its 402 when the port closed).
   */
  async recoverInterrupted(): Promise<void> {
    const open = await this.openSerial.run(async () => {
      const stored = await readArea<Record<string, OpenApproval>>('session', OPEN_APPROVALS, {});
      await writeArea('session', OPEN_APPROVALS, {});
      return stored;
    });
    for (const { record } of Object.values(open)) {
      await this.deps.history.add({
        ...record,
        status: 'rejected',
        message: 'Interrupted: the wallet stopped before you answered. Nothing was signed.',
      });
    }
  }

  /** The open approval with this id, for its window. */
  approval(id: string): ApprovalView | undefined {
    return this.pending.get(id)?.view;
  }

  /** The person's answer from the approval window. Bad input throws and changes nothing. */
  async decide(id: string, decision: Decision): Promise<void> {
    const pending = this.pending.get(id);
    if (!pending) throw new WalletError('not_found', 'This payment request is no longer open.');
    if (!decision.approve) {
      pending.settle({ approve: false });
      return;
    }
    const option = pending.view.options[decision.option];
    if (!Number.isInteger(decision.option) || !option) {
      throw new X402InputError('option', 'is not one of the offered payment options');
    }
    if (decision.dailyAllowance !== undefined) {
      if (pending.view.page) {
        throw new X402InputError(
          'dailyAllowance',
          'payments without asking are only possible for a site asking on its own pages',
        );
      }
      if (pending.view.insecure) {
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
      const allowance = parseAmount(
        decision.dailyAllowance.trim(),
        option.decimals,
        'dailyAllowance',
      );
      if (allowance < BigInt(option.amount)) {
        throw new X402InputError(
          'dailyAllowance',
          `must be at least this payment's price (${formatAmount(option.amount, option.decimals)} ${option.symbol})`,
        );
      }
      const key = budgetKeyOf(pending.view.origin, await this.payingAccount(), option);
      if (await this.deps.budgets.find(key)) {
        throw new X402InputError(
          'dailyAllowance',
          'a budget for this site, account, token and payee already exists: change it under Budgets in the wallet',
        );
      }
    }
    if (!(await this.deps.keyring.isUnlocked())) {
      throw new WalletError('locked', 'Unlock the wallet to approve.');
    }
    if (
      pending.view.kind === 'navigation' &&
      !(await this.deps.pages.canLoad(pending.view.origin))
    ) {
      throw new WalletError(
        'no_site_access',
        `To load the paid page, allow the wallet to access ${hostOf(pending.view.origin)} when it asks.`,
      );
    }
    pending.settle(decision);
  }

  /** The approval window was closed: whatever it showed is rejected. */
  windowClosed(windowId: number): void {
    for (const pending of this.pending.values()) {
      if (pending.windowId === windowId) pending.settle({ approve: false });
    }
  }

  /** What the site answered to the paid request: recorded in the history, in plain words. */
  async report(paymentId: string, report: RetryReport): Promise<Outcome> {
    const outcome = describeOutcome(report);
    await this.deps.history.update(paymentId, (old) => {
      const { siteReason: _, ...rest } = old;
      return {
        ...rest,
        status: outcome.status,
        siteSaid: outcome.status,
        message: outcome.message,
        ...(outcome.transaction ? { transaction: outcome.transaction } : {}),
        ...(outcome.reason ? { siteReason: outcome.reason } : {}),
      };
    });
    // Then what the chain says: the site's word is not the last one.
    await this.confirmOnChain(paymentId);
    return outcome;
  }

  /** The page went away after it got the signature and before it told us the site's answer. */
  async abandoned(paymentId: string): Promise<void> {
    await this.deps.history.update(paymentId, {
      message: "Signed, but the page closed before the site's answer arrived.",
    });
    await this.confirmOnChain(paymentId);
  }

  /** Reads the authorization's state on chain now, and again a little later until final. */
  private async confirmOnChain(paymentId: string): Promise<void> {
    const later = this.deps.later ?? ((step, ms) => void setTimeout(step, ms));
    const checked = await this.deps.settlements.check(paymentId).catch(() => undefined);
    if (!checked || isFinal(checked.chain)) return;
    for (const ms of [2_000, 6_000, 15_000]) {
      later(() => void this.deps.settlements.check(paymentId).catch(() => undefined), ms);
    }
  }

  /**
   * An earlier authorization for the same purchase (the same site, resource, network, token,
   * payee, amount and account) that the chain says is not collected and still valid: it is
   * sent again unchanged, with no new signature, no window and no budget charge.
   */
  private async sendAgain(
    requester: Requester,
    request: PayRequest,
    resource: ResourceInfo,
    options: PaymentOption[],
  ): Promise<PayAnswer | undefined> {
    const account = await this.payingAccount().catch(() => undefined);
    if (!account) return undefined;
    const payer = addressOfPublicKey(account);
    const url = resource.url || request.url;
    const asker = askerOf(requester, request);
    const records = await this.deps.history.list();
    for (const option of options) {
      const earlier = records.find(
        (r) =>
          r.origin === asker &&
          r.url === url &&
          r.network === option.network.id &&
          r.asset === option.asset &&
          r.payTo === option.payTo &&
          r.amount === option.amount &&
          r.payer === payer &&
          r.paymentSignature !== undefined &&
          r.authorization !== undefined &&
          // One the person set out to cancel is never sent again.
          r.cancel === undefined &&
          !isFinal(r.chain),
      );
      if (!earlier?.paymentSignature) continue;
      const checked = await this.deps.settlements.check(earlier.id).catch(() => undefined);
      const chain = checked?.chain;
      if (!chain || chain.state === 'confirmed' || chain.state === 'expired') continue;
      // A token that hides its nonces: the site's "paid" is taken as collected.
      if (chain.state === 'unknown' && checked.siteSaid === 'paid') continue;
      const chainNow = chain.chainTime ?? this.now();
      if ((chain.validUntil ?? 0) - RESEND_MARGIN_MS <= chainNow) continue;
      await this.deps.history.update(
        earlier.id,
        (old) => ({
          sentAgain: (old.sentAgain ?? 0) + 1,
          status: 'pending',
          message:
            'Asked again for the same purchase: the wallet sent the same authorization, so it can be collected only once.',
        }),
        { toTop: true },
      );
      const amount = `${formatAmount(option.amount, option.decimals)} ${option.symbol}`;
      const signed: PayAnswer & { type: 'signed' } = {
        type: 'signed',
        paymentSignature: earlier.paymentSignature,
        paymentId: earlier.id,
        notice: `x402-casper sent again the ${amount} authorization you already gave ${hostOf(asker)} for this; nothing new was signed.`,
      };
      if (request.kind === 'navigation') return this.loadPaidPage(requester, request, signed);
      return signed;
    }
    return undefined;
  }

  private async payFromBudget(
    requester: Requester,
    request: PayRequest,
    resource: ResourceInfo,
    options: PaymentOption[],
  ): Promise<PayAnswer | undefined> {
    if (!(await this.deps.keyring.isUnlocked())) return undefined;
    if (!isTopSite(requester) || !isSecureOrigin(requester.origin)) return undefined;
    // A budget is the asking host's, and spends only on its own pages' requests.
    if (askerOf(requester, request) !== requester.origin) return undefined;
    // A page load spends a budget only when the site itself led there (a link or script of
    // its own pages): not when another site opened or navigated to it, nor a typed address.
    if (request.kind === 'navigation' && request.referrer !== requester.origin) return undefined;
    // Loading a paid page needs access to the site, which only a click can grant.
    if (request.kind === 'navigation' && !(await this.deps.pages.canLoad(requester.origin))) {
      return undefined;
    }
    const account = await this.payingAccount();
    for (const option of options) {
      if (!option.token) continue;
      const charge = await this.deps.budgets.charge(
        budgetKeyOf(requester.origin, account, option),
        BigInt(option.amount),
      );
      if (!charge.ok) continue;
      const signed = await this.sign(requester, request, resource, option, 'budget', account);
      if (request.kind === 'navigation') return this.loadPaidPage(requester, request, signed);
      const amount = `${formatAmount(option.amount, option.decimals)} ${option.symbol}`;
      return {
        ...signed,
        notice: `x402-casper paid ${amount} to ${hostOf(requester.origin)} from your budget.`,
      };
    }
    return undefined;
  }

  private async askPerson(
    requester: Requester,
    request: PayRequest,
    resource: ResourceInfo,
    options: PaymentOption[],
    cancelled: AbortSignal,
  ): Promise<PayAnswer> {
    if (cancelled.aborted) {
      return { type: 'declined', reason: 'rejected', message: 'The page went away.' };
    }
    // A site that keeps asking after being told no does not get to keep opening windows.
    const quietKeys = this.quietKeys(requester, askerOf(requester, request));
    if (quietKeys.some((key) => this.now() < (this.rejections.get(key)?.until ?? 0))) {
      return {
        type: 'declined',
        reason: 'rejected',
        message: 'You rejected several payment requests from this site; it must wait to ask again.',
      };
    }
    const account = await this.payingAccount().catch(() => undefined);
    const asker = askerOf(requester, request);
    const budgets = await Promise.all(
      options.map(async (option) =>
        account
          ? ((await this.deps.budgets.find(budgetKeyOf(asker, account, option))) ?? null)
          : null,
      ),
    );
    const claimed = originOf(resource.url);
    const view: ApprovalView = {
      id: randomId(),
      origin: asker,
      ...(asker !== requester.origin ? { page: requester.origin } : {}),
      ...(claimed && claimed !== asker ? { claimedOrigin: claimed } : {}),
      ...(requester.tabUrl && originOf(requester.tabUrl) !== requester.origin
        ? { tabUrl: requester.tabUrl }
        : {}),
      ...(requester.frameId !== 0 && !requester.tabUrl ? { unknownTop: true } : {}),
      ...(isSecureOrigin(requester.origin) && isSecureOrigin(asker) ? {} : { insecure: true }),
      kind: request.kind,
      method: request.method,
      // The site's words, cleaned of bidi controls and invisible characters, and clipped.
      resource: {
        ...resource,
        url: siteText(resource.url, 2048),
        ...(resource.description !== undefined
          ? { description: siteText(resource.description, 160) }
          : {}),
      },
      options,
      budgets,
      createdAt: this.now(),
    };
    // Kept in storage.session until answered: if the worker stops meanwhile, the next one
    // records the request as interrupted instead of forgetting it.
    await this.keepOpen(view.id, this.recordBase(requester, request, resource, options[0]!));
    const decision = await new Promise<Decision>((resolve) => {
      const pending: Pending = { view, settle: resolve };
      this.pending.set(view.id, pending);
      const onCancel = () => resolve({ approve: false });
      cancelled.addEventListener('abort', onCancel, { once: true });
      this.deps.windows.open(view.id).then(
        (windowId) => {
          pending.windowId = windowId;
          if (!this.pending.has(view.id) && windowId !== undefined) {
            void this.deps.windows.close(windowId);
          }
        },
        () => resolve({ approve: false }),
      );
    });
    const pending = this.pending.get(view.id);
    this.pending.delete(view.id);
    await this.keepOpen(view.id, undefined);
    if (pending?.windowId !== undefined) void this.deps.windows.close(pending.windowId);

    if (!decision.approve) {
      if (!cancelled.aborted) for (const key of quietKeys) this.countRejection(key);
      const first = options[0]!;
      await this.deps.history.add({
        ...this.recordBase(requester, request, resource, first),
        status: 'rejected',
        message: cancelled.aborted ? 'The page went away before you answered.' : 'You rejected it.',
      });
      return { type: 'declined', reason: 'rejected', message: 'The payment was rejected.' };
    }
    for (const key of quietKeys) this.rejections.delete(key);
    const option = options[decision.option]!;
    let signed: PayAnswer & { type: 'signed' };
    try {
      const account = await this.payingAccount();
      if (decision.dailyAllowance !== undefined) {
        const perDay = parseAmount(
          decision.dailyAllowance.trim(),
          option.decimals,
          'dailyAllowance',
        );
        // At most this price per payment; an existing budget stays as the person set it.
        await this.deps.budgets.create(
          budgetKeyOf(asker, account, option),
          { maxPerPayment: option.amount, maxPerDay: perDay.toString() },
          BigInt(option.amount),
        );
      }
      signed = await this.sign(requester, request, resource, option, 'window', account);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'Signing failed.';
      return { type: 'declined', reason: 'unavailable', message };
    }
    if (request.kind === 'navigation') {
      if (cancelled.aborted) {
        await this.deps.history.update(signed.paymentId, {
          status: 'failed',
          message: 'The page went away before the paid page loaded; nothing was sent.',
        });
        return { type: 'declined', reason: 'rejected', message: 'The page went away.' };
      }
      return this.loadPaidPage(requester, request, signed);
    }
    return signed;
  }

  /**
   * Has the browser load the paid page in the asking tab with the payment attached, so the
   * page is the site's own response with all of its headers. The signature never reaches
   * the page's scripts. What the site answers is recorded when it arrives.
   */
  private loadPaidPage(
    requester: Requester,
    request: PayRequest,
    signed: PayAnswer & { type: 'signed' },
  ): PayAnswer {
    const { paymentId } = signed;
    const url = requestUrl(request.url);
    void this.deps.pages
      .load(requester.tabId, url, signed.paymentSignature)
      .then(async (report) => {
        if (!report) {
          await this.deps.history.update(paymentId, {
            status: 'failed',
            message: 'The paid page did not load, so the payment was never sent.',
          });
          return;
        }
        const outcome = await this.report(paymentId, report);
        if (outcome.status === 'failed') {
          this.failedLoads.set(requester.tabId, { url, until: this.now() + FAILED_LOAD_QUIET_MS });
        }
      })
      .catch(() =>
        this.deps.history.update(paymentId, {
          status: 'failed',
          message: 'The wallet could not load the paid page, so the payment was never sent.',
        }),
      );
    return { type: 'loading', paymentId };
  }

  private recordBase(
    requester: Requester,
    request: PayRequest,
    resource: ResourceInfo,
    option: PaymentOption,
  ): Omit<PaymentRecord, 'status'> {
    return {
      id: randomId(),
      time: this.now(),
      origin: askerOf(requester, request),
      ...(askerOf(requester, request) !== requester.origin ? { page: requester.origin } : {}),
      url: resource.url || request.url,
      ...(siteText(resource.description, 160)
        ? { description: siteText(resource.description, 160) }
        : {}),
      network: option.network.id,
      asset: option.asset,
      symbol: option.symbol,
      decimals: option.decimals,
      knownToken: option.token !== undefined,
      amount: option.amount,
      payTo: option.payTo,
    };
  }

  private quietKeys(requester: Requester, asker: string): string[] {
    return [
      ...new Set([
        `tab ${requester.tabId}`,
        `site ${registrableDomain(asker)}`,
        `site ${registrableDomain(requester.origin)}`,
      ]),
    ];
  }

  private countRejection(origin: string): void {
    const count = (this.rejections.get(origin)?.count ?? 0) + 1;
    const beyond = count - REJECTIONS_BEFORE_QUIET;
    const quiet =
      beyond >= 0 ? Math.min(REJECTED_QUIET_MS * 2 ** beyond, MAX_REJECTED_QUIET_MS) : 0;
    this.rejections.set(origin, { count, until: this.now() + quiet });
  }

  /** The account payments are signed with: the selected one (public key hex). */
  private async payingAccount(): Promise<string> {
    const { keyring, settings } = this.deps;
    const account =
      (await settings.settings()).activeAccount ?? (await keyring.accounts())[0]?.publicKey;
    if (!account) throw new WalletError('no_wallet', 'There is no account to pay with.');
    return account;
  }

  private async sign(
    requester: Requester,
    request: PayRequest,
    resource: ResourceInfo,
    option: PaymentOption,
    approvedBy: 'window' | 'budget',
    account: string,
  ): Promise<PayAnswer & { type: 'signed' }> {
    const { keyring } = this.deps;
    const payload = await createPaymentPayload(option.requirements, keyring.signer(account), {
      now: Math.floor(this.now() / 1000),
      resource,
    });
    const paymentSignature = encodePaymentSignature(payload);
    const { from, nonce, validAfter, validBefore } = payload.payload.authorization as Record<
      'from' | 'nonce' | 'validAfter' | 'validBefore',
      string
    >;
    const record: PaymentRecord = {
      ...this.recordBase(requester, request, resource, option),
      payer: addressOfPublicKey(account),
      approvedBy,
      status: 'pending',
      message: 'Signed; waiting for the site to settle.',
      authorization: { from, nonce, validAfter, validBefore },
      paymentSignature,
    };
    await this.deps.history.add(record);
    // A click is activity and keeps the wallet open; a budget payment is not and does not.
    if (approvedBy === 'window') await keyring.touch();
    return { type: 'signed', paymentSignature, paymentId: record.id };
  }
}
