// Chain reads shared between requests: for `ttlMs` counted from when a read was sent (so a
// value is never older than that), callers asking for the same thing get that read, still on
// its way or done. A `ttlMs` of 0 or less keeps nothing: every caller reads for itself.
// Failed reads are never kept.

interface Entry {
  sentAt: number;
  done: boolean;
  value: Promise<unknown>;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  read<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    if (ttlMs <= 0) return load();
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.sentAt < ttlMs) return hit.value as Promise<T>;
    if (this.entries.size >= this.maxEntries) this.evict();
    const entry: Entry = { sentAt: now, done: false, value: load() };
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

  /** Keeps only the reads still on their way (a bound on memory, not a policy). */
  private evict(): void {
    for (const [key, entry] of this.entries) if (entry.done) this.entries.delete(key);
  }
}
