/**
 * Authorizations this server is using or has been paid with, so that one payment never pays
 * for two responses here, even when the same PAYMENT-SIGNATURE arrives on several requests at
 * once. A request holds its payment's claim while it runs; a payment that paid for a response
 * keeps it until the authorization expires, one that did not is released so it may be retried.
 */
export class AuthorizationClaims {
  private readonly until = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

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
