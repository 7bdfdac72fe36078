import { readArea, Serial, writeArea } from './store.js';
import type { ReportedTransfer } from './transfer-check.js';

export type PaymentStatus = 'pending' | 'paid' | 'failed' | 'rejected';

export interface PaymentRecord {
  id: string;
  /** When the request came in (ms since epoch). */
  time: number;
  /** The host that asked (the origin of the response that answered 402). */
  origin: string;
  /** The page that made the request, when it was another site. */
  page?: string;
  /**
   * The origin of the page that made the request, as the browser reported it (the port's
   * sender): an authorization is only ever sent again to the page origin it was signed for.
   */
  requester: string;
  url: string;
  description?: string;
  network: string;
  asset: string;
  symbol: string;
  decimals: number;
  /** Whether the asset is one of the person's known tokens. */
  knownToken: boolean;
  /** Atomic units. */
  amount: string;
  payTo: string;
  payer?: string;
  /** How it was allowed: a click in the approval window, or a budget. */
  approvedBy?: 'window' | 'budget';
  status: PaymentStatus;
  /** Settlement transaction hash when the site reported one. */
  transaction?: string;
  /** What happened, in plain words (what the site reported is said to be the site's). */
  message?: string;
  /** The signed authorization: what the chain is asked about. */
  authorization?: { from: string; nonce: string; validAfter: string; validBefore: string };
  /** The PAYMENT-SIGNATURE sent: sent again, unchanged, for the same purchase while valid. */
  paymentSignature?: string;
  /** What the site said, kept apart from what the chain says. */
  siteSaid?: 'paid' | 'failed';
  /** The site's reason code when it gave one (e.g. `insufficient_funds`). */
  siteReason?: string;
  /** How often the same authorization was sent again for the same purchase. */
  sentAgain?: number;
  /** What the chain says, when the wallet last asked. */
  chain?: ChainCheck;
  /** The person's cancel_authorization transaction, once sent. */
  cancel?: CancelRecord;
}

/** A cancel_authorization the wallet sent for this record's authorization. */
export interface CancelRecord {
  transaction: string;
  /** submitted: sent, not executed yet; cancelled: executed and the nonce reads used; failed: the node refused it or it reverted. */
  state: 'submitted' | 'cancelled' | 'failed';
  /** CSPR payment (motes) the account offered for it. */
  paymentMotes: string;
  time: number;
  /** The node's error, in its words, when it failed. */
  error?: string;
}

/** What the wallet read on chain about a signed authorization. */
export interface ChainCheck {
  /**
   * confirmed: the nonce is used on chain (collected); unsettled: not used and still valid;
   * expired: not used and no longer valid (it can never be collected); unknown: the wallet
   * could not tell (the node was unreachable, or the token does not show its used nonces);
   * cancelled: the person's cancel_authorization executed and the nonce reads used.
   */
  state: 'confirmed' | 'unsettled' | 'expired' | 'unknown' | 'cancelled';
  /** When the wallet asked (ms since epoch, this computer's clock). */
  checkedAt: number;
  /** The newest block's time then (ms since epoch), when the wallet could read it. */
  chainTime?: number;
  /** The authorization's validBefore, in ms since epoch (judged by block time). */
  validUntil?: number;
  /** The account's balance of the token on chain (atomic), when the site spoke of funds. */
  balance?: string;
  /** What else the chain said, in plain words (e.g. the reported transaction reverted). */
  detail?: string;
  /**
   * Whether the transaction the site reported is this authorization's transfer, as read on
   * chain: only then is it shown as this payment's and linked to an explorer.
   */
  transfer?: {
    transaction: string;
    is: ReportedTransfer;
    /** It ran without error (a reverted call of the transfer did not transfer). */
    executed: boolean;
  };
  /** The site reported a transaction the wallet could not read yet: it is read again. */
  transferUnread?: true;
}

export const HISTORY_LIMIT = 200;

/** The newest payments first, at most HISTORY_LIMIT of them. */
export class History {
  private readonly serial = new Serial();

  list(): Promise<PaymentRecord[]> {
    return readArea<PaymentRecord[]>('local', 'history', []);
  }

  add(record: PaymentRecord): Promise<void> {
    return this.serial.run(async () => {
      const list = await this.list();
      await writeArea('local', 'history', [record, ...list].slice(0, HISTORY_LIMIT));
    });
  }

  async find(id: string): Promise<PaymentRecord | undefined> {
    return (await this.list()).find((r) => r.id === id);
  }

  /** Changes one record; `toTop` moves it first (the same purchase, asked for again). */
  update(
    id: string,
    patch:
      | Partial<Omit<PaymentRecord, 'id'>>
      | ((old: PaymentRecord) => Partial<Omit<PaymentRecord, 'id'>>),
    options: { toTop?: boolean } = {},
  ): Promise<PaymentRecord | undefined> {
    return this.serial.run(async () => {
      const list = await this.list();
      const index = list.findIndex((r) => r.id === id);
      const old = list[index];
      if (!old) return undefined;
      const next = { ...old, ...(typeof patch === 'function' ? patch(old) : patch) };
      if (options.toTop) {
        list.splice(index, 1);
        list.unshift(next);
      } else {
        list[index] = next;
      }
      await writeArea('local', 'history', list);
      return next;
    });
  }

  clear(): Promise<void> {
    return this.serial.run(() => writeArea('local', 'history', []));
  }
}

/** A transaction on the public explorer, for mainnet and testnet (cspr.live). */
export function explorerUrl(network: string, transaction: string): string | undefined {
  if (!/^[0-9a-f]{64}$/i.test(transaction)) return undefined;
  const host =
    network === 'casper:casper'
      ? 'cspr.live'
      : network === 'casper:casper-test'
        ? 'testnet.cspr.live'
        : undefined;
  return host ? `https://${host}/transaction/${transaction.toLowerCase()}` : undefined;
}

/**
 * Whether the transaction the site reported is this payment's, by the chain: the nonce is
 * used and the transaction is this authorization's transfer, and it ran without error.
 */
export function isThisPayment(record: PaymentRecord): boolean {
  return (
    record.chain?.state === 'confirmed' &&
    record.transaction !== undefined &&
    record.chain.transfer?.transaction === record.transaction &&
    record.chain.transfer.is === 'this-payment' &&
    record.chain.transfer.executed === true
  );
}

/** One CSV cell: quoted, and never read as a formula by a spreadsheet. */
function cell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  text = text.replace(/[\p{Cf}\p{Cc}]/gu, ' ');
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

function units(atomic: string, decimals: number): string {
  const digits = atomic.replace(/^0+(?=\d)/, '').padStart(decimals + 1, '0');
  if (decimals === 0) return digits;
  const fraction = digits.slice(-decimals).replace(/0+$/, '');
  return fraction ? `${digits.slice(0, -decimals)}.${fraction}` : digits.slice(0, -decimals);
}

/** The history as CSV (RFC 4180), newest first, for a spreadsheet or the person's records. */
export function historyCsv(records: PaymentRecord[]): string {
  const header = [
    'time',
    'site',
    'page',
    'resource',
    'amount',
    'symbol',
    'atomic_amount',
    'token',
    'network',
    'pay_to',
    'payer',
    'approved_by',
    'status',
    'chain',
    'site_said',
    'transaction',
    'explorer',
    'message',
  ];
  const rows = records.map((r) =>
    [
      new Date(r.time).toISOString(),
      r.origin,
      r.page ?? '',
      r.url,
      units(r.amount, r.decimals),
      r.symbol,
      r.amount,
      r.asset,
      r.network,
      r.payTo,
      r.payer ?? '',
      r.approvedBy ?? '',
      r.status,
      r.chain?.state ?? '',
      r.siteSaid ?? '',
      r.transaction ?? '',
      r.transaction && isThisPayment(r) ? (explorerUrl(r.network, r.transaction) ?? '') : '',
      r.message ?? '',
    ]
      .map(cell)
      .join(','),
  );
  return `${[header.map(cell).join(','), ...rows].join('\r\n')}\r\n`;
}
