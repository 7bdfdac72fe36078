/**
 * Authorizations this server is using or has been paid with, so that one payment never pays
 * for two responses here, even when the same PAYMENT-SIGNATURE arrives on several requests at
 * once. A request holds its payment's claim while it runs; a payment that paid for a response
 * keeps it until the authorization expires, one that did not is released so it may be retried.
 */
export class AuthorizationClaims {
  private readonly until = new Map<string, number>();
  /** One idempotency key per authorization, kept until it expires (released or not). */
  private readonly keys = new Map<string, { key: string; expiresAtMs: number }>();

  constructor(private readonly maxEntries = 100_000) {}

  /**
   * The idempotency key this server settles `claim` with: the same on every request that
   * brings this authorization until it expires, so a success whose answer was lost (a
   * timeout, a dropped connection, a handler that failed after it) is answered again.
   */
  idempotencyKey(claim: string, expiresAtMs: number, now = Date.now()): string {
    const held = this.keys.get(claim);
    if (held && held.expiresAtMs > now) return held.key;
    if (this.keys.size >= this.maxEntries) {
      for (const [key, entry] of this.keys) if (entry.expiresAtMs <= now) this.keys.delete(key);
      for (const key of this.keys.keys()) {
        if (this.keys.size < this.maxEntries) break;
        this.keys.delete(key);
      }
    }
    const key = crypto.randomUUID();
    this.keys.set(claim, { key, expiresAtMs });
    return key;
  }

  /** Claims `key` until `expiresAtMs`; false when another request holds it. */
  claim(key: string, expiresAtMs: number, now = Date.now()): boolean {
    const held = this.until.get(key);
    if (held !== undefined && held > now) return false;
    if (this.until.size >= this.maxEntries) this.prune(now);
    this.until.set(key, expiresAtMs);
    return true;
  }

  release(key: string): void {
    this.until.delete(key);
  }

  private prune(now: number): void {
    for (const [key, expiresAt] of this.until) if (expiresAt <= now) this.until.delete(key);
    // Still full of live claims: drop the oldest insertions rather than grow without bound.
    for (const key of this.until.keys()) {
      if (this.until.size < this.maxEntries) break;
      this.until.delete(key);
    }
  }
}
