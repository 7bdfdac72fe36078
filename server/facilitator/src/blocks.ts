// One loop per network that watches for new blocks, so that every settlement waiting for its
// transaction looks at the chain once per block instead of once per poll. The loop sleeps until
// the next block is due (the newest block's timestamp plus the network's block interval, never
// longer than one interval nor ten poll intervals), then reads the newest block every poll
// interval (one `info_get_status` for all waiters) until the height moves, and wakes the
// waiters. It runs only while someone waits.
import type { BlockView, Chain } from './chain.js';

interface Waiter {
  after: number;
  wake: () => void;
}

/** The longest sleep before a look, in poll intervals (blocks can come early, clocks differ). */
const MAX_SLEEP_POLLS = 10;

export class BlockWatcher {
  private readonly waiters = new Set<Waiter>();
  private running = false;

  constructor(
    private readonly chain: Pick<Chain, 'view' | 'newestSeen' | 'blockIntervalMs'>,
    private readonly pollIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Resolves once a block newer than the newest one seen when called has come, or after
   * `maxWaitMs` (so a caller can renew what it holds), or when `signal` aborts.
   */
  nextBlock(signal: AbortSignal, maxWaitMs: number): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { after: this.chain.newestSeen()?.height ?? -1, wake: () => done() };
      const timer = setTimeout(() => done(), maxWaitMs);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(waiter);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(waiter);
      this.run();
    });
  }

  /** How long to sleep before the next look, given the newest block seen. */
  private sleepMs(newest: BlockView | undefined): number {
    const interval = this.chain.blockIntervalMs;
    if (!newest || interval <= 0) return this.pollIntervalMs;
    const due = newest.timestampMs + interval - this.now();
    const longest = Math.min(interval, MAX_SLEEP_POLLS * this.pollIntervalMs);
    return Math.max(this.pollIntervalMs, Math.min(longest, due));
  }

  private run(): void {
    if (this.running) return;
    this.running = true;
    void (async () => {
      try {
        while (this.waiters.size > 0) {
          const sleep = this.sleepMs(this.chain.newestSeen());
          await new Promise((resolve) => setTimeout(resolve, sleep));
          let height: number;
          try {
            height = (await this.chain.view('live')).height;
          } catch {
            continue; // an unreachable node only delays the next look
          }
          for (const waiter of [...this.waiters]) {
            // A waiter that came before any block was seen waits for the one after this.
            if (waiter.after < 0) waiter.after = height;
            else if (waiter.after < height) waiter.wake();
          }
        }
      } finally {
        this.running = false;
      }
    })();
  }
}
