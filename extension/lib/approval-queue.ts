// Approval windows waiting for the person: one at a time per tab, each kept in storage.session
// until answered (a worker that stops meanwhile leaves a trace the next one records as
// interrupted), closed when the page goes away or the window is closed.
import type { ResourceInfo } from '@x402-casper/shared';
import { bytesToHex } from '@x402-casper/shared';
import type { Budget } from './budgets.js';
import type { History, PaymentRecord } from './history.js';
import type { PaymentOption } from './options.js';
import type { OutstandingAuthorization } from './outstanding.js';
import type { RequestKind } from './protocol.js';
import { readArea, Serial, writeArea } from './store.js';

/** Everything the approval window shows. */
export interface ApprovalView {
  id: string;
  /** The host that asked: the origin of the response that answered 402. */
  origin: string;
  /** The page that made the request, when it is not the host that asked (a third party). */
  page?: string;
  /**
   * Which host asked is only what the page reported: the browser did not see that host answer
   * this request with 402 (the wallet has no access to it, or the page made it up).
   */
  askerUnconfirmed?: boolean;
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
  /**
   * Authorizations the paying account already gave this host for these payees that the chain
   * says it can still collect (newest first).
   */
  outstanding: OutstandingAuthorization[];
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

/** A random id for an approval or a history record. */
export function randomId(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
}

/** Approvals waiting for the person, in storage.session: a stopped worker forgets them. */
const OPEN_APPROVALS = 'openApprovals';

interface OpenApproval {
  record: Omit<PaymentRecord, 'status'>;
}

interface Pending {
  view: ApprovalView;
  windowId?: number;
  settle: (decision: Decision) => void;
}

export class ApprovalQueue {
  private readonly pending = new Map<string, Pending>();
  private readonly queues = new Map<number, Serial>();
  private readonly openSerial = new Serial();

  constructor(private readonly windows: ApprovalWindows) {}

  /** Runs `ask` after every earlier request of the same tab was answered. */
  inTurn<T>(tabId: number, ask: () => Promise<T>): Promise<T> {
    const queue = this.queues.get(tabId) ?? new Serial();
    this.queues.set(tabId, queue);
    return queue.run(ask);
  }

  /**
   * Opens the window for `view` and answers the person's decision: a rejection when the page
   * goes away (`cancelled`), the window is closed, or it cannot open. `record` is what the
   * history gets if the worker stops before an answer.
   */
  async ask(
    view: ApprovalView,
    record: Omit<PaymentRecord, 'status'>,
    cancelled: AbortSignal,
  ): Promise<Decision> {
    await this.keepOpen(view.id, record);
    const decision = await new Promise<Decision>((resolve) => {
      const pending: Pending = { view, settle: resolve };
      this.pending.set(view.id, pending);
      cancelled.addEventListener('abort', () => resolve({ approve: false }), { once: true });
      this.windows.open(view.id).then(
        (windowId) => {
          pending.windowId = windowId;
          if (!this.pending.has(view.id) && windowId !== undefined) {
            void this.windows.close(windowId);
          }
        },
        () => resolve({ approve: false }),
      );
    });
    const pending = this.pending.get(view.id);
    this.pending.delete(view.id);
    await this.keepOpen(view.id, undefined);
    if (pending?.windowId !== undefined) void this.windows.close(pending.windowId);
    return decision;
  }

  /** The open approval with this id, for its window. */
  view(id: string): ApprovalView | undefined {
    return this.pending.get(id)?.view;
  }

  /** Answers the open approval `id` (checked by the caller). */
  settle(id: string, decision: Decision): void {
    this.pending.get(id)?.settle(decision);
  }

  /** The approval window was closed: whatever it showed is rejected. */
  windowClosed(windowId: number): void {
    for (const pending of this.pending.values()) {
      if (pending.windowId === windowId) pending.settle({ approve: false });
    }
  }

  /**
   * At start-up: requests whose window was open when the worker stopped (before the person
   * answered, or after an approval and before the signature) are recorded as interrupted:
   * nothing was signed for them, and their page got its 402 when the port closed.
   */
  async recoverInterrupted(history: History): Promise<void> {
    const open = await this.openSerial.run(async () => {
      const stored = await readArea<Record<string, OpenApproval>>('session', OPEN_APPROVALS, {});
      await writeArea('session', OPEN_APPROVALS, {});
      return stored;
    });
    for (const { record } of Object.values(open)) {
      await history.add({
        ...record,
        status: 'rejected',
        message: 'Interrupted: the wallet stopped before it signed anything for this request.',
      });
    }
  }

  private keepOpen(id: string, record: OpenApproval['record'] | undefined): Promise<void> {
    return this.openSerial.run(async () => {
      const open = await readArea<Record<string, OpenApproval>>('session', OPEN_APPROVALS, {});
      if (record) open[id] = { record };
      else delete open[id];
      await writeArea('session', OPEN_APPROVALS, open);
    });
  }
}
