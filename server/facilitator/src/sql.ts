// The two databases the ledger runs on, behind one small async interface: statements are
// written once with `?` placeholders; each adapter runs its own migrations.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export interface SqlRunner {
  all(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a statement; answers how many rows it changed. */
  run(sql: string, params: unknown[]): Promise<number>;
}

export interface SqlDb extends SqlRunner {
  readonly dialect: 'sqlite' | 'postgres';
  /** Settles once the schema is migrated. */
  readonly ready: Promise<void>;
  schemaVersion(): Promise<number>;
  /**
   * Runs `work` in one transaction. Transactions with the same `lock` never run at the same
   * time, in this process or (PostgreSQL) any other.
   */
  transaction<T>(lock: string, work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * `all` for a write that recovery can do without: committed before it answers, so it
   * survives the process, but without waiting for the disk, so a crash of the machine may
   * lose it (SQLite: `synchronous = NORMAL` for this commit; the next full commit makes it
   * durable too). PostgreSQL commits it as any other: there the disk wait is the server's.
   */
  allLazily(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * The pending-balance reads search the open rows of one payer and the rows executed after one
 * block, so their cost follows what is pending, not the ledger's history (both schemas).
 */
const PENDING_INDEXES = [
  `CREATE INDEX settlements_pending ON settlements (state, network, asset, payer) WHERE state IN ('reserved', 'submitted')`,
  `DROP INDEX settlements_open`,
  `CREATE INDEX settlements_height ON settlements (network, block_height)`,
];

/** The SQLite schema, one step per version; a file records the version it reached. */
export const SQLITE_MIGRATIONS: string[] = [
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
  `ALTER TABLE settlements ADD COLUMN delivery_key TEXT`,
  `ALTER TABLE settlements ADD COLUMN lease_owner TEXT`,
  `ALTER TABLE settlements ADD COLUMN lease_until INTEGER`,
  ...PENDING_INDEXES,
];

/** The PostgreSQL schema, one step per version (BIGINT where SQLite's INTEGER is 64-bit). */
export const POSTGRES_MIGRATIONS: string[] = [
  `CREATE TABLE settlements (
     id BIGSERIAL PRIMARY KEY,
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
     expires_at BIGINT NOT NULL,
     valid_before BIGINT,
     error_reason TEXT,
     error_message TEXT,
     retryable INTEGER NOT NULL DEFAULT 0,
     block_height BIGINT,
     delivered_at BIGINT,
     delivery_key TEXT,
     lease_owner TEXT,
     lease_until BIGINT,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     UNIQUE (network, asset, payer, nonce)
   )`,
  `CREATE INDEX settlements_open ON settlements (state) WHERE state IN ('reserved', 'submitted')`,
  `CREATE INDEX settlements_transaction ON settlements (transaction_hash)`,
  // Request budgets per client, shared by replicas (the facilitator's rate limit).
  `CREATE TABLE rate_limits (
     client TEXT PRIMARY KEY,
     reset_at BIGINT NOT NULL,
     count INTEGER NOT NULL
   )`,
  ...PENDING_INDEXES,
];

function newerSchema(current: number, known: number): Error {
  return new Error(
    `ledger schema version ${current} is newer than this facilitator knows (${known})`,
  );
}

/** SQLite through better-sqlite3 (synchronous, in this process). */
export class SqliteDb implements SqlDb {
  private static readonly lanes = new Map<string, { queue: Promise<unknown> }>();
  readonly dialect = 'sqlite';
  readonly ready: Promise<void>;
  private readonly db: Database.Database;
  /** Whether the file is in WAL mode: a lazy commit is only safe there (see allLazily). */
  private readonly wal: boolean;
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * Statements wait while a transaction's work awaits, so none joins it by accident; the
   * queue is shared by every connection of this process to the file, because a second
   * connection's BEGIN would block the thread (busy_timeout) while the first cannot commit.
   */
  private readonly lane: { queue: Promise<unknown> };

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const path = file === ':memory:' ? `:memory:${Math.random()}` : resolve(file);
    let lane = SqliteDb.lanes.get(path);
    if (!lane) {
      lane = { queue: Promise.resolve() };
      SqliteDb.lanes.set(path, lane);
    }
    this.lane = lane;
    this.db = new Database(file);
    this.wal = this.db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = FULL');
    try {
      this.migrate();
      this.ready = Promise.resolve();
    } catch (error) {
      this.db.close();
      this.ready = Promise.reject(error);
      this.ready.catch(() => {});
    }
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > SQLITE_MIGRATIONS.length) throw newerSchema(current, SQLITE_MIGRATIONS.length);
    for (let version = current; version < SQLITE_MIGRATIONS.length; version++) {
      this.db.transaction(() => {
        this.db.exec(SQLITE_MIGRATIONS[version]!);
        this.db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  async schemaVersion(): Promise<number> {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Statements are prepared once. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private direct: SqlRunner = {
    all: async (sql, params) => this.statement(sql).all(...params) as Record<string, unknown>[],
    run: async (sql, params) => {
      const statement = this.statement(sql);
      return statement.reader ? statement.all(...params).length : statement.run(...params).changes;
    },
  };

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lane.queue.then(work);
    this.lane.queue = result.catch(() => {});
    return result;
  }

  all(sql: string, params: unknown[]) {
    return this.serial(() => this.direct.all(sql, params));
  }

  allLazily(sql: string, params: unknown[]) {
    // Outside WAL (an in-memory database, a file system without it) every commit waits.
    if (!this.wal) return this.all(sql, params);
    return this.serial(async () => {
      this.statement('PRAGMA synchronous = NORMAL').run();
      try {
        return await this.direct.all(sql, params);
      } finally {
        this.statement('PRAGMA synchronous = FULL').run();
      }
    });
  }

  run(sql: string, params: unknown[]) {
    return this.serial(() => this.direct.run(sql, params));
  }

  transaction<T>(_lock: string, work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    // One connection, one writer: every transaction here is serialized, whatever its lock.
    return this.serial(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.lane.queue;
    if (this.db.open) this.db.close();
  }
}

/** `?` placeholders → PostgreSQL's `$1, $2, …` (the ledger's SQL has no `?` in literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** An id for a named lock, for pg_advisory_xact_lock (two 32-bit halves of a hash). */
const LOCK_NAMESPACE = 4_020_402;

/** PostgreSQL through a pg connection pool, shared by every replica. */
export class PostgresDb implements SqlDb {
  readonly dialect = 'postgres';
  readonly ready: Promise<void>;
  private readonly pool: pg.Pool;

  constructor(connectionString: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
    // A connection that breaks while idle must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
    this.ready = this.migrate();
    this.ready.catch(() => {});
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Replicas starting together migrate one at a time.
      await client.query('SELECT pg_advisory_lock($1)', [LOCK_NAMESPACE]);
      try {
        await client.query(
          'CREATE TABLE IF NOT EXISTS x402_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)',
        );
        await client.query('INSERT INTO x402_schema VALUES (1, 0) ON CONFLICT (id) DO NOTHING');
        const { rows } = await client.query('SELECT version FROM x402_schema');
        const current = Number(rows[0].version);
        if (current > POSTGRES_MIGRATIONS.length) {
          throw newerSchema(current, POSTGRES_MIGRATIONS.length);
        }
        for (let version = current; version < POSTGRES_MIGRATIONS.length; version++) {
          await client.query('BEGIN');
          try {
            await client.query(POSTGRES_MIGRATIONS[version]!);
            await client.query('UPDATE x402_schema SET version = $1', [version + 1]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [LOCK_NAMESPACE]);
      }
    } finally {
      client.release();
    }
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query('SELECT version FROM x402_schema');
    return Number(rows[0].version);
  }

  /** The ledger's statements, as named prepared statements (parsed once per connection). */
  private readonly prepared = new Map<string, pg.QueryConfig>();

  private query(sql: string, params: unknown[]): pg.QueryConfig {
    let config = this.prepared.get(sql);
    if (!config) {
      config = { name: `x402_${this.prepared.size}`, text: numbered(sql) };
      this.prepared.set(sql, config);
    }
    return { ...config, values: params };
  }

  private runner(client: pg.Pool | pg.PoolClient): SqlRunner {
    return {
      all: async (sql, params) => (await client.query(this.query(sql, params))).rows,
      run: async (sql, params) => (await client.query(this.query(sql, params))).rowCount ?? 0,
    };
  }

  async all(sql: string, params: unknown[]) {
    await this.ready;
    return this.runner(this.pool).all(sql, params);
  }

  async run(sql: string, params: unknown[]) {
    await this.ready;
    return this.runner(this.pool).run(sql, params);
  }

  allLazily(sql: string, params: unknown[]) {
    return this.all(sql, params);
  }

  async transaction<T>(lock: string, work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    await this.ready;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, lock]);
      const result = await work(this.runner(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** `postgres://…` or `postgresql://…` opens PostgreSQL; anything else is a SQLite file. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(database);
}

export function openDb(database: string): SqlDb {
  return isPostgresUrl(database) ? new PostgresDb(database) : new SqliteDb(database);
}
