// The ledger's rules on both databases: an SQLite file, and a real PostgreSQL server (a
// throwaway cluster). "Two connections" are two Ledger objects on one database: on PostgreSQL
// they stand for two replicas.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Failure, Ledger, type SettlementDraft } from '../src/ledger.js';
import { POSTGRES_MIGRATIONS, PostgresDb, SQLITE_MIGRATIONS, SqliteDb } from '../src/sql.js';
import {
  type PostgresCluster,
  postgresAvailable,
  postgresSkipReason,
  startPostgres,
} from './support/postgres.js';

let dir: string;
let cluster: PostgresCluster | undefined;
let counter = 0;
const opened: Ledger[] = [];

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

function track(ledger: Ledger): Ledger {
  opened.push(ledger);
  return ledger;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'facilitator-ledger-'));
  if (postgresAvailable) cluster = await startPostgres();
}, 60_000);
afterEach(async () => {
  for (const ledger of opened.splice(0)) await ledger.close();
});
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A database and a way to open (more) ledgers on it. */
interface Backend {
  name: string;
  available: boolean;
  /** A new empty database: its locator. */
  create(): Promise<string>;
  open(locator: string): Ledger;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    available: true,
    create: async () => join(dir, `ledger-${++counter}.sqlite`),
    open: (file) => track(new Ledger(new SqliteDb(file))),
  },
  {
    name: 'PostgreSQL',
    available: postgresAvailable,
    create: () => cluster!.database(),
    open: (url) => track(new Ledger(new PostgresDb(url))),
  },
];

describe.each(backends)('Ledger on $name', (backend) => {
  if (!backend.available) {
    it.skip(`needs a database: ${postgresSkipReason}`, () => {});
    return;
  }
  let locator: string;
  let ledger: Ledger;
  const open = async () => {
    locator = await backend.create();
    ledger = backend.open(locator);
    await ledger.ready;
    return ledger;
  };

  it('creates its schema at the newest version', async () => {
    await open();
    expect(await ledger.schemaVersion()).toBe(
      backend.name === 'SQLite' ? SQLITE_MIGRATIONS.length : POSTGRES_MIGRATIONS.length,
    );
  });

  it('reserves an authorization once; a second reservation gets the first row unchanged', async () => {
    await open();
    const first = draft();
    const reserved = await ledger.reserve(first, plenty);
    expect(reserved.status).toBe('reserved');
    const again = await ledger.reserve({ ...first, transactionHash: 'ee'.repeat(32) }, plenty);
    if (again.status !== 'exists' || reserved.status !== 'reserved') throw new Error('unexpected');
    expect(again.settlement).toEqual(reserved.settlement);
    expect(again.settlement.transactionHash).toBe(first.transactionHash);
  });

  it('follows a settlement through submitted to confirmed and keeps it across reopening', async () => {
    await open();
    const reserved = await ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const id = reserved.settlement.id;
    expect((await ledger.unfinished()).map((row) => row.id)).toEqual([id]);
    expect((await ledger.markSubmitted(reserved.settlement)).state).toBe('submitted');
    const reopened = backend.open(locator);
    expect((await reopened.unfinished()).map((row) => [row.id, row.state])).toEqual([
      [id, 'submitted'],
    ]);
    const confirmed = await reopened.markConfirmed(reserved.settlement, 42);
    expect(confirmed).toMatchObject({ state: 'confirmed', blockHeight: 42, errorReason: null });
    expect(await ledger.unfinished()).toEqual([]);
  });

  it('guards every transition by the state it leaves: a final row stays final', async () => {
    await open();
    const reserved = await ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    await ledger.markConfirmed(reserved.settlement, 5);
    const failure: Failure = {
      reason: 'invalid_transaction_state',
      message: 'late',
      retryable: true,
    };
    expect(await ledger.markFailed(reserved.settlement, failure)).toMatchObject({
      state: 'confirmed',
    });
    expect(await ledger.markSubmitted(reserved.settlement)).toMatchObject({
      state: 'confirmed',
      blockHeight: 5,
    });
    const other = await ledger.reserve(draft(), plenty);
    if (other.status !== 'reserved') throw new Error('not reserved');
    await ledger.markFailed(other.settlement, { ...failure, retryable: false });
    expect(await ledger.markConfirmed(other.settlement, 6)).toMatchObject({
      state: 'failed',
      blockHeight: null,
    });
  });

  it("applies a driver's transition only while the row still carries the driver's transaction", async () => {
    await open();
    const first = draft();
    const reserved = await ledger.reserve(first, plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const stale = reserved.settlement;
    await ledger.markFailed(stale, {
      reason: 'invalid_transaction_state',
      message: 'x',
      retryable: true,
    });
    // Reserved again with a new transaction (another replica, say).
    const again = await ledger.reserve({ ...first, transactionHash: 'fe'.repeat(32) }, plenty);
    if (again.status !== 'reserved') throw new Error('not reserved again');
    const failure: Failure = {
      reason: 'invalid_transaction_state',
      message: 'late',
      retryable: true,
    };
    // The driver of the first transaction comes late: nothing it says changes the row.
    expect(await ledger.markFailed(stale, failure)).toMatchObject({ state: 'reserved' });
    expect(await ledger.markConfirmed(stale, 3)).toMatchObject({ state: 'reserved' });
    expect(await ledger.markSubmitted(stale)).toMatchObject({ state: 'reserved' });
    expect(await ledger.markSubmitted(again.settlement)).toMatchObject({
      state: 'submitted',
      transactionHash: 'fe'.repeat(32),
    });
  });

  it('lets only the same authorization retake a retryable failure', async () => {
    await open();
    const first = draft();
    const reserved = await ledger.reserve(first, plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    await ledger.markFailed(reserved.settlement, {
      reason: 'unexpected_settle_error',
      message: 'node refused',
      retryable: true,
    });
    const other = await ledger.reserve({ ...first, digest: 'ab'.repeat(32) }, plenty);
    expect(other.status).toBe('exists');
    const retry = await ledger.reserve(
      { ...first, transactionHash: 'cc'.repeat(32), validBefore: 1_900_000_000 },
      plenty,
    );
    if (retry.status !== 'reserved') throw new Error('not reserved');
    expect(retry.settlement).toMatchObject({
      id: reserved.settlement.id,
      state: 'reserved',
      transactionHash: 'cc'.repeat(32),
      validBefore: 1_900_000_000,
      errorReason: null,
      retryable: false,
    });
  });

  it('never retakes a final failure', async () => {
    await open();
    const first = draft();
    const reserved = await ledger.reserve(first, plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    await ledger.markFailed(reserved.settlement, {
      reason: 'insufficient_funds',
      message: 'reverted: User error: 60001',
      retryable: false,
      blockHeight: 7,
    });
    expect(await ledger.reserve(first, plenty)).toMatchObject({
      status: 'exists',
      settlement: { state: 'failed', blockHeight: 7 },
    });
  });

  it('counts pending value per payer and refuses what the balance cannot cover', async () => {
    await open();
    const limits = { ...plenty, tokenBalance: 250n };
    expect((await ledger.reserve(draft({ value: '100' }), limits)).status).toBe('reserved');
    expect((await ledger.reserve(draft({ value: '100' }), limits)).status).toBe('reserved');
    expect(
      await ledger.pendingValue('casper:casper-net-1', 'aa'.repeat(32), `00${'11'.repeat(32)}`),
    ).toBe(200n);
    const third = draft({ value: '100' });
    expect(await ledger.reserve(third, limits)).toEqual({
      status: 'short',
      of: 'funds',
      pending: 200n,
    });
    expect(await ledger.get(third)).toBeUndefined();
    // Another payer is not held back by the first one's pending settlements.
    const otherPayer = draft({ payer: `00${'33'.repeat(32)}` });
    expect((await ledger.reserve(otherPayer, limits)).status).toBe('reserved');
  });

  it('refuses a reservation the gas funds cannot pay on top of pending ones', async () => {
    await open();
    const limits = { ...plenty, gasBalance: 6_000_000_000n };
    expect((await ledger.reserve(draft(), limits)).status).toBe('reserved');
    expect((await ledger.reserve(draft(), limits)).status).toBe('reserved');
    expect(await ledger.reserve(draft(), limits)).toEqual({
      status: 'short',
      of: 'gas',
      needed: 3n * plenty.paymentMotes,
    });
    expect(await ledger.pendingCount('casper:casper-net-1')).toBe(2);
    expect(await ledger.pendingCount('casper:other')).toBe(0);
    expect(await ledger.pendingCount()).toBe(2);
  });

  it('counts as pending, seen from a block, what was confirmed or reverted in a later block', async () => {
    await open();
    const payer = `00${'44'.repeat(32)}`;
    const confirmed = await ledger.reserve(draft({ payer, value: '30' }), plenty);
    const reverted = await ledger.reserve(draft({ payer, value: '20' }), plenty);
    if (confirmed.status !== 'reserved' || reverted.status !== 'reserved')
      throw new Error('not reserved');
    await ledger.markConfirmed(confirmed.settlement, 10);
    await ledger.markFailed(reverted.settlement, {
      reason: 'invalid_exact_casper_nonce_used',
      message: 'reverted',
      retryable: false,
      blockHeight: 10,
    });
    // Another payer's settlement in the same block counts for the gas, not for this payer.
    const other = await ledger.reserve(
      draft({ payer: `00${'55'.repeat(32)}`, value: '7' }),
      plenty,
    );
    if (other.status !== 'reserved') throw new Error('not reserved');
    await ledger.markConfirmed(other.settlement, 10);
    const value = (afterHeight?: number) =>
      ledger.pendingValue('casper:casper-net-1', 'aa'.repeat(32), payer, { afterHeight });
    // A balance read at block 9 still holds the 30 confirmed in block 10; a revert moved nothing.
    expect(await value(9)).toBe(30n);
    expect(await value(10)).toBe(0n);
    expect(await value()).toBe(0n);
    // All three paid gas in block 10, which a fee payer balance read at block 9 does not show.
    expect(await ledger.pendingCount('casper:casper-net-1', { afterHeight: 9 })).toBe(3);
    expect(await ledger.pendingCount(undefined, { afterHeight: 9 })).toBe(3);
    expect(await ledger.pendingCount('casper:other', { afterHeight: 9 })).toBe(0);
    expect(await ledger.pendingCount('casper:casper-net-1', { afterHeight: 10 })).toBe(0);
    // A reservation judged against block 9 counts the 30 too.
    const limits = { ...plenty, tokenBalance: 60n, blockHeight: 9 };
    expect(await ledger.reserve(draft({ payer, value: '31' }), limits)).toEqual({
      status: 'short',
      of: 'funds',
      pending: 30n,
    });
    expect((await ledger.reserve(draft({ payer, value: '30' }), limits)).status).toBe('reserved');
    // The fee payer's balance may be from an older block than the token balance: the gas of
    // the three executed in block 10, the one still open and this one (5 × 10) count against a
    // reading at 9; against a reading at 10, only the last two.
    const gas = { ...plenty, paymentMotes: 10n, gasBalance: 49n, blockHeight: 10 };
    expect(
      await ledger.reserve(draft({ payer, value: '1' }), { ...gas, gasBlockHeight: 9 }),
    ).toEqual({ status: 'short', of: 'gas', needed: 50n });
    expect(
      (await ledger.reserve(draft({ payer, value: '1' }), { ...gas, gasBlockHeight: 10 })).status,
    ).toBe('reserved');
  });

  it('lets exactly one caller claim the delivery of a confirmed settlement, across connections', async () => {
    await open();
    const reserved = await ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const id = reserved.settlement.id;
    expect(await ledger.claimDelivery(id)).toBe(false);
    await ledger.markSubmitted(reserved.settlement);
    expect(await ledger.claimDelivery(id)).toBe(false);
    await ledger.markConfirmed(reserved.settlement, 9);
    expect((await ledger.byId(id)).deliveredAt).toBeNull();
    const second = backend.open(locator);
    const claims = await Promise.all([
      ledger.claimDelivery(id, 1000),
      second.claimDelivery(id, 2000),
      ledger.claimDelivery(id, 3000),
      second.claimDelivery(id, 4000),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await ledger.claimDelivery(id)).toBe(false);
    const reopened = backend.open(locator);
    expect(await reopened.claimDelivery(id)).toBe(false);
    const { deliveredAt } = await reopened.byId(id);
    expect([1000, 2000, 3000, 4000]).toContain(deliveredAt);
  });

  it('answers a delivery again only to the caller repeating the claiming idempotency key', async () => {
    await open();
    const reserved = await ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const id = reserved.settlement.id;
    await ledger.markConfirmed(reserved.settlement, 1);
    const second = backend.open(locator);
    expect(await ledger.claimDelivery(id, 10, 'key-a')).toBe(true);
    expect(await second.claimDelivery(id, 11, 'key-a')).toBe(true);
    expect(await second.claimDelivery(id, 12, 'key-b')).toBe(false);
    expect(await second.claimDelivery(id, 13)).toBe(false);
    expect((await ledger.byId(id)).deliveredAt).toBe(10);
  });

  it('claims the delivery for a waiting caller in the confirmation itself', async () => {
    await open();
    const reserved = await ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const confirmed = await ledger.markConfirmed(reserved.settlement, 1, 20, 'key-a');
    expect(confirmed).toMatchObject({ state: 'confirmed', deliveredAt: 20, deliveryKey: 'key-a' });
    const second = backend.open(locator);
    expect(await second.claimDelivery(confirmed.id, 21, 'key-a')).toBe(true);
    expect(await second.claimDelivery(confirmed.id, 22, 'key-b')).toBe(false);
    expect(await second.claimDelivery(confirmed.id, 23)).toBe(false);
    expect(await second.byId(confirmed.id)).toMatchObject({
      deliveredAt: 20,
      deliveryKey: 'key-a',
    });
    // Without a claimant nothing is claimed: the first caller to ask gets the success.
    const unclaimed = await ledger.reserve(draft(), plenty);
    if (unclaimed.status !== 'reserved') throw new Error('not reserved');
    const plain = await ledger.markConfirmed(unclaimed.settlement, 1, 30);
    expect(plain).toMatchObject({ deliveredAt: null, deliveryKey: null });
    expect(await second.claimDelivery(plain.id, 31)).toBe(true);
  });

  it('never lets a caller claim a failed settlement', async () => {
    await open();
    const reserved = await ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    await ledger.markFailed(reserved.settlement, {
      reason: 'invalid_exact_casper_payload_expired',
      message: 'reverted',
      retryable: false,
    });
    expect(await ledger.claimDelivery(reserved.settlement.id, 1, 'key')).toBe(false);
  });

  it('gives a row to one replica at a time, and to another once the lease expires', async () => {
    await open();
    const reserved = await ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const id = reserved.settlement.id;
    const second = backend.open(locator);
    const takes = await Promise.all([
      ledger.takeLease(id, 'replica-a', 2000, 1000),
      second.takeLease(id, 'replica-b', 2000, 1000),
    ]);
    expect(takes.filter(Boolean)).toHaveLength(1);
    const [holder, other] = takes[0] ? ['replica-a', 'replica-b'] : ['replica-b', 'replica-a'];
    expect(await second.takeLease(id, holder, 3000, 1500)).toBe(true); // renewed
    expect(await ledger.takeLease(id, other, 3500, 2500)).toBe(false); // still held
    expect(await ledger.takeLease(id, other, 5000, 3001)).toBe(true); // expired: taken over
    expect(await second.byId(id)).toMatchObject({ leaseOwner: other, leaseUntil: 5000 });
    await ledger.releaseLease(id, holder); // not the holder any more: changes nothing
    expect(await second.byId(id)).toMatchObject({ leaseOwner: other });
    await ledger.releaseLease(id, other);
    expect(await second.takeLease(id, holder, 6000, 4000)).toBe(true);
    // A final row is nobody's to follow.
    await ledger.markConfirmed(reserved.settlement, 1);
    expect(await ledger.takeLease(id, other, 10_000, 9999)).toBe(false);
  });

  it('reserves with the lease of the replica reserving it, and clears it when the row ends', async () => {
    await open();
    const reserved = await ledger.reserve(
      draft({ lease: { owner: 'replica-a', until: 5000 } }),
      plenty,
    );
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    const id = reserved.settlement.id;
    expect(reserved.settlement).toMatchObject({ leaseOwner: 'replica-a', leaseUntil: 5000 });
    const second = backend.open(locator);
    expect(await second.takeLease(id, 'replica-b', 9000, 4999)).toBe(false);
    const submitted = await ledger.markSubmitted(reserved.settlement);
    expect(submitted).toMatchObject({ state: 'submitted', leaseOwner: 'replica-a' });
    const confirmed = await ledger.markConfirmed(reserved.settlement, 7);
    expect(confirmed).toMatchObject({ state: 'confirmed', leaseOwner: null, leaseUntil: null });
    // A transition its guard refuses answers the row as it is.
    expect(
      await second.markFailed(reserved.settlement, {
        reason: 'unexpected_settle_error',
        message: 'late',
        retryable: true,
      }),
    ).toEqual(confirmed);
  });

  it('serialises reservations across connections: one payment reserved once, the balance never overspent', async () => {
    await open();
    const replicas = [ledger, backend.open(locator), backend.open(locator)];
    const shared = draft();
    const same = await Promise.all(
      replicas.flatMap((replica) => [
        replica.reserve(shared, plenty),
        replica.reserve(shared, plenty),
      ]),
    );
    expect(same.filter((r) => r.status === 'reserved')).toHaveLength(1);
    expect(same.filter((r) => r.status === 'exists')).toHaveLength(5);
    // Nine payments of 100 by one payer with 500 free (after the shared 100): four fit.
    const limits = { ...plenty, tokenBalance: 500n };
    const many = await Promise.all(
      Array.from({ length: 9 }, (_, i) => replicas[i % 3]!.reserve(draft(), limits)),
    );
    expect(many.filter((r) => r.status === 'reserved')).toHaveLength(4);
    expect(many.filter((r) => r.status === 'short')).toHaveLength(5);
    expect(
      await ledger.pendingValue('casper:casper-net-1', 'aa'.repeat(32), `00${'11'.repeat(32)}`),
    ).toBe(500n);
  });
});

describe('Ledger on an SQLite file', () => {
  it('creates its schema in a new file, in a folder it makes', async () => {
    const file = join(dir, 'nested', 'deeper', 'ledger.sqlite');
    await track(new Ledger(new SqliteDb(file))).ready;
    const db = new Database(file, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    db.close();
    expect(tables).toEqual([{ name: 'settlements' }]);
  });

  it('commits a lazy write without waiting for the disk, and every other write in full', async () => {
    const db = new SqliteDb(join(dir, 'lazy.sqlite'));
    await db.ready;
    const level = 'SELECT synchronous AS level FROM pragma_synchronous()';
    expect(await db.allLazily(level, [])).toEqual([{ level: 1 }]); // NORMAL
    expect(await db.all(level, [])).toEqual([{ level: 2 }]); // FULL
    // A lazy write that fails leaves the connection in full durability too.
    await expect(db.allLazily('UPDATE nowhere SET x = 1', [])).rejects.toThrow(/no such table/);
    expect(await db.all(level, [])).toEqual([{ level: 2 }]);
    await db.close();
    // Without WAL (an in-memory database) no commit is lazy.
    const memory = new SqliteDb(':memory:');
    await memory.ready;
    expect(await memory.allLazily(level, [])).toEqual([{ level: 2 }]);
    await memory.close();
  });

  it('writes the submitted mark lazily, and the reservation and confirmation in full', async () => {
    const db = new SqliteDb(join(dir, 'marks.sqlite'));
    const ledger = track(new Ledger(db));
    const lazily = vi.spyOn(db, 'allLazily');
    const reserved = await ledger.reserve(draft(), plenty);
    if (reserved.status !== 'reserved') throw new Error('not reserved');
    expect(lazily).not.toHaveBeenCalled();
    expect((await ledger.markSubmitted(reserved.settlement)).state).toBe('submitted');
    expect(lazily).toHaveBeenCalledTimes(1);
    expect(lazily.mock.calls[0]![0]).toMatch(/SET state = 'submitted'/);
    await ledger.markConfirmed(reserved.settlement, 7);
    expect(lazily).toHaveBeenCalledTimes(1);
  });

  it('refuses a file written by a newer schema', async () => {
    const file = join(dir, 'newer.sqlite');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    const ledger = new Ledger(new SqliteDb(file));
    await expect(ledger.ready).rejects.toThrow(/newer than this facilitator knows/);
  });

  it('upgrades a version 3 file: a row confirmed before is still delivered once', async () => {
    const file = join(dir, 'version-3.sqlite');
    const old = new Database(file);
    for (const migration of SQLITE_MIGRATIONS.slice(0, 3)) old.exec(migration);
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
    const ledger = track(new Ledger(new SqliteDb(file)));
    expect(await ledger.schemaVersion()).toBe(SQLITE_MIGRATIONS.length);
    const row = await ledger.get({
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
      leaseOwner: null,
    });
    expect(await ledger.claimDelivery(row!.id)).toBe(true);
    expect(await ledger.claimDelivery(row!.id)).toBe(false);
  });
});

describe.skipIf(!postgresAvailable)('Ledger on PostgreSQL, starting', () => {
  it('migrates once when several replicas start together', async () => {
    const url = await cluster!.database();
    const replicas = Array.from({ length: 4 }, () => track(new Ledger(new PostgresDb(url))));
    await Promise.all(replicas.map((replica) => replica.ready));
    for (const replica of replicas) {
      expect(await replica.schemaVersion()).toBe(POSTGRES_MIGRATIONS.length);
    }
  });

  it('says why it cannot reach the server', async () => {
    const ledger = new Ledger(new PostgresDb('postgres://postgres@127.0.0.1:1/none'));
    await expect(ledger.ready).rejects.toThrow(/ECONNREFUSED/);
    await ledger.close();
  });
});
