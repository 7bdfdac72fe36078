import { readArea, Serial, writeArea } from './store.js';

export type PaymentStatus = 'pending' | 'paid' | 'failed' | 'rejected';

export interface PaymentRecord {
  id: string;
  /** When the request came in (ms since epoch). */
  time: number;
  origin: string;
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
  /** What happened, in plain words. */
  message?: string;
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

  update(
    id: string,
    patch: Partial<Omit<PaymentRecord, 'id'>>,
  ): Promise<PaymentRecord | undefined> {
    return this.serial.run(async () => {
      const list = await this.list();
      const index = list.findIndex((r) => r.id === id);
      const old = list[index];
      if (!old) return undefined;
      const next = { ...old, ...patch };
      list[index] = next;
      await writeArea('local', 'history', list);
      return next;
    });
  }

  clear(): Promise<void> {
    return this.serial.run(() => writeArea('local', 'history', []));
  }
}
