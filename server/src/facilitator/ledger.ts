// The settlement ledger: one SQLite row per authorization (network, asset, payer, nonce).
// It makes settlement idempotent and survives restarts; the chain stays the source of truth.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SettlementState = 'reserved' | 'submitted' | 'confirmed' | 'failed';

export interface SettlementKey {
  network: string;
  asset: string;
  /** The payer's address (`00` + account hash). */
  payer: string;
  nonce: string;
}

/** What is known before submission: the authorization and the signed transaction. */
export interface SettlementDraft extends SettlementKey {
  /** Hex of the authorization digest: tells the same authorization from a reused nonce. */
  digest: string;
  payee: string;
  value: string;
  transactionHash: string;
  /** The signed TransactionV1 as JSON, so it can be resubmitted byte for byte. */
  transaction: string;
  /** When the transaction's TTL runs out (ms since the epoch). */
  expiresAt: number;
  /**
   * The authorization's validBefore (unix seconds): the chain refuses it from then on.
   * Without it the row is judged by its transaction's TTL alone.
   */
  validBefore?: number;
}

export interface Settlement extends Omit<SettlementDraft, 'validBefore'> {
  id: number;
  state: SettlementState;
  /** Null for rows reserved before the ledger recorded it. */
  validBefore: number | null;
  /**
   * When one settle call was answered `success: true` for this confirmed row (ms since the
   * epoch); null until then. Set once: every other call is told the payment was used.
   */
  deliveredAt: number | null;
  errorReason: string | null;
  errorMessage: string | null;
  /** A failure the chain never saw (the node refused or never got the transaction). */
  retryable: boolean;
  blockHeight: number | null;
  createdAt: number;
  updatedAt: number;
}

/** The schema, one step per version; a file records the version it reached. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE settlements (
     id INTEGER PRIMARY KEY,
     network TEXT NOT NULL,
     asset TEXT NOT NULL,
     payer TEXT NOT NULL,
     nonce TEXT NOT NULL,
     digest TEXT NOT NULL,
     payee TEXT NOT NULL,
     value TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('reserved', 'submitted', 'confirmed', 'failed')),
     transaction_hash TEXT NOT NULL,
     transaction_json TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     error_reason TEXT,
     error_message TEXT,
     retryable INTEGER NOT NULL DEFAULT 0,
     block_height INTEGER,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     UNIQUE (network, asset, payer, nonce)
   )`,
  `CREATE INDEX settlements_open ON settlements (state) WHERE state IN ('reserved', 'submitted')`,
  `CREATE INDEX settlements_transaction ON settlements (transaction_hash)`,
  `ALTER TABLE settlements ADD COLUMN delivered_at INTEGER`,
  `ALTER TABLE settlements ADD COLUMN valid_before INTEGER`,
];

interface Row {
  id: number;
  network: string;
  asset: string;
  payer: string;
  nonce: string;
  digest: string;
  payee: string;
  value: string;
  state: SettlementState;
  transaction_hash: string;
  transaction_json: string;
  expires_at: number;
  valid_before: number | null;
  delivered_at: number | null;
  error_reason: string | null;
  error_message: string | null;
  retryable: number;
  block_height: number | null;
  created_at: number;
  updated_at: number;
}

function fromRow(row: Row): Settlement {
  return {
    id: row.id,
    network: row.network,
    asset: row.asset,
    payer: row.payer,
    nonce: row.nonce,
    digest: row.digest,
    payee: row.payee,
    value: row.value,
    state: row.state,
    transactionHash: row.transaction_hash,
    transaction: row.transaction_json,
    expiresAt: row.expires_at,
    validBefore: row.valid_before,
    deliveredAt: row.delivered_at,
    errorReason: row.error_reason,
    errorMessage: row.error_message,
    retryable: row.retryable === 1,
    blockHeight: row.block_height,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type ReserveResult =
  | { status: 'reserved'; settlement: Settlement }
  | { status: 'exists'; settlement: Settlement }
  /** Settlements already reserved would leave too little token balance or gas. */
  | { status: 'short'; of: 'funds' | 'gas' };

/** What the chain said just before reserving: pending settlements must fit in it. */
export interface ReserveLimits {
  tokenBalance: bigint;
  gasBalance: bigint;
  paymentMotes: bigint;
}

export class Ledger {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = FULL');
    this.migrate();
  }

  /** Applies the migrations this file has not seen yet, each in its own transaction. */
  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `ledger schema version ${current} is newer than this facilitator knows (${MIGRATIONS.length})`,
      );
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[version]!);
        this.db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  get(key: SettlementKey): Settlement | undefined {
    const row = this.db
      .prepare(
        'SELECT * FROM settlements WHERE network = ? AND asset = ? AND payer = ? AND nonce = ?',
      )
      .get(key.network, key.asset, key.payer, key.nonce) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  byId(id: number): Settlement {
    const row = this.db.prepare('SELECT * FROM settlements WHERE id = ?').get(id) as
      | Row
      | undefined;
    if (!row) throw new Error(`no settlement ${id}`);
    return fromRow(row);
  }

  /**
   * Atomically takes the authorization for settlement: when no row exists for it, or when
   * the only row is a retryable failure of the same authorization, and the payer's balance
   * and the gas funds cover this settlement on top of those still pending. Otherwise
   * changes nothing.
   */
  reserve(draft: SettlementDraft, limits: ReserveLimits, now = Date.now()): ReserveResult {
    const run = this.db.transaction((): ReserveResult => {
      const existing = this.get(draft);
      const retry = existing?.state === 'failed' && existing.retryable;
      if (existing && !(retry && existing.digest === draft.digest)) {
        return { status: 'exists', settlement: existing };
      }
      const pendingValue = this.pendingValue(draft.network, draft.asset, draft.payer);
      if (pendingValue + BigInt(draft.value) > limits.tokenBalance) {
        return { status: 'short', of: 'funds' };
      }
      const pendingGas = BigInt(this.pendingCount(draft.network) + 1) * limits.paymentMotes;
      if (pendingGas > limits.gasBalance) return { status: 'short', of: 'gas' };
      if (existing) {
        this.db
          .prepare(
            `UPDATE settlements SET state = 'reserved', transaction_hash = ?, transaction_json = ?,
               expires_at = ?, valid_before = ?, error_reason = NULL, error_message = NULL,
               retryable = 0, block_height = NULL, updated_at = ? WHERE id = ?`,
          )
          .run(
            draft.transactionHash,
            draft.transaction,
            draft.expiresAt,
            draft.validBefore ?? null,
            now,
            existing.id,
          );
        return { status: 'reserved', settlement: this.byId(existing.id) };
      }
      const info = this.db
        .prepare(
          `INSERT INTO settlements (network, asset, payer, nonce, digest, payee, value, state,
             transaction_hash, transaction_json, expires_at, valid_before, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          draft.network,
          draft.asset,
          draft.payer,
          draft.nonce,
          draft.digest,
          draft.payee,
          draft.value,
          draft.transactionHash,
          draft.transaction,
          draft.expiresAt,
          draft.validBefore ?? null,
          now,
          now,
        );
      return { status: 'reserved', settlement: this.byId(Number(info.lastInsertRowid)) };
    });
    return run.immediate();
  }

  markSubmitted(id: number, now = Date.now()): Settlement {
    this.db
      .prepare(
        `UPDATE settlements SET state = 'submitted', updated_at = ?
         WHERE id = ? AND state IN ('reserved', 'submitted')`,
      )
      .run(now, id);
    return this.byId(id);
  }

  markConfirmed(id: number, blockHeight: number | null, now = Date.now()): Settlement {
    this.db
      .prepare(
        `UPDATE settlements SET state = 'confirmed', block_height = ?, error_reason = NULL,
           error_message = NULL, retryable = 0, updated_at = ? WHERE id = ?`,
      )
      .run(blockHeight, now, id);
    return this.byId(id);
  }

  /**
   * Claims the delivery of a confirmed settlement for one caller: true for exactly one call
   * per row, ever (across connections and processes), false for every other.
   */
  claimDelivery(id: number, now = Date.now()): boolean {
    const result = this.db
      .prepare(
        `UPDATE settlements SET delivered_at = ?
         WHERE id = ? AND state = 'confirmed' AND delivered_at IS NULL`,
      )
      .run(now, id);
    return result.changes === 1;
  }

  markFailed(
    id: number,
    failure: { reason: string; message: string; retryable: boolean; blockHeight?: number | null },
    now = Date.now(),
  ): Settlement {
    this.db
      .prepare(
        `UPDATE settlements SET state = 'failed', error_reason = ?, error_message = ?,
           retryable = ?, block_height = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        failure.reason,
        failure.message,
        failure.retryable ? 1 : 0,
        failure.blockHeight ?? null,
        now,
        id,
      );
    return this.byId(id);
  }

  /** Rows a crash or a slow block left between reservation and a final result. */
  unfinished(): Settlement[] {
    const rows = this.db
      .prepare(`SELECT * FROM settlements WHERE state IN ('reserved', 'submitted') ORDER BY id`)
      .all() as Row[];
    return rows.map(fromRow);
  }

  /** Token value a payer has in settlements not yet final: the chain has not deducted it. */
  pendingValue(network: string, asset: string, payer: string): bigint {
    const rows = this.db
      .prepare(
        `SELECT value FROM settlements WHERE network = ? AND asset = ? AND payer = ?
           AND state IN ('reserved', 'submitted')`,
      )
      .all(network, asset, payer) as { value: string }[];
    return rows.reduce((sum, row) => sum + BigInt(row.value), 0n);
  }

  /** Settlements of a network not yet final: each still has gas to pay. */
  pendingCount(network?: string): number {
    const row = (
      network === undefined
        ? this.db
            .prepare(
              `SELECT COUNT(*) AS n FROM settlements WHERE state IN ('reserved', 'submitted')`,
            )
            .get()
        : this.db
            .prepare(
              `SELECT COUNT(*) AS n FROM settlements
               WHERE network = ? AND state IN ('reserved', 'submitted')`,
            )
            .get(network)
    ) as { n: number };
    return row.n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
