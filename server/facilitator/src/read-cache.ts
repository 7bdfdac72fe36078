// Chain reads shared between requests: for `ttlMs` counted from when a read was sent (so a
// value is never older than that), callers asking for the same thing get that read, still on
// its way or done. A `ttlMs` of 0 or less keeps nothing: every caller reads for itself.
// Failed reads are never kept.

interface Entry {
  sentAt: number;
  ttlMs: number;
  done: boolean;
  value: Promise<unknown>;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** The kept read of `key`, or `load()`'s, kept from now; `fresh`: `load()`'s in any case. */
  read<T>(key: string, ttlMs: number, load: () => Promise<T>, fresh = false): Promise<T> {
    if (ttlMs <= 0) return load();
    const now = this.now();
    const hit = this.entries.get(key);
    if (!fresh && hit && now - hit.sentAt < ttlMs) return hit.value as Promise<T>;
    if (this.entries.size >= this.maxEntries) this.evict(now);
    const entry: Entry = { sentAt: now, ttlMs, done: false, value: load() };
    this.entries.set(key, entry);
    entry.value.then(
      () => {
        entry.done = true;
      },
      () => this.forget(key, entry),
    );
    return entry.value as Promise<T>;
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  /**
   * A bound on memory, not a policy: drops the reads that have expired, and when that is not
   * enough every finished read kept for a while (reads kept for ever, a contract's entry
   * points, stay: there is one per contract).
   */
  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.done && now - entry.sentAt >= entry.ttlMs) this.entries.delete(key);
    }
    if (this.entries.size < this.maxEntries) return;
    for (const [key, entry] of this.entries) {
      if (entry.done && Number.isFinite(entry.ttlMs)) this.entries.delete(key);
    }
  }
}
