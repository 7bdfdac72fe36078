import {
  addressOfPublicKey,
  decodePaymentRequired,
  formatAmount,
  type PaymentRequired,
  type ResourceInfo,
  X402InputError,
} from '@x402-casper/shared';
import {
  ApprovalQueue,
  type ApprovalView,
  type ApprovalWindows,
  type Decision,
  randomId,
} from './approval-queue.js';
import { BudgetPolicy } from './budget-policy.js';
import type { Budgets } from './budgets.js';
import { WalletError } from './errors.js';
import type { History } from './history.js';
import type { Keyring } from './keyring.js';
import { orderOptions, type PaymentOption, payableOptions } from './options.js';
import { describeOutcome, type Outcome, type RetryReport } from './outcome.js';
import { outstandingAuthorizations } from './outstanding.js';
import { type PaidPageLoader, requestUrl } from './paid-load.js';
import type { DeclineReason } from './protocol.js';
import { QuietSites } from './quiet-sites.js';
import type { SeenAnswers } from './seen-answers.js';
import type { SettingsStore } from './settings.js';
import { isFinal, type Settlements, stillCollectable } from './settlement.js';
import { AuthorizationSigner, recordBase, type Signed } from './signing.js';
import {
  askerOf,
  hostOf,
  isSecureOrigin,
  originOf,
  type PayRequest,
  type Requester,
  SitePolicy,
} from './site-policy.js';
import { siteText } from './text.js';

export type PayAnswer =
  | Signed
  /** A page load: the wallet loads the paid page itself and records what the site answers. */
  | { type: 'loading'; paymentId: string }
  | { type: 'declined'; reason: DeclineReason; message: string };

/**
 * The payment desk: takes a 402 from a page, pays it again with an earlier authorization for
 * the same purchase, from a budget, or after the person approves it in a window, and records
 * what happened. Who may ask is the site policy's call, what may be paid without asking the
 * budget policy's, the waiting windows the approval queue's, and the signature the signer's.
 */
export class Payments {
  private readonly sites: SitePolicy;
  private readonly quiet: QuietSites;
  private readonly approvals: ApprovalQueue;
  private readonly budgetPolicy: BudgetPolicy;
  private readonly signer: AuthorizationSigner;

  constructor(
    private readonly deps: {
      keyring: Keyring;
      settings: SettingsStore;
      budgets: Budgets;
      history: History;
      windows: ApprovalWindows;
      pages: PaidPageLoader;
      settlements: Settlements;
      /** The 402 answers the browser saw: what confirms a page's word on who asked. */
      seen: SeenAnswers;
      now?: () => number;
      /** Runs `step` later (setTimeout in the extension). */
      later?: (step: () => void, ms: number) => void;
    },
  ) {
    const now = () => this.now();
    this.sites = new SitePolicy(now);
    this.quiet = new QuietSites(now);
    this.approvals = new ApprovalQueue(deps.windows);
    this.budgetPolicy = new BudgetPolicy(deps.budgets, deps.pages);
    this.signer = new AuthorizationSigner(deps.keyring, deps.history, now);
  }

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
      const refused = this.sites.refuseNavigation(
        requester,
        requestUrl(request.url),
        requester.url ? requestUrl(requester.url) : undefined,
      );
      if (refused) return { type: 'declined', ...refused };
    }

    // The same purchase, asked for again while its authorization can still be collected:
    // the same authorization goes back, so one purchase can only ever be collected once.
    const again = await this.sendAgain(requester, request, resource, options);
    if (again) return again;

    const budgeted = await this.payFromBudget(requester, request, resource, options);
    if (budgeted) return budgeted;

    return this.approvals.inTurn(requester.tabId, () =>
      this.askPerson(requester, request, resource, options, cancelled),
    );
  }

  /**
   * At start-up: requests whose window was open when the worker stopped are recorded as
   * interrupted (nothing was signed for them; their page got its 402 when the port closed).
   */
  recoverInterrupted(): Promise<void> {
    return this.approvals.recoverInterrupted(this.deps.history);
  }

  /** The open approval with this id, for its window. */
  approval(id: string): ApprovalView | undefined {
    return this.approvals.view(id);
  }

  /** The person's answer from the approval window. Bad input throws and changes nothing. */
  async decide(id: string, decision: Decision): Promise<void> {
    const view = this.approvals.view(id);
    if (!view) throw new WalletError('not_found', 'This payment request is no longer open.');
    if (!decision.approve) {
      this.approvals.settle(id, { approve: false });
      return;
    }
    const option = view.options[decision.option];
    if (!Number.isInteger(decision.option) || !option) {
      throw new X402InputError('option', 'is not one of the offered payment options');
    }
    if (decision.dailyAllowance !== undefined) {
      await this.budgetPolicy.checkAllowance(
        view,
        option,
        await this.payingAccount(),
        decision.dailyAllowance,
      );
    }
    if (!(await this.deps.keyring.isUnlocked())) {
      throw new WalletError('locked', 'Unlock the wallet to approve.');
    }
    if (view.kind === 'navigation' && !(await this.deps.pages.canLoad(view.origin))) {
      throw new WalletError(
        'no_site_access',
        `To load the paid page, allow the wallet to access ${hostOf(view.origin)} when it asks.`,
      );
    }
    this.approvals.settle(id, decision);
  }

  /** The approval window was closed: whatever it showed is rejected. */
  windowClosed(windowId: number): void {
    this.approvals.windowClosed(windowId);
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
   * An earlier authorization for the same purchase (the same requesting page origin, as the
   * browser reported it, the same host that asked, resource, network, token, payee, amount and
   * account) that the chain says is not collected and still valid: it is sent again
   * unchanged, with no new signature, no window and no budget charge. Which host asked is the
   * page's word, so it alone never decides: another site's page never gets it.
   */
  private async sendAgain(
    requester: Requester,
    request: PayRequest,
    resource: ResourceInfo,
    options: PaymentOption[],
  ): Promise<PayAnswer | undefined> {
    // A locked wallet hands out nothing, not even what it signed before: the window asks.
    if (!(await this.deps.keyring.isUnlocked())) return undefined;
    const account = await this.payingAccount().catch(() => undefined);
    if (!account) return undefined;
    const payer = addressOfPublicKey(account);
    const url = resource.url || request.url;
    const asker = askerOf(requester, request);
    const records = await this.deps.history.list();
    const earlierOf = (option: PaymentOption) =>
      records.find(
        (r) =>
          r.requester === requester.origin &&
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
    // Every option's earlier authorization is read at once, not one after another.
    const checked = await Promise.all(
      options.map(async (option) => {
        const earlier = earlierOf(option);
        if (!earlier?.paymentSignature) return undefined;
        const record = await this.deps.settlements.check(earlier.id).catch(() => undefined);
        return stillCollectable(record, this.now()) ? earlier : undefined;
      }),
    );
    for (const [i, option] of options.entries()) {
      const earlier = checked[i];
      if (!earlier?.paymentSignature) continue;
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
      const signed: Signed = {
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
    if (!(await this.budgetPolicy.mayPayWithoutAsking(requester, request))) return undefined;
    const account = await this.payingAccount();
    for (const option of options) {
      if (!(await this.budgetPolicy.charge(requester.origin, account, option))) continue;
      const signed = await this.signer.sign(
        requester,
        request,
        resource,
        option,
        'budget',
        account,
      );
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
    const asker = askerOf(requester, request);
    // Another host than the page's own: the page says so; the browser may have seen it.
    const unconfirmed =
      asker !== requester.origin &&
      !(await this.deps.seen.confirms({
        tabId: requester.tabId,
        frameId: requester.frameId,
        url: request.url,
        paymentRequired: request.paymentRequired,
      }));
    // Who is asking, as far as the wallet knows: the page itself when which host asked is only
    // its word. Rejections count against it, so a page cannot make another site wait.
    const answerable = unconfirmed ? requester.origin : asker;
    // A site that keeps asking after being told no does not get to keep opening windows.
    if (await this.quiet.isQuiet(requester, answerable)) {
      return {
        type: 'declined',
        reason: 'rejected',
        message: 'You rejected several payment requests from this site; it must wait to ask again.',
      };
    }
    const account = await this.payingAccount().catch(() => undefined);
    const claimed = originOf(resource.url);
    const view: ApprovalView = {
      id: randomId(),
      origin: asker,
      ...(asker !== requester.origin ? { page: requester.origin } : {}),
      ...(unconfirmed ? { askerUnconfirmed: true } : {}),
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
      budgets: await this.budgetPolicy.existing(asker, account, options),
      outstanding: account
        ? (
            await outstandingAuthorizations(
              {
                history: this.deps.history,
                settlements: this.deps.settlements,
                now: () => this.now(),
              },
              answerable,
              addressOfPublicKey(account),
              options,
            )
          ).map((held) => ({ ...held, url: siteText(held.url, 2048) }))
        : [],
      createdAt: this.now(),
    };
    const decision = await this.approvals.ask(
      view,
      recordBase(requester, request, resource, options[0]!, this.now()),
      cancelled,
    );

    if (!decision.approve) {
      if (!cancelled.aborted) await this.quiet.rejected(requester, answerable);
      await this.deps.history.add({
        ...recordBase(requester, request, resource, options[0]!, this.now()),
        status: 'rejected',
        message: cancelled.aborted ? 'The page went away before you answered.' : 'You rejected it.',
      });
      return { type: 'declined', reason: 'rejected', message: 'The payment was rejected.' };
    }
    await this.quiet.approved(requester, answerable);
    const option = options[decision.option]!;
    let paying: string;
    try {
      paying = await this.payingAccount();
      // The allowance the person ticked is granted whether a new authorization is signed or
      // the earlier one goes back, charged with this price either way.
      if (decision.dailyAllowance !== undefined) {
        await this.budgetPolicy.grant(asker, paying, option, decision.dailyAllowance);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : 'Signing failed.';
      return { type: 'declined', reason: 'unavailable', message };
    }
    // Approved after unlocking in the window: an earlier authorization for the same purchase
    // still goes back rather than a second one.
    const again = await this.sendAgain(requester, request, resource, [option]);
    if (again) return again;
    let signed: Signed;
    try {
      signed = await this.signer.sign(requester, request, resource, option, 'window', paying);
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
  private loadPaidPage(requester: Requester, request: PayRequest, signed: Signed): PayAnswer {
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
        if (outcome.status === 'failed') this.sites.loadFailed(requester.tabId, url);
      })
      .catch(() =>
        this.deps.history.update(paymentId, {
          status: 'failed',
          message: 'The wallet could not load the paid page, so the payment was never sent.',
        }),
      );
    return { type: 'loading', paymentId };
  }

  /** The account payments are signed with: the selected one (public key hex). */
  private async payingAccount(): Promise<string> {
    const { keyring, settings } = this.deps;
    const account =
      (await settings.settings()).activeAccount ?? (await keyring.accounts())[0]?.publicKey;
    if (!account) throw new WalletError('no_wallet', 'There is no account to pay with.');
    return account;
  }
}
