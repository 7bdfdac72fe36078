// GET /health against a real devnet behind a counting RPC proxy: many hits share one chain
// check, and the per-address rate limit applies to it like to every other route.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { FaultyProxy, tempDir } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Facilitator } from '../src/app.js';
import { HEALTH_CACHE_MS } from '../src/health.js';
import { facilitatorOn } from './helpers.js';

const API_KEY = 'health-key-0123456789';
const RATE_LIMIT = { max: 30, windowMs: 60_000 };
const dir = tempDir('health');
const feePayer = defaultDevAccounts()[0]!;
let devnet: Devnet;
let proxy: FaultyProxy;
let facilitator: Facilitator & { url: string };
/** The facilitator's clock: it moves only when a test moves it. */
let clock = Date.now();

const statusCalls = () => proxy.seen.filter((method) => method === 'info_get_status').length;
const health = () => fetch(`${facilitator.url}/health`);

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  proxy = new FaultyProxy(devnet.rpcUrl);
  await proxy.start();
  facilitator = await facilitatorOn(devnet, {
    rpcUrl: proxy.url,
    database: join(dir, 'ledger.sqlite'),
    feePayer: feePayer.secretKey,
    apiKeys: [API_KEY],
    extra: { rateLimit: RATE_LIMIT },
    now: () => clock,
  });
});

afterAll(async () => {
  await facilitator?.close();
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /health', () => {
  it('answers many hits, at once and one after another, from one chain check', async () => {
    const before = statusCalls();
    const burst = await Promise.all(Array.from({ length: 20 }, health));
    const bodies = await Promise.all(burst.map((response) => response.json()));
    expect(burst.map((response) => response.status)).toEqual(Array(20).fill(200));
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    for (let i = 0; i < 5; i++) expect((await health()).status).toBe(200);
    expect(statusCalls() - before).toBe(1);

    // Once the result is older than the cache time, the next hit checks the chain again.
    clock += HEALTH_CACHE_MS;
    expect((await health()).status).toBe(200);
    expect(statusCalls() - before).toBe(2);
  });

  it('is rate limited per client address, without touching API key budgets', async () => {
    clock += RATE_LIMIT.windowMs; // a fresh window
    const before = statusCalls();
    for (let i = 0; i < RATE_LIMIT.max; i++) expect((await health()).status).toBe(200);
    const limited = await health();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    expect(statusCalls() - before).toBe(1);

    const supported = await fetch(`${facilitator.url}/supported`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(supported.status).toBe(200);
  });
});
