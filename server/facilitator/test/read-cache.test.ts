// The chain read cache on its own, with a clock the test moves: what it keeps, for how long,
// what a fresh read replaces, and what it drops when full.
import { describe, expect, it } from 'vitest';
import { ReadCache } from '../src/read-cache.js';

/** A cache on a test clock, and a loader that counts its reads and answers `key#n`. */
function setUp(maxEntries = 10_000) {
  let now = 0;
  const cache = new ReadCache(() => now, maxEntries);
  const loads = new Map<string, number>();
  const read = (key: string, ttlMs: number, fresh = false) =>
    cache.read(
      key,
      ttlMs,
      async () => {
        const n = (loads.get(key) ?? 0) + 1;
        loads.set(key, n);
        return `${key}#${n}`;
      },
      fresh,
    );
  return { read, loads, advance: (ms: number) => (now += ms) };
}

describe('ReadCache', () => {
  it('shares a read for its time to live, counted from when it was sent', async () => {
    const { read, loads, advance } = setUp();
    const [a, b] = await Promise.all([read('k', 100), read('k', 100)]);
    expect([a, b]).toEqual(['k#1', 'k#1']);
    advance(99);
    expect(await read('k', 100)).toBe('k#1');
    advance(1);
    expect(await read('k', 100)).toBe('k#2');
    expect(loads.get('k')).toBe(2);
    // Nothing is kept with no time to live.
    expect(await read('z', 0)).toBe('z#1');
    expect(await read('z', 0)).toBe('z#2');
  });

  it('keeps no failed read', async () => {
    const cache = new ReadCache(() => 0);
    await expect(
      cache.read('k', 100, async () => Promise.reject(new Error('down'))),
    ).rejects.toThrow('down');
    expect(await cache.read('k', 100, async () => 'up')).toBe('up');
  });

  it('reads fresh when asked, and keeps that read for the others', async () => {
    const { read, advance } = setUp();
    expect(await read('k', 1000)).toBe('k#1');
    advance(10);
    expect(await read('k', 1000, true)).toBe('k#2');
    expect(await read('k', 1000)).toBe('k#2');
    // Kept from the fresh read's time.
    advance(1000);
    expect(await read('k', 1000)).toBe('k#3');
  });

  it('when full, drops expired reads first, then finished ones kept for a while, never those kept for ever', async () => {
    const { read, loads, advance } = setUp(4);
    await read('forever', Number.POSITIVE_INFINITY);
    await read('long', 10_000);
    await read('short', 10);
    await read('other', 10_000);
    advance(10);
    // Full: the expired `short` makes room; `long` is still kept.
    await read('new', 10_000);
    expect(await read('long', 10_000)).toBe('long#1');
    // Full again with nothing expired: the finished reads with a time to live go.
    await read('newer', 10_000);
    expect(await read('long', 10_000)).toBe('long#2');
    expect(await read('forever', Number.POSITIVE_INFINITY)).toBe('forever#1');
    expect(loads.get('forever')).toBe(1);
  });
});
