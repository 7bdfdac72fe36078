import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, MIGRATIONS, type SettlementDraft } from '../../src/facilitator/ledger.js';

let dir: string;
let file: string;
let ledger: Ledger;
let counter = 0;

const plenty = { tokenBalance: 10n ** 30n, gasBalance: 10n ** 20n, paymentMotes: 3_000_000_000n };

function draft(overrides: Partial<SettlementDraft> = {}): SettlementDraft {
  counter += 1;
  return {
    network: 'casper:casper-net-1',
    asset: 'aa'.repeat(32),
    payer: `00${'11'.repeat(32)}`,
    nonce: counter.toString(16).padStart(64, '0'),
    digest: 'dd'.repeat(32),
    payee: `00${'22'.repeat(32)}`,
    value: '100',
    transactionHash: counter.toString(16).padStart(64, 'f'),
    transaction: '{}',
    expiresAt: Date.now() + 60_000,
    ...overrides,
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'facilitator-ledger-'));
});
afterEach(() => ledger?.close());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open(): Ledger {
  file = join(dir, `ledger-${++counter}.sqlite`);
  ledger = new Ledger(file);
  return ledger;
}

describe('Ledger', () => {
  it('creates its schema in a new file, in a folder it makes', () => {
    file = join(dir, 'nested', 'deeper', 'ledger.sqlite');
    ledger = new Ledger(file);
    expect(ledger.schemaVersion).toBe(MIGRATIONS.length);
    const db = new Database(file, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    db.close();
    expect(tables).toEqual([{ name: 'settlements' }]);
  });

  it('refuses a file written by a newer schema', () => {
    file = join(dir, 'newer.sqlite');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new Ledger(file)).toThrow(/newer than this facilitator knows/);
  });

  it('reserves an authorization once; a second reservation gets the first row unchanged', () => {
    open();
    const first = draft();
    const reserved = ledger.reserve(first, plenty);
    expect(reserved.status).toBe('reserved');
    const again = ledger.reserve({ ...first, transactionHash: 'ee'.repeat(32) }, plenty);
    expect(again.status).toBe('exists');
    if (again.status !== 'exists' || reserved.status !== 'reserved') throw new Error('unreachable');
    expect(again.settlement).toEqual(reserved.settlement);
    expect(again.settlement.transactionHash).toBe(first.transactionHash);
  });

  it('follows a settlement through submitted to confirmed and keeps it across reopening', () => {
    open();
    const reserved = ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const id = reserved.settlement.id;
    expect(ledger.unfinished().map((row) => row.id)).toEqual([id]);
    expect(ledger.markSubmitted(id).state).toBe('submitted');
    ledger.close();
    ledger = new Ledger(file);
    expect(ledger.unfinished().map((row) => [row.id, row.state])).toEqual([[id, 'submitted']]);
    const confirmed = ledger.markConfirmed(id, 42);
    expect(confirmed).toMatchObject({ state: 'confirmed', blockHeight: 42, errorReason: null });
    expect(ledger.unfinished()).toEqual([]);
  });

  it('lets only the same authorization retake a retryable failure', () => {
    open();
    const first = draft();
    const reserved = ledger.reserve(first, plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    ledger.markFailed(reserved.settlement.id, {
      reason: 'unexpected_settle_error',
      message: 'node refused',
      retryable: true,
    });
    const other = ledger.reserve({ ...first, digest: 'ab'.repeat(32) }, plenty);
    expect(other.status).toBe('exists');
    const retry = ledger.reserve(
      { ...first, transactionHash: 'cc'.repeat(32), validBefore: 1_900_000_000 },
      plenty,
    );
    expect(retry.status).toBe('reserved');
    if (retry.status !== 'reserved') throw new Error('unreachable');
    expect(retry.settlement).toMatchObject({
      id: reserved.settlement.id,
      state: 'reserved',
      transactionHash: 'cc'.repeat(32),
      validBefore: 1_900_000_000,
      errorReason: null,
      retryable: false,
    });
  });

  it('never retakes a final failure', () => {
    open();
    const first = draft();
    const reserved = ledger.reserve(first, plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    ledger.markFailed(reserved.settlement.id, {
      reason: 'insufficient_funds',
      message: 'reverted: User error: 60001',
      retryable: false,
      blockHeight: 7,
    });
    const again = ledger.reserve(first, plenty);
    expect(again).toMatchObject({
      status: 'exists',
      settlement: { state: 'failed', blockHeight: 7 },
    });
  });

  it('counts pending value per payer and refuses what the balance cannot cover', () => {
    open();
    const limits = { ...plenty, tokenBalance: 250n };
    expect(ledger.reserve(draft({ value: '100' }), limits).status).toBe('reserved');
    expect(ledger.reserve(draft({ value: '100' }), limits).status).toBe('reserved');
    expect(
      ledger.pendingValue('casper:casper-net-1', 'aa'.repeat(32), `00${'11'.repeat(32)}`),
    ).toBe(200n);
    const third = draft({ value: '100' });
    expect(ledger.reserve(third, limits)).toEqual({ status: 'short', of: 'funds' });
    expect(ledger.get(third)).toBeUndefined();
    // Another payer is not held back by the first one's pending settlements.
    expect(ledger.reserve(draft({ payer: `00${'33'.repeat(32)}` }), limits).status).toBe(
      'reserved',
    );
  });

  it('refuses a reservation the gas funds cannot pay on top of pending ones', () => {
    open();
    const limits = { ...plenty, gasBalance: 6_000_000_000n };
    expect(ledger.reserve(draft(), limits).status).toBe('reserved');
    expect(ledger.reserve(draft(), limits).status).toBe('reserved');
    expect(ledger.reserve(draft(), limits)).toEqual({ status: 'short', of: 'gas' });
    expect(ledger.pendingCount('casper:casper-net-1')).toBe(2);
    expect(ledger.pendingCount('casper:other')).toBe(0);
  });

  it('lets exactly one caller claim the delivery of a confirmed settlement, across connections and reopening', () => {
    open();
    const reserved = ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const id = reserved.settlement.id;
    expect(ledger.claimDelivery(id)).toBe(false);
    ledger.markSubmitted(id);
    expect(ledger.claimDelivery(id)).toBe(false);
    ledger.markConfirmed(id, 9);
    expect(ledger.byId(id).deliveredAt).toBeNull();
    const second = new Ledger(file);
    try {
      const claims = [ledger.claimDelivery(id, 1000), second.claimDelivery(id, 2000)];
      expect(claims).toEqual([true, false]);
    } finally {
      second.close();
    }
    expect(ledger.claimDelivery(id)).toBe(false);
    ledger.close();
    ledger = new Ledger(file);
    expect(ledger.claimDelivery(id)).toBe(false);
    expect(ledger.byId(id)).toMatchObject({ state: 'confirmed', deliveredAt: 1000 });
  });

  it('never lets a caller claim a failed settlement', () => {
    open();
    const reserved = ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    ledger.markFailed(reserved.settlement.id, {
      reason: 'invalid_exact_casper_payload_expired',
      message: 'reverted',
      retryable: false,
    });
    expect(ledger.claimDelivery(reserved.settlement.id)).toBe(false);
  });

  it('upgrades a version 3 file: a row confirmed before is still delivered once', () => {
    file = join(dir, 'version-3.sqlite');
    const old = new Database(file);
    for (const migration of MIGRATIONS.slice(0, 3)) old.exec(migration);
    old.pragma('user_version = 3');
    old
      .prepare(
        `INSERT INTO settlements (network, asset, payer, nonce, digest, payee, value, state,
           transaction_hash, transaction_json, expires_at, block_height, created_at, updated_at)
         VALUES ('casper:casper-net-1', ?, ?, ?, ?, ?, '5', 'confirmed', ?, '{}', 1, 3, 1, 1)`,
      )
      .run(
        'aa'.repeat(32),
        `00${'11'.repeat(32)}`,
        '77'.repeat(32),
        'dd'.repeat(32),
        `00${'22'.repeat(32)}`,
        'ab'.repeat(32),
      );
    old.close();
    ledger = new Ledger(file);
    expect(ledger.schemaVersion).toBe(MIGRATIONS.length);
    const row = ledger.get({
      network: 'casper:casper-net-1',
      asset: 'aa'.repeat(32),
      payer: `00${'11'.repeat(32)}`,
      nonce: '77'.repeat(32),
    });
    expect(row).toMatchObject({
      state: 'confirmed',
      deliveredAt: null,
      validBefore: null,
      blockHeight: 3,
    });
    expect(ledger.claimDelivery(row!.id)).toBe(true);
    expect(ledger.claimDelivery(row!.id)).toBe(false);
  });

  it('serialises reservations across two connections to the same file', () => {
    open();
    const second = new Ledger(file);
    try {
      const shared = draft();
      const results = [ledger.reserve(shared, plenty), second.reserve(shared, plenty)];
      expect(results.map((result) => result.status).sort()).toEqual(['exists', 'reserved']);
    } finally {
      second.close();
    }
  });
});
