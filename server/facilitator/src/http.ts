// HTTP concerns around the routes: API key check in constant time and a per-key rate limit
// (in memory for one process, in PostgreSQL for replicas).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SqlRunner } from './sql.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * API keys, presented as `Authorization: Bearer <key>` or as the bare key
 * (`Authorization: <key>`, as the Go reference's resource servers send it). Every configured
 * key is compared (hashes of equal length, in constant time), so timing tells nothing about
 * which key or how much of it matched.
 */
export class ApiKeys {
  private readonly hashes: Buffer[];

  constructor(keys: string[]) {
    this.hashes = keys.map(digest);
  }

  get required(): boolean {
    return this.hashes.length > 0;
  }

  /**
   * A name for the caller holding key `index` that is the same on every replica, whatever the
   * order of their key lists (rate limits and idempotency keys are scoped by it).
   */
  callerOf(index: number): string {
    return `key:${this.hashes[index]!.subarray(0, 12).toString('hex')}`;
  }

  /** The index of the key an `Authorization` header carries (Bearer or bare), or -1. */
  match(header: string | undefined): number {
    const value = typeof header === 'string' ? header.trim() : '';
    // Keys hold no whitespace (config refuses it), so a value with none is a bare key.
    const token = /^Bearer +(\S+)$/i.exec(value)?.[1] ?? (/^\S+$/.test(value) ? value : '');
    const presented = digest(token);
    let found = -1;
    this.hashes.forEach((hash, i) => {
      if (timingSafeEqual(hash, presented) && token !== '') found = i;
    });
    return found;
  }
}

/** Counts a client's request; answers how many seconds it must wait when over the limit, else 0. */
export interface RateLimiter {
  take(client: string, now: number): Promise<number>;
}

const waitOf = (count: number, max: number, resetAt: number, now: number) =>
  count > max ? Math.ceil((resetAt - now) / 1000) : 0;

/** Fixed-window request counter per client (API key, or address without keys), in memory. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  async take(client: string, now = Date.now()): Promise<number> {
    if (this.windows.size > 10_000) {
      for (const [key, window] of this.windows) {
        if (window.resetAt <= now) this.windows.delete(key);
      }
    }
    let window = this.windows.get(client);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(client, window);
    }
    window.count += 1;
    return waitOf(window.count, this.max, window.resetAt, now);
  }
}

/**
 * The same fixed windows in the shared database, so replicas behind a load balancer count
 * one budget per client: one atomic upsert per request.
 */
export class SqlRateLimiter implements RateLimiter {
  constructor(
    private readonly db: SqlRunner,
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  async take(client: string, now = Date.now()): Promise<number> {
    const [row] = await this.db.all(
      `INSERT INTO rate_limits (client, reset_at, count) VALUES (?, ?, 1)
       ON CONFLICT (client) DO UPDATE SET
         count = CASE WHEN rate_limits.reset_at <= ? THEN 1 ELSE rate_limits.count + 1 END,
         reset_at = CASE WHEN rate_limits.reset_at <= ? THEN ? ELSE rate_limits.reset_at END
       RETURNING count, reset_at`,
      [client, now + this.windowMs, now, now, now + this.windowMs],
    );
    return waitOf(Number(row!.count), this.max, Number(row!.reset_at), now);
  }
}
