// Request budgets per caller (an API key, or the client address without keys) through
// @fastify/rate-limit, counted in fixed windows by a store of ours: in memory for one process,
// in the shared database for replicas behind a load balancer, on the facilitator's clock.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SqlRunner } from '../sql.js';

/** A client's window after counting one request. */
export interface Window {
  count: number;
  resetAt: number;
}

/** Counts one request of `client` at `now` in its fixed window. */
export interface RequestCounter {
  take(client: string, now: number): Promise<Window>;
}

/** Fixed windows in memory (one process). */
export class MemoryCounter implements RequestCounter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly windowMs: number) {}

  async take(client: string, now: number): Promise<Window> {
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
    return { ...window };
  }
}

/** The same windows in the shared database: one atomic upsert per request. */
export class SqlCounter implements RequestCounter {
  constructor(
    private readonly db: SqlRunner,
    private readonly windowMs: number,
  ) {}

  async take(client: string, now: number): Promise<Window> {
    const [row] = await this.db.all(
      `INSERT INTO rate_limits (client, reset_at, count) VALUES (?, ?, 1)
       ON CONFLICT (client) DO UPDATE SET
         count = CASE WHEN rate_limits.reset_at <= ? THEN 1 ELSE rate_limits.count + 1 END,
         reset_at = CASE WHEN rate_limits.reset_at <= ? THEN ? ELSE rate_limits.reset_at END
       RETURNING count, reset_at`,
      [client, now + this.windowMs, now, now, now + this.windowMs],
    );
    return { count: Number(row!.count), resetAt: Number(row!.reset_at) };
  }
}

export interface RateLimitOptions {
  max: number;
  windowMs: number;
  counter: RequestCounter;
  now: () => number;
}

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** @fastify/rate-limit's store interface over a RequestCounter, one for every route. */
function storeOf(counter: RequestCounter, now: () => number) {
  return class CounterStore {
    incr(key: string, callback: Callback): void {
      const at = now();
      counter.take(key, at).then(
        (window) => callback(null, { current: window.count, ttl: window.resetAt - at }),
        (error: Error) => callback(error),
      );
    }

    child(): CounterStore {
      return this;
    }
  };
}

/**
 * Every route of the instance (and the not-found handler, through `app.rateLimit()`) takes
 * one request from its caller's budget; past it, 429 with `retry-after`.
 */
async function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    store: storeOf(options.counter, options.now),
    keyGenerator: (request: FastifyRequest) => request.caller || request.ip,
    skipOnError: false,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: `retry in ${Math.max(1, Math.ceil(context.ttl / 1000))} s`,
    }),
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    addHeaders: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
      'retry-after': true,
    },
  });
}

export const requestBudgets = fp(rateLimitPlugin, {
  name: 'x402-casper-rate-limit',
  fastify: '5.x',
});
