// The block watcher looks at the chain when the next block is due, not every poll interval:
// a fake chain counts its reads; fake timers move time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlockWatcher } from '../src/blocks.js';
import type { BlockView } from '../src/chain.js';

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
  /** The node shows a new block, stamped `timestampMs` (now by default). */
  makeBlock(timestampMs = Date.now()) {
    this.height += 1;
    this.stamp = timestampMs;
  }
  newestSeen() {
    return this.newest;
  }
  async view(): Promise<BlockView> {
    this.reads.push(Date.now() - START);
    const block = this.block(this.stamp);
    if (!this.newest || block.height > this.newest.height) this.newest = block;
    return this.newest;
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
