// HTTP concerns around the routes: API key check in constant time and a per-key rate limit.
import { createHash, timingSafeEqual } from 'node:crypto';

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

/** Fixed-window request counter per client (API key, or address without keys). */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Counts a request; answers how many seconds to wait when over the limit, else 0. */
  take(client: string, now = Date.now()): number {
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
    return window.count > this.max ? Math.ceil((window.resetAt - now) / 1000) : 0;
  }
}
