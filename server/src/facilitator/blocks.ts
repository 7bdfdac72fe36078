// One loop per network that watches for new blocks, so that every settlement waiting for its
// transaction looks at the chain once per block instead of once per poll: the loop reads the
// newest block every poll interval (one `info_get_status` for all of them) and wakes the
// waiters when the height moves. It runs only while someone waits.
import type { ChainClient } from './chain.js';

interface Waiter {
  after: number;
  wake: () => void;
}

export class BlockWatcher {
  private readonly waiters = new Set<Waiter>();
  private height = -1;
  private running = false;

  constructor(
    private readonly chain: ChainClient,
    private readonly pollIntervalMs: number,
  ) {}

  /**
   * Resolves once a block newer than the newest one seen when called has come, or after
   * `maxWaitMs` (so a caller can renew what it holds), or when `signal` aborts.
   */
  nextBlock(signal: AbortSignal, maxWaitMs: number): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { after: this.height, wake: () => done() };
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

  private run(): void {
    if (this.running) return;
    this.running = true;
    void (async () => {
      try {
        while (this.waiters.size > 0) {
          await new Promise((resolve) => setTimeout(resolve, this.pollIntervalMs));
          let height: number;
          try {
            height = (await this.chain.view('live')).height;
          } catch {
            continue; // an unreachable node only delays the next look
          }
          if (height <= this.height) continue;
          this.height = height;
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
