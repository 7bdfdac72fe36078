import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { History, type PaymentRecord } from '../lib/history.js';
import type { PaymentOption } from '../lib/options.js';
import { outstandingAuthorizations } from '../lib/outstanding.js';
import type { Settlements } from '../lib/settlement.js';

const now = 1_763_900_000_000;
const PAYER = `00${'aa'.repeat(32)}`;
const PAYEE = `00${'bb'.repeat(32)}`;
const OTHER_PAYEE = `00${'cc'.repeat(32)}`;
const option = { network: { id: 'casper:casper-test' }, payTo: PAYEE } as PaymentOption;

let serial = 0;
/** A signed authorization in the history, valid for `validFor` ms more (by its validBefore). */
function record(patch: Partial<PaymentRecord> = {}, validFor = 600_000): PaymentRecord {
  serial++;
  return {
    id: `r${serial}`,
    time: now - serial,
    origin: 'https://news.example',
    requester: 'https://news.example',
    url: `https://news.example/item/${serial}`,
    network: 'casper:casper-test',
    asset: 'dd'.repeat(32),
    symbol: 'CX402',
    decimals: 6,
    knownToken: true,
    amount: '10000',
    payTo: PAYEE,
    payer: PAYER,
    status: 'failed',
    authorization: {
      from: PAYER,
      nonce: serial.toString(16).padStart(64, '0'),
      validAfter: '0',
      validBefore: String(Math.floor((now + validFor) / 1000)),
    },
    ...patch,
  };
}

/** Settlements whose chain says every record is unsettled and valid; `hang` never answers. */
function settlements(history: History, hang = new Set<string>()) {
  const asked: string[] = [];
  const fake = {
    check: async (id: string) => {
      asked.push(id);
      if (hang.has(id)) return new Promise<never>(() => {});
      const found = await history.find(id);
      return (
        found && {
          ...found,
          chain: {
            state: 'unsettled' as const,
            checkedAt: now,
            chainTime: now,
            validUntil: Number(found.authorization!.validBefore) * 1000,
          },
        }
      );
    },
  };
  return { settlements: fake as unknown as Settlements, asked };
}

async function historyOf(records: PaymentRecord[]) {
  const history = new History();
  // Newest first, as the history keeps them.
  for (const r of [...records].reverse()) await history.add(r);
  return history;
}

beforeEach(() => {
  fakeBrowser.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('authorizations a site still holds', () => {
  it('are found for any host of the asking site and any payee, on the same network and account, naming the payee', async () => {
    const sub = record({ origin: 'https://shop.news.example', payTo: OTHER_PAYEE });
    const same = record();
    const history = await historyOf([
      sub,
      same,
      record({ origin: 'https://other.example' }),
      record({ network: 'casper:casper' }),
      record({ payer: `00${'ee'.repeat(32)}` }),
    ]);
    const { settlements: s } = settlements(history);
    const found = await outstandingAuthorizations(
      { history, settlements: s, now: () => now },
      'https://news.example',
      PAYER,
      [option],
    );
    expect(found.map((f) => [f.id, f.origin, f.payTo])).toEqual([
      [sub.id, 'https://shop.news.example', OTHER_PAYEE],
      [same.id, 'https://news.example', PAYEE],
    ]);
  });

  it('skip records expired by their own validBefore without reading the chain, so newer expired ones hide nothing', async () => {
    const expired = [1, 2, 3, 4, 5, 6].map(() => record({}, -60_000));
    const older = record();
    const history = await historyOf([...expired, older]);
    const { settlements: s, asked } = settlements(history);
    const found = await outstandingAuthorizations(
      { history, settlements: s, now: () => now },
      'https://news.example',
      PAYER,
      [option],
    );
    expect(found.map((f) => f.id)).toEqual([older.id]);
    expect(asked).toEqual([older.id]);
  });

  it('read at most five records, all at once, and do not wait long for a node that hangs', async () => {
    vi.useFakeTimers();
    const records = [1, 2, 3, 4, 5, 6].map(() => record());
    const history = await historyOf(records);
    const { settlements: s, asked } = settlements(history, new Set([records[0]!.id]));
    let found: { id: string }[] | undefined;
    void outstandingAuthorizations(
      { history, settlements: s, now: () => now },
      'https://news.example',
      PAYER,
      [option],
    ).then((f) => {
      found = f;
    });
    await vi.advanceTimersByTimeAsync(100);
    // All five asked before any answered; the sixth never.
    expect(asked).toEqual(records.slice(0, 5).map((r) => r.id));
    expect(found).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2_500);
    expect(found?.map((f) => f.id)).toEqual(records.slice(1, 5).map((r) => r.id));
  });
});
