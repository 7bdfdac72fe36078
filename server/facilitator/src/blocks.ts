// One loop per network that watches for new blocks, so that every settlement waiting for its
// transaction looks at the chain once per block instead of once per poll. The loop sleeps until
// the next block should be on the node (the newest block's timestamp plus the network's block
// interval plus the delay it learnt, never longer than one interval nor ten poll intervals),
// then reads the newest block every poll interval (one `chain_get_block` for all waiters) until
// the height moves, and wakes the waiters. A waiter for a transaction known to be in no block up
// to some height is not woken by the next block when that block's list lacks it: a transaction
// sent just after a block was made, before the block showed here, waits for the next one without
// reading its status in vain. Any block it cannot tell about wakes it. It runs only while someone
// waits.
//
// The delay: a node shows a block some time after the block's timestamp (on Casper, once it is
// final). The least delay seen among the last few blocks is added to the due time, so a look
// rarely comes before the block.
import type { BlockView, Chain, ListedBlock } from './chain.js';

/**
 * A transaction waited for (its hash, in either case) and the height up to which no block holds
 * it. The watcher moves `notIn` on as it reads blocks that do not hold it, so a caller keeps one
 * for all its waits.
 */
export interface AwaitedTransaction {
  hash: string;
  notIn: number;
}

interface Waiter {
  after: number;
  transaction: AwaitedTransaction | undefined;
  wake: () => void;
}

/** The longest sleep before a look, in poll intervals (blocks can come early, clocks differ). */
const MAX_SLEEP_POLLS = 10;

/** How many recent blocks the delay is learnt from. */
const DELAY_SAMPLES = 8;

export class BlockWatcher {
  private readonly waiters = new Set<Waiter>();
  private running = false;
  /** Callers of `blockDue` sleeping on their own. */
  private alone = 0;
  /** How long after its timestamp each of the last blocks was first seen here, ms. */
  private readonly delays: number[] = [];

  constructor(
    private readonly chain: Pick<Chain, 'newestListed' | 'view' | 'newestSeen' | 'blockIntervalMs'>,
    private readonly pollIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Resolves once a block newer than the newest one seen when called has come (with
   * `transaction`, known to be in no block up to `notIn`: a block that may hold it), or after
   * `maxWaitMs` (so a caller can renew what it holds), or when `signal` aborts.
   */
  nextBlock(
    signal: AbortSignal,
    maxWaitMs: number,
    transaction?: AwaitedTransaction,
  ): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        after: this.chain.newestSeen()?.height ?? -1,
        transaction,
        wake: () => done(),
      };
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

  /**
   * Resolves when the next block should be on the node, reading nothing, if nobody else waits
   * for a block: the caller's own read is then the look (a lone settlement reads its
   * transaction, rather than the newest block and then its transaction). Otherwise the same
   * as `nextBlock`.
   */
  async blockDue(
    signal: AbortSignal,
    maxWaitMs: number,
    transaction?: AwaitedTransaction,
  ): Promise<void> {
    const newest = this.chain.newestSeen();
    if (this.waiters.size > 0 || this.alone > 0 || !newest) {
      return this.nextBlock(signal, maxWaitMs, transaction);
    }
    const sleep = Math.min(maxWaitMs, this.sleepMs(newest));
    this.alone += 1;
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, sleep);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    } finally {
      this.alone -= 1;
    }
  }

  /** The least delay between a block's timestamp and its first sighting, over the last blocks. */
  private delayMs(): number {
    return this.delays.length === 0 ? 0 : Math.min(...this.delays);
  }

  /** Learns from a look that found the block after the newest one seen before it (first seen now). */
  private learn(before: BlockView | undefined, block: BlockView): void {
    if (!before || block.height !== before.height + 1) return;
    this.delays.push(Math.max(0, this.now() - block.timestampMs));
    if (this.delays.length > DELAY_SAMPLES) this.delays.shift();
  }

  /** How long to sleep before the next look, given the newest block seen. */
  private sleepMs(newest: BlockView | undefined): number {
    const interval = this.chain.blockIntervalMs;
    if (!newest || interval <= 0) return this.pollIntervalMs;
    const due = newest.timestampMs + interval + this.delayMs() - this.now();
    const longest = Math.min(interval, MAX_SLEEP_POLLS * this.pollIntervalMs);
    return Math.max(this.pollIntervalMs, Math.min(longest, due));
  }

  /** The newest block with its list, or without one where the node will not list it. */
  private async look(): Promise<ListedBlock | undefined> {
    try {
      return await this.chain.newestListed();
    } catch {
      try {
        return { ...(await this.chain.view('live')), transactions: undefined };
      } catch {
        return undefined;
      }
    }
  }

  private run(): void {
    if (this.running) return;
    this.running = true;
    void (async () => {
      try {
        while (this.waiters.size > 0) {
          const sleep = this.sleepMs(this.chain.newestSeen());
          await new Promise((resolve) => setTimeout(resolve, sleep));
          const before = this.chain.newestSeen();
          const block = await this.look();
          if (!block) continue; // an unreachable node only delays the next look
          this.learn(before, block);
          for (const waiter of [...this.waiters]) {
            // A waiter that came before any block was seen waits for the one after this.
            if (waiter.after < 0) waiter.after = block.height;
            else if (waiter.after < block.height) {
              // Only the newest block is listed: with a block between it and the last one known
              // not to hold the transaction, the waiter is woken.
              const awaited = waiter.transaction;
              const notInIt =
                awaited !== undefined &&
                awaited.notIn === block.height - 1 &&
                block.transactions?.has(awaited.hash.toLowerCase()) === false;
              if (notInIt) {
                waiter.after = block.height;
                awaited.notIn = block.height;
              } else waiter.wake();
            }
          }
        }
      } finally {
        this.running = false;
      }
    })();
  }
}
