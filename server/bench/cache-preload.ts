// Benchmark only: what a short-lived cache of chain reads would give /verify, measured without
// changing the facilitator. Loaded into a facilitator process with `node --import`, it wraps
// the read methods of the facilitator's ChainClient with a time-limited, single-flight cache:
// the package's contract hash for 60 s, the state root hash for 0.5 s, balances and nonce
// states for 1 s (a fresh nonce is never in the cache, so every /verify still reads it).
import { ChainClient } from '../src/facilitator/chain.js';

type Method = (...args: unknown[]) => Promise<unknown>;

const prototype = ChainClient.prototype as unknown as Record<string, Method>;

function cached(name: string, ttlMs: number, keyOf: (args: unknown[]) => string | undefined) {
  const original = prototype[name];
  if (typeof original !== 'function') {
    throw new Error(`cache-preload: ChainClient.${name} is gone; update the benchmark`);
  }
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  prototype[name] = function (this: unknown, ...args: unknown[]) {
    const key = keyOf(args);
    if (key === undefined) return original.apply(this, args);
    const now = Date.now();
    const hit = entries.get(key);
    if (hit && now - hit.at < ttlMs) return hit.value;
    const value = original.apply(this, args);
    entries.set(key, { at: now, value });
    value.catch(() => entries.delete(key));
    if (entries.size > 100_000) entries.clear();
    return value;
  };
}

const all = (args: unknown[]) => args.map(String).join('|');
cached('contractHashOf', 60_000, all);
cached('tokenBalance', 1000, all);
cached('accountBalance', 1000, all);
cached('nonceUsed', 1000, all);
// `call(method, run)`: only the state root read has no argument besides its name.
cached('call', 500, ([method]) => (method === 'chain_get_state_root_hash' ? 'root' : undefined));
