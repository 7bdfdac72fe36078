// The wallet extension knows the default devnet token out of the box (extension/lib/settings.ts,
// DEFAULT_TOKENS); its package hash is fixed by the default genesis and chain name.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Devnet, startDevnet } from '../src/index.js';

let devnet: Devnet;
beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
});
afterAll(() => devnet.close());

it('has the token the wallet extension knows for casper:casper-net-1', () => {
  const settings = readFileSync(
    new URL('../../../extension/lib/settings.ts', import.meta.url),
    'utf8',
  );
  const [token] = devnet.tokens;
  expect(devnet.network).toBe('casper:casper-net-1');
  expect(settings).toContain(`packageHash: '${token!.packageHash}'`);
  expect(settings).toContain(`name: '${token!.name}'`);
  expect(settings).toContain(`symbol: '${token!.symbol}'`);
  expect(settings).toContain(`decimals: ${token!.decimals}`);
});
