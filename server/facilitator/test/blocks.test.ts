// The block watcher looks at the chain when the next block is due, not every poll interval:
// a fake chain counts its reads; fake timers move time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlockWatcher } from '../src/blocks.js';
import type { BlockView, ListedBlock } from '../src/chain.js';

const START = 1_800_000_000_000;

class FakeChain {
  reads: number[] = [];
  newest: BlockView | undefined;
  /** The timestamp of the newest block the node has. */
  private stamp = START;
  constructor(
    readonly blockIntervalMs: number,
    private height: number,
  ) {
    this.newest = this.block(START);
  }
  private block(timestampMs: number): BlockView {
    return { height: this.height, timestampMs, stateRootHash: 'ab'.repeat(32) };
  }
  /** The transactions the node lists in each block; a block left out (null) is not a 2.x one. */
  private readonly listed = new Map<number, ReadonlySet<string>>();
  /** The node shows a new block, stamped `timestampMs` (now by default), holding `transactions`. */
  makeBlock(timestampMs = Date.now(), transactions: string[] | null = []) {
    this.height += 1;
    this.stamp = timestampMs;
    if (transactions) this.listed.set(this.height, new Set(transactions));
  }
  newestSeen() {
    return this.newest;
  }
  /** The look without a list, where the node will not list the block (not used when it does). */
  async view(): Promise<BlockView> {
    const { transactions: _, ...block } = await this.newestListed();
    return block;
  }
  async newestListed(): Promise<ListedBlock> {
    this.reads.push(Date.now() - START);
    const block = this.block(this.stamp);
    if (!this.newest || block.height > this.newest.height) this.newest = block;
    return { ...this.newest, transactions: this.listed.get(this.newest.height) };
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BlockWatcher', () => {
  it('sleeps until the next block is due, then looks every poll interval until it comes', async () => {
    const chain = new FakeChain(1000, 5);
    const watcher = new BlockWatcher(chain, 100);
    let woken = false;
    void watcher.nextBlock(new AbortController().signal, 60_000).then(() => {
      woken = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(chain.reads).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(chain.reads).toEqual([1000]); // due: no block yet
    await vi.advanceTimersByTimeAsync(200);
    expect(chain.reads).toEqual([1000, 1100, 1200]);
    chain.makeBlock();
    await vi.advanceTimersByTimeAsync(100);
    expect(woken).toBe(true);
    expect(chain.reads).toEqual([1000, 1100, 1200, 1300]);
    // Nobody waits any more: no more reads.
    await vi.advanceTimersByTimeAsync(5000);
    expect(chain.reads).toHaveLength(4);
  });

  it('wakes every waiter with one read per look', async () => {
    const chain = new FakeChain(1000, 5);
    const watcher = new BlockWatcher(chain, 100);
    const signal = new AbortController().signal;
    const woken = Promise.all(Array.from({ length: 50 }, () => watcher.nextBlock(signal, 60_000)));
    chain.makeBlock();
    await vi.advanceTimersByTimeAsync(1000);
    await woken;
    expect(chain.reads).toEqual([1000]);
  });

  it('looks at least every ten poll intervals, whatever the block interval says', async () => {
    const chain = new FakeChain(600_000, 5);
    const watcher = new BlockWatcher(chain, 25);
    void watcher.nextBlock(new AbortController().signal, 60_000);
    await vi.advanceTimersByTimeAsync(500);
    expect(chain.reads).toEqual([250, 500]);
  });

  it('never looks more often than the poll interval, even with blocks shorter than it', async () => {
    const chain = new FakeChain(50, 5);
    const watcher = new BlockWatcher(chain, 100);
    void watcher.nextBlock(new AbortController().signal, 60_000);
    await vi.advanceTimersByTimeAsync(300);
    expect(chain.reads).toEqual([100, 200, 300]);
  });

  it('looks every poll interval on a chain that makes blocks on demand', async () => {
    const chain = new FakeChain(0, 5);
    const watcher = new BlockWatcher(chain, 100);
    void watcher.nextBlock(new AbortController().signal, 60_000);
    await vi.advanceTimersByTimeAsync(300);
    expect(chain.reads).toEqual([100, 200, 300]);
  });

  it('learns how long after its timestamp a block shows on the node, and looks then', async () => {
    const chain = new FakeChain(1000, 5);
    const watcher = new BlockWatcher(chain, 100);
    const signal = new AbortController().signal;
    // The node shows each block 250 ms after its timestamp, as a node shows a block once final.
    for (const second of [1, 2, 3]) {
      setTimeout(() => chain.makeBlock(START + second * 1000), second * 1000 + 250);
    }
    const first = watcher.nextBlock(signal, 60_000);
    await vi.advanceTimersByTimeAsync(1300);
    await first;
    expect(chain.reads).toEqual([1000, 1100, 1200, 1300]); // seen 300 ms after its timestamp
    const second = watcher.nextBlock(signal, 60_000);
    await vi.advanceTimersByTimeAsync(1000);
    await second;
    expect(chain.reads.slice(4)).toEqual([2300]); // one look: due plus the delay learnt
    const third = watcher.nextBlock(signal, 60_000);
    await vi.advanceTimersByTimeAsync(1000);
    await third;
    expect(chain.reads.slice(5)).toEqual([3300]);
  });

  it('lets a caller alone make the first look itself, once the block is due', async () => {
    const chain = new FakeChain(1000, 5);
    const watcher = new BlockWatcher(chain, 100);
    const signal = new AbortController().signal;
    let due = false;
    void watcher.blockDue(signal, 60_000).then(() => {
      due = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(due).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(due).toBe(true);
    expect(chain.reads).toEqual([]);
    // With someone else waiting, it waits for a block like everyone, on the same look.
    const waiting = watcher.nextBlock(signal, 60_000);
    let woken = false;
    void watcher.blockDue(signal, 60_000).then(() => {
      woken = true;
    });
    chain.makeBlock();
    await vi.advanceTimersByTimeAsync(100);
    await waiting;
    expect(woken).toBe(true);
    expect(chain.reads).toEqual([1100]);
  });

  it('wakes a waiter for a transaction only with a block that may hold it', async () => {
    const chain = new FakeChain(1000, 5);
    const watcher = new BlockWatcher(chain, 100);
    const signal = new AbortController().signal;
    const woken: string[] = [];
    // Block 5 is the newest seen: neither transaction is in a block up to it.
    const wait = (name: string, hash?: string) =>
      watcher
        .nextBlock(signal, 60_000, hash === undefined ? undefined : { hash, notIn: 5 })
        .then(() => woken.push(name));
    // Sent while block 6 was being made: in block 7, not 6.
    void wait('late', 'AA'.repeat(32));
    void wait('early', 'bb'.repeat(32));
    void wait('any block');
    chain.makeBlock(undefined, ['bb'.repeat(32)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(woken).toEqual(['early', 'any block']);
    chain.makeBlock(undefined, ['aa'.repeat(32)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(woken).toEqual(['early', 'any block', 'late']);
    // One read per look all along: the list came with the block.
    expect(chain.reads).toEqual([1000, 2000]);
  });

  it('moves the height a transaction is known absent to on, block after block, for every wait', async () => {
    const chain = new FakeChain(1000, 5);
    const watcher = new BlockWatcher(chain, 100);
    const signal = new AbortController().signal;
    const awaited = { hash: 'aa'.repeat(32), notIn: 5 };
    let woken = false;
    void watcher.nextBlock(signal, 60_000, awaited).then(() => {
      woken = true;
    });
    for (const height of [6, 7]) {
      chain.makeBlock(undefined, []);
      await vi.advanceTimersByTimeAsync(1000);
      expect(woken).toBe(false);
      expect(awaited.notIn).toBe(height);
    }
    chain.makeBlock(undefined, ['aa'.repeat(32)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(woken).toBe(true);
    expect(awaited.notIn).toBe(7);
    // A later wait with the same record (its status read said it has not run) wakes at the
    // next block: block 8 holds it.
    let again = false;
    void watcher.nextBlock(signal, 60_000, awaited).then(() => {
      again = true;
    });
    chain.makeBlock(undefined, []);
    await vi.advanceTimersByTimeAsync(1000);
    expect(again).toBe(true);
  });

  it('wakes a waiter for a transaction when it cannot tell: a block not listed, or not a 2.x one', async () => {
    const chain = new FakeChain(1000, 5);
    const watcher = new BlockWatcher(chain, 100);
    const signal = new AbortController().signal;
    const woken: string[] = [];
    void watcher
      .nextBlock(signal, 60_000, { hash: 'aa'.repeat(32), notIn: 5 })
      .then(() => woken.push('skipped'));
    // Two blocks before the look: only the newest is listed, and the first may hold it.
    chain.makeBlock(undefined, ['aa'.repeat(32)]);
    chain.makeBlock(undefined, []);
    await vi.advanceTimersByTimeAsync(1000);
    expect(woken).toEqual(['skipped']);
    void watcher
      .nextBlock(signal, 60_000, { hash: 'cc'.repeat(32), notIn: 7 })
      .then(() => woken.push('unlisted'));
    chain.makeBlock(undefined, null); // a 1.x block: no list of transactions
    await vi.advanceTimersByTimeAsync(1000);
    expect(woken).toEqual(['skipped', 'unlisted']);
    // Known absent only up to block 7, while block 8 was seen since: block 8 may hold it.
    void watcher
      .nextBlock(signal, 60_000, { hash: 'dd'.repeat(32), notIn: 7 })
      .then(() => woken.push('seen on'));
    chain.makeBlock(undefined, []);
    await vi.advanceTimersByTimeAsync(1000);
    expect(woken).toEqual(['skipped', 'unlisted', 'seen on']);
  });

  it('gives up waiting after maxWaitMs, or when the signal aborts', async () => {
    const chain = new FakeChain(1000, 5);
    const watcher = new BlockWatcher(chain, 100);
    let timedOut = false;
    void watcher.nextBlock(new AbortController().signal, 50).then(() => {
      timedOut = true;
    });
    await vi.advanceTimersByTimeAsync(50);
    expect(timedOut).toBe(true);
    const stop = new AbortController();
    let aborted = false;
    void watcher.nextBlock(stop.signal, 60_000).then(() => {
      aborted = true;
    });
    stop.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(aborted).toBe(true);
  });
});
