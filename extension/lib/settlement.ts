// What happened to a signed authorization is read from the chain, not taken from the site:
// the token's used-nonce dictionary says whether it was collected, the newest block's time
// says whether it can still be, and a transaction the site names is looked up.
import type { ChainReader } from './chain.js';
import type { ChainCheck, History, PaymentRecord } from './history.js';

/** The chain reader for a network id, or undefined when the wallet has no such network. */
export type ReaderOf = (networkId: string) => Promise<ChainReader | undefined>;

/** An authorization this close to its end is not sent again: it could expire on the way. */
export const RESEND_MARGIN_MS = 10_000;
/** A record is not asked about again sooner than this (the popup polls the history). */
const RECHECK_MS = 4_000;

/** Whether the authorization can no longer be collected: collected, expired or cancelled. */
function isSpent(check: ChainCheck | undefined): boolean {
  return check?.state === 'confirmed' || check?.state === 'expired' || check?.state === 'cancelled';
}

/**
 * Whether the chain's answer can no longer change: the authorization is spent and the
 * transaction the site reported, if any, was read (one whose read failed is read again).
 */
export function isFinal(check: ChainCheck | undefined): boolean {
  return isSpent(check) && check?.transferUnread !== true;
}

/**
 * Whether the site can still collect a record's authorization, by what the chain said when
 * last asked: not collected nor cancelled, and valid for more than RESEND_MARGIN_MS by block
 * time. A token that hides its nonces is taken at the site's word when it said it was paid.
 */
export function stillCollectable(record: PaymentRecord | undefined, now: number): boolean {
  const chain = record?.chain;
  if (!chain || isSpent(chain)) return false;
  // The site's word holds only while nothing on chain contradicts it (the status stays 'paid').
  if (chain.state === 'unknown' && record.siteSaid === 'paid' && record.status === 'paid') {
    return false;
  }
  return (chain.validUntil ?? 0) - RESEND_MARGIN_MS > (chain.chainTime ?? now);
}

export class Settlements {
  private readonly busy = new Map<string, Promise<PaymentRecord | undefined>>();

  constructor(
    private readonly deps: {
      history: History;
      reader: ReaderOf;
      now: () => number;
    },
  ) {}

  /** Asks the chain about one record's authorization and writes down what it says. */
  check(id: string): Promise<PaymentRecord | undefined> {
    const running = this.busy.get(id);
    if (running) return running;
    const next = this.run(id).finally(() => this.busy.delete(id));
    this.busy.set(id, next);
    return next;
  }

  /** Every record whose chain state can still change, unless it was asked about just now. */
  async checkOpen(): Promise<void> {
    const now = this.deps.now();
    const open = (await this.deps.history.list()).filter(
      (r) =>
        r.authorization &&
        !isFinal(r.chain) &&
        (r.status === 'pending' || r.chain !== undefined || r.siteSaid !== undefined) &&
        now - (r.chain?.checkedAt ?? 0) >= RECHECK_MS,
    );
    await Promise.all(open.map((r) => this.check(r.id)));
  }

  private async run(id: string): Promise<PaymentRecord | undefined> {
    const { history, now } = this.deps;
    const record = await history.find(id);
    const auth = record?.authorization;
    if (!record || !auth) return record;
    const validUntil = Number(auth.validBefore) * 1000;
    const reader = await this.deps.reader(record.network);
    let chain: ChainCheck;
    // The site's word, until the chain contradicts it.
    let siteSaidPaid = record.siteSaid === 'paid';
    try {
      if (!reader) throw new Error('no network');
      const [used, chainTime] = await Promise.all([
        reader.nonceUsed(record.asset, auth.from, auth.nonce),
        reader.chainTimeMs().catch(() => undefined),
      ]);
      const chainNow = chainTime ?? now();
      const details: string[] = [];
      let transfer = record.chain?.transfer;
      let transferUnread = false;
      if (record.transaction) {
        const hash = record.transaction;
        const tx = await reader.transaction(hash).catch(() => undefined);
        // What it did is read once it ran; it never changes after that.
        if (
          (tx?.state === 'executed' || tx?.state === 'reverted') &&
          transfer?.transaction !== hash
        ) {
          const is = await reader
            .transfer(hash, {
              asset: record.asset,
              from: auth.from,
              to: record.payTo,
              amount: record.amount,
              nonce: auth.nonce,
            })
            .catch(() => undefined);
          transfer = is ? { transaction: hash, is, executed: tx.state === 'executed' } : undefined;
        }
        const ours = transfer?.transaction === hash ? transfer.is : undefined;
        // Not read (the node failed to answer): asked again later, never taken as final.
        transferUnread = ours === undefined && tx?.state !== 'unknown' && tx?.state !== 'pending';
        if (ours === 'another') {
          details.push('The site reported a transaction that is not this payment.');
          siteSaidPaid = false;
        } else if (ours === 'unreadable') {
          details.push(
            'The wallet cannot read whether the transaction the site reported is this payment.',
          );
        } else if (tx?.state === 'reverted') {
          details.push(`The transaction the site reported failed on chain (${tx.error}).`);
          siteSaidPaid = false;
        } else if (tx?.state === 'unknown') {
          details.push('The chain does not know the transaction the site reported.');
        } else if (tx?.state === 'executed' && ours === 'this-payment' && used === undefined) {
          details.push(
            "This payment's transfer executed on chain, in the transaction the site reported.",
          );
        } else if (tx?.state === 'executed' && ours === undefined) {
          details.push(
            'The transaction the site reported executed on chain; the wallet could not yet read whether it is this payment.',
          );
        }
      }
      let balance: string | undefined;
      if (record.siteReason === 'insufficient_funds') {
        balance = (
          await reader.tokenBalance(record.asset, auth.from).catch(() => undefined)
        )?.toString();
      }
      // A cancel sent before the worker stopped: its own transaction says whether it did it.
      let cancelled = record.cancel?.state === 'cancelled';
      if (used === true && record.cancel?.state === 'submitted') {
        const tx = await reader.transaction(record.cancel.transaction).catch(() => undefined);
        if (tx?.state === 'executed') {
          cancelled = true;
          await history.update(id, (old) =>
            old.cancel ? { cancel: { ...old.cancel, state: 'cancelled' } } : {},
          );
        }
      }
      const state: ChainCheck['state'] =
        used === true && cancelled
          ? 'cancelled'
          : used === true
            ? 'confirmed'
            : used === false
              ? chainNow >= validUntil
                ? 'expired'
                : 'unsettled'
              : 'unknown';
      if (used === undefined)
        details.unshift('This token does not show which authorizations it collected.');
      chain = {
        state,
        checkedAt: now(),
        ...(chainTime !== undefined ? { chainTime } : {}),
        validUntil,
        ...(balance !== undefined ? { balance } : {}),
        ...(details.length ? { detail: details.join(' ') } : {}),
        ...(transfer ? { transfer } : {}),
        ...(transferUnread ? { transferUnread: true } : {}),
      };
    } catch {
      chain = {
        state: 'unknown',
        checkedAt: now(),
        validUntil,
        detail: 'The wallet could not read the chain to confirm this.',
      };
    }
    return history.update(id, (old) => ({
      chain,
      // The status follows the chain when it knows; otherwise it stays what it was.
      status:
        chain.state === 'confirmed'
          ? 'paid'
          : chain.state === 'expired' || chain.state === 'cancelled'
            ? 'failed'
            : chain.state === 'unsettled'
              ? 'pending'
              : old.status === 'pending' && old.siteSaid === 'failed'
                ? 'failed'
                : old.status === 'pending' && siteSaidPaid
                  ? 'paid'
                  : // The site said paid, and the transaction it named is not this payment.
                    old.status === 'paid' && !siteSaidPaid
                    ? 'pending'
                    : old.status,
    }));
  }
}
