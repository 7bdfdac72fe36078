// The settlement ledger: one row per authorization (network, asset, payer, nonce). It makes
// settlement idempotent and survives restarts; the chain stays the source of truth. One set of
// rules over two databases: SQLite embedded in one process (the default), or PostgreSQL shared
// by several replicas. Every state change is a guarded SQL statement (`… WHERE state …`), so
// replicas racing on one row cannot both make the same transition.
import { type InvalidReason, isInvalidReason } from '@x402-casper/shared';
import type { SqlDb, SqlRunner } from './sql.js';

export type SettlementState = 'reserved' | 'submitted' | 'confirmed' | 'failed';

export interface SettlementKey {
  network: string;
  asset: string;
  /** The payer's address (`00` + account hash). */
  payer: string;
  nonce: string;
}

/** What is known before submission: the authorization and the signed transaction. */
/**
 * A row as its driver knows it: the transitions it makes apply only while the row still
 * carries the transaction it followed (a row reserved again since has a new one).
 */
export type SettlementRef = Pick<Settlement, 'id' | 'transactionHash'>;

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
  /** The replica that reserves it follows it from the start: its lease, taken with the row. */
  lease?: { owner: string; until: number };
}

export interface Settlement extends Omit<SettlementDraft, 'validBefore'> {
  id: number;
  state: SettlementState;
  /** Null for rows reserved before the ledger recorded it. */
  validBefore: number | null;
  /**
   * When one settle call was answered `success: true` for this confirmed row (ms since the
   * epoch); null until then. Set once: every other call is told the payment was used, except
   * calls repeating the idempotency key of the one that was answered.
   */
  deliveredAt: number | null;
  /** The idempotency key of the call that was answered `success: true`, if it had one. */
  deliveryKey: string | null;
  errorReason: InvalidReason | null;
  errorMessage: string | null;
  /** A failure the chain never saw (the node refused or never got the transaction). */
  retryable: boolean;
  blockHeight: number | null;
  /** The replica following this row's transaction, until `leaseUntil` (ms since the epoch). */
  leaseOwner: string | null;
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export type ReserveResult =
  | { status: 'reserved'; settlement: Settlement }
  | { status: 'exists'; settlement: Settlement }
  /** Settlements already pending leave too little token balance or gas. */
  | ({ status: 'short' } & Shortfall);

/** What pending settlements leave too little of for one more. */
export type Shortfall =
  /** The payer's token balance (`pending`: the value of its pending settlements)… */
  | { of: 'funds'; pending: bigint }
  /** …or the fee payer's gas (`needed`: motes for the pending settlements and this one). */
  | { of: 'gas'; needed: bigint };

/** What the chain said just before reserving: pending settlements must fit in it. */
export interface ReserveLimits {
  tokenBalance: bigint;
  gasBalance: bigint;
  paymentMotes: bigint;
  /** The block the token balance was read at (see pendingValue)… */
  blockHeight?: number;
  /** …and the fee payer's balance (see pendingCount), when not the same. */
  gasBlockHeight?: number;
}

/** Pending as seen from a block (`afterHeight`), read through `runner` (a transaction). */
export interface PendingAt {
  afterHeight?: number;
  runner?: SqlRunner;
}

export interface Failure {
  reason: InvalidReason;
  message: string;
  retryable: boolean;
  blockHeight?: number | null;
}

type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/** A stored reason; one this version does not know (an older build's) reads as unexpected. */
const reasonOrNull = (value: unknown): InvalidReason | null =>
  value === null || value === undefined
    ? null
    : isInvalidReason(value)
      ? value
      : 'unexpected_settle_error';

/** A row of either database (PostgreSQL answers BIGINT as strings). */
function fromRow(row: Row): Settlement {
  return {
    id: num(row.id),
    network: String(row.network),
    asset: String(row.asset),
    payer: String(row.payer),
    nonce: String(row.nonce),
    digest: String(row.digest),
    payee: String(row.payee),
    value: String(row.value),
    state: row.state as SettlementState,
    transactionHash: String(row.transaction_hash),
    transaction: String(row.transaction_json),
    expiresAt: num(row.expires_at),
    validBefore: numOrNull(row.valid_before),
    deliveredAt: numOrNull(row.delivered_at),
    deliveryKey: textOrNull(row.delivery_key),
    errorReason: reasonOrNull(row.error_reason),
    errorMessage: textOrNull(row.error_message),
    retryable: num(row.retryable) === 1,
    blockHeight: numOrNull(row.block_height),
    leaseOwner: textOrNull(row.lease_owner),
    leaseUntil: numOrNull(row.lease_until),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

const OPEN = `state IN ('reserved', 'submitted')`;
/** A row that reached its end is followed by nobody. */
const NO_LEASE = 'lease_owner = NULL, lease_until = NULL';

export class Ledger {
  /** `db` also holds the shared rate limits on PostgreSQL. */
  constructor(readonly db: SqlDb) {}

  /** Settles once the schema is migrated; rejects with the reason it cannot be. */
  get ready(): Promise<void> {
    return this.db.ready;
  }

  /** Which database holds the ledger. */
  get kind(): SqlDb['dialect'] {
    return this.db.dialect;
  }

  schemaVersion(): Promise<number> {
    return this.db.schemaVersion();
  }

  private async one(runner: SqlRunner, sql: string, params: unknown[]) {
    const [row] = await runner.all(sql, params);
    return row ? fromRow(row) : undefined;
  }

  get(key: SettlementKey, runner: SqlRunner = this.db): Promise<Settlement | undefined> {
    return this.one(
      runner,
      'SELECT * FROM settlements WHERE network = ? AND asset = ? AND payer = ? AND nonce = ?',
      [key.network, key.asset, key.payer, key.nonce],
    );
  }

  async byId(id: number, runner: SqlRunner = this.db): Promise<Settlement> {
    const row = await this.one(runner, 'SELECT * FROM settlements WHERE id = ?', [id]);
    if (!row) throw new Error(`no settlement ${id}`);
    return row;
  }

  /**
   * What the settlements still pending leave too little of for one more of `value` by `key`'s
   * payer, judged against what the chain said (`limits`); undefined when the payer's balance
   * and the fee payer's gas both cover it. Read through `runner` (a reservation's transaction).
   */
  async shortfall(
    key: SettlementKey,
    value: bigint,
    limits: ReserveLimits,
    runner: SqlRunner = this.db,
  ): Promise<Shortfall | undefined> {
    const after = (height: number | undefined) => ({
      runner,
      ...(height === undefined ? {} : { afterHeight: height }),
    });
    const pending = await this.pendingValue(
      key.network,
      key.asset,
      key.payer,
      after(limits.blockHeight),
    );
    if (pending + value > limits.tokenBalance) return { of: 'funds', pending };
    const gasAt = after(limits.gasBlockHeight ?? limits.blockHeight);
    const needed = BigInt((await this.pendingCount(key.network, gasAt)) + 1) * limits.paymentMotes;
    if (needed > limits.gasBalance) return { of: 'gas', needed };
    return undefined;
  }

  /**
   * Atomically takes the authorization for settlement: when no row exists for it, or when
   * the only row is a retryable failure of the same authorization, and the payer's balance
   * and the gas funds cover this settlement on top of those still pending (on every replica:
   * reservations of one network are serialized). Otherwise changes nothing.
   */
  reserve(draft: SettlementDraft, limits: ReserveLimits, now = Date.now()): Promise<ReserveResult> {
    return this.db.transaction(`reserve ${draft.network}`, async (tx): Promise<ReserveResult> => {
      const existing = await this.get(draft, tx);
      const retry = existing?.state === 'failed' && existing.retryable;
      if (existing && !(retry && existing.digest === draft.digest)) {
        return { status: 'exists', settlement: existing };
      }
      const short = await this.shortfall(draft, BigInt(draft.value), limits, tx);
      if (short) return { status: 'short', ...short };
      const rows = existing
        ? await tx.all(
            `UPDATE settlements SET state = 'reserved', transaction_hash = ?, transaction_json = ?,
               expires_at = ?, valid_before = ?, error_reason = NULL, error_message = NULL,
               retryable = 0, block_height = NULL, lease_owner = ?, lease_until = ?,
               updated_at = ?
             WHERE id = ? AND state = 'failed' AND retryable = 1 RETURNING *`,
            [
              draft.transactionHash,
              draft.transaction,
              draft.expiresAt,
              draft.validBefore ?? null,
              draft.lease?.owner ?? null,
              draft.lease?.until ?? null,
              now,
              existing.id,
            ],
          )
        : await tx.all(
            `INSERT INTO settlements (network, asset, payer, nonce, digest, payee, value, state,
               transaction_hash, transaction_json, expires_at, valid_before, lease_owner,
               lease_until, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
            [
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
              draft.lease?.owner ?? null,
              draft.lease?.until ?? null,
              now,
              now,
            ],
          );
      const [row] = rows;
      // The retryable failure was taken up meanwhile (reopened by another replica, outside
      // this reservation's lock): it is that settlement's now.
      if (!row) return { status: 'exists', settlement: await this.byId(existing!.id, tx) };
      return { status: 'reserved', settlement: fromRow(row) };
    });
  }

  /**
   * reserved → submitted (the node has the transaction); a row already further, or reserved
   * again with another transaction since `row` was read, is kept. Written without waiting for
   * the disk: a row that lost it in a machine crash is still reserved, and a reserved row is
   * resumed by asking the node for its transaction, as after a crash before this write.
   */
  async markSubmitted(row: SettlementRef, now = Date.now()): Promise<Settlement> {
    return this.moved(
      row,
      `UPDATE settlements SET state = 'submitted', updated_at = ?
       WHERE id = ? AND transaction_hash = ? AND ${OPEN} RETURNING *`,
      [now, row.id, row.transactionHash],
      'lazily',
    );
  }

  /** The row a guarded transition changed, or as it is when the guard kept it unchanged. */
  private async moved(
    ref: SettlementRef,
    sql: string,
    params: unknown[],
    commit: 'durably' | 'lazily' = 'durably',
  ): Promise<Settlement> {
    const [row] = await (commit === 'lazily'
      ? this.db.allLazily(sql, params)
      : this.db.all(sql, params));
    return row ? fromRow(row) : this.byId(ref.id);
  }

  /**
   * failed (retryable) → submitted: a transaction taken for refused turned out to be on the
   * node. Undefined when the row is no longer a retryable failure (someone else took it).
   */
  async reopen(ref: SettlementRef, now = Date.now()): Promise<Settlement | undefined> {
    const [row] = await this.db.all(
      `UPDATE settlements SET state = 'submitted', error_reason = NULL, error_message = NULL,
         retryable = 0, updated_at = ?
       WHERE id = ? AND transaction_hash = ? AND state = 'failed' AND retryable = 1
       RETURNING *`,
      [now, ref.id, ref.transactionHash],
    );
    return row ? fromRow(row) : undefined;
  }

  /**
   * reserved | submitted → confirmed: the transaction executed without error. With
   * `claimant`, the idempotency key of a call still waiting for it, that call's delivery is
   * claimed in the same write (see claimDelivery): one commit fewer per settlement.
   */
  async markConfirmed(
    row: SettlementRef,
    blockHeight: number | null,
    now = Date.now(),
    claimant?: string,
  ): Promise<Settlement> {
    return this.moved(
      row,
      `UPDATE settlements SET state = 'confirmed', block_height = ?, error_reason = NULL,
         error_message = NULL, retryable = 0, ${NO_LEASE}, updated_at = ?,
         delivered_at = ?, delivery_key = ?
       WHERE id = ? AND transaction_hash = ? AND ${OPEN} RETURNING *`,
      [
        blockHeight,
        now,
        claimant === undefined ? null : now,
        claimant ?? null,
        row.id,
        row.transactionHash,
      ],
    );
  }

  /** reserved | submitted → failed, with the reason; a confirmed row never fails (as above). */
  async markFailed(row: SettlementRef, failure: Failure, now = Date.now()): Promise<Settlement> {
    return this.moved(
      row,
      `UPDATE settlements SET state = 'failed', error_reason = ?, error_message = ?,
         retryable = ?, block_height = ?, ${NO_LEASE}, updated_at = ?
       WHERE id = ? AND transaction_hash = ? AND ${OPEN} RETURNING *`,
      [
        failure.reason,
        failure.message,
        failure.retryable ? 1 : 0,
        failure.blockHeight ?? null,
        now,
        row.id,
        row.transactionHash,
      ],
    );
  }

  /**
   * Claims the delivery of a confirmed settlement for one caller: true for exactly one call
   * per row, ever (across connections and replicas), false for every other — except that a
   * call carrying the `deliveryKey` of the claiming call is answered true again, so a caller
   * whose answer was lost on the way can ask again.
   */
  async claimDelivery(id: number, now = Date.now(), deliveryKey?: string): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE settlements SET delivered_at = ?, delivery_key = ?
       WHERE id = ? AND state = 'confirmed' AND delivered_at IS NULL`,
      [now, deliveryKey ?? null, id],
    );
    if (changed === 1) return true;
    if (deliveryKey === undefined) return false;
    const [row] = await this.db.all(
      `SELECT delivery_key FROM settlements WHERE id = ? AND state = 'confirmed'`,
      [id],
    );
    return row?.delivery_key === deliveryKey;
  }

  /**
   * Takes (or renews) the lease on following a row's transaction for `owner` until `until`:
   * true when no one else holds an unexpired lease on it. One replica follows a row at a time;
   * a replica that dies stops renewing, and another takes the row once the lease expires.
   */
  async takeLease(id: number, owner: string, until: number, now = Date.now()): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE settlements SET lease_owner = ?, lease_until = ?
       WHERE id = ? AND ${OPEN}
         AND (lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)`,
      [owner, until, id, owner, now],
    );
    return changed === 1;
  }

  /** Gives up `owner`'s lease on a row (it stopped following it). */
  async releaseLease(id: number, owner: string): Promise<void> {
    await this.db.run(
      'UPDATE settlements SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?',
      [id, owner],
    );
  }

  /**
   * Drops every lease: for a ledger only this process uses (an SQLite file), whose leases can
   * only be those of its own previous run.
   */
  async clearLeases(): Promise<void> {
    await this.db.run('UPDATE settlements SET lease_owner = NULL, lease_until = NULL', []);
  }

  /** Rows a crash or a slow block left between reservation and a final result. */
  async unfinished(): Promise<Settlement[]> {
    const rows = await this.db.all(`SELECT * FROM settlements WHERE ${OPEN} ORDER BY id`, []);
    return rows.map(fromRow);
  }

  /**
   * Token value a payer has in settlements the chain has not deducted yet, as seen from a
   * block: those not final, and (with `afterHeight`, that block's height) those confirmed in a
   * later block, which a balance read at that block still includes.
   */
  async pendingValue(
    network: string,
    asset: string,
    payer: string,
    at: PendingAt = {},
  ): Promise<bigint> {
    // Two index searches (the open rows of the payer; the rows executed after the block), so
    // the cost follows what is pending, not the ledger's history.
    let sql = `SELECT value FROM settlements WHERE ${OPEN} AND network = ? AND asset = ? AND payer = ?`;
    const params: unknown[] = [network, asset, payer];
    if (at.afterHeight !== undefined) {
      sql += ` UNION ALL SELECT value FROM settlements WHERE network = ? AND block_height > ?
                 AND state = 'confirmed' AND asset = ? AND payer = ?`;
      params.push(network, at.afterHeight, asset, payer);
    }
    const rows = await (at.runner ?? this.db).all(sql, params);
    return rows.reduce((sum, row) => sum + BigInt(String(row.value)), 0n);
  }

  /**
   * Settlements (of a network, or all) whose gas a fee payer balance read at a block does not
   * reflect: those not final, and (with `afterHeight`) those executed in a later block,
   * confirmed or reverted (a revert pays gas too).
   */
  async pendingCount(network?: string, at: PendingAt = {}): Promise<number> {
    const scope = network === undefined ? [] : [network];
    const inNetwork = network === undefined ? '' : 'network = ? AND ';
    let sql = `SELECT (SELECT COUNT(*) FROM settlements WHERE ${inNetwork}${OPEN})`;
    const params: unknown[] = [...scope];
    if (at.afterHeight !== undefined) {
      sql += ` + (SELECT COUNT(*) FROM settlements WHERE ${inNetwork}block_height > ?
                   AND state IN ('confirmed', 'failed'))`;
      params.push(...scope, at.afterHeight);
    }
    const [row] = await (at.runner ?? this.db).all(`${sql} AS n`, params);
    return Number(row?.n ?? 0);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
