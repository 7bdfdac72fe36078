// Bounded execution on the devnet's Wasm host: an endless loop runs out of gas, memory is
// capped at the chainspec's 64 pages, a missing host function fails its execution by name,
// and the devnet keeps producing blocks and answering RPC after each.

import { executeFull, rpcResult, sdk, sdkKey } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';

const [facilitator] = defaultDevAccounts();

const leb = (n: number) => {
  const out: number[] = [];
  let rest = n;
  do {
    let b = rest & 0x7f;
    rest >>>= 7;
    if (rest) b |= 0x80;
    out.push(b);
  } while (rest);
  return out;
};
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const name = (text: string) => [...leb(text.length), ...new TextEncoder().encode(text)];

/**
 * A module exporting `call` (no params, no results) with `code` as its body, one memory of
 * `pages` pages exported as `memory`, and optional `env` function imports of type () -> ().
 */
function module(code: number[], options: { pages?: number; imports?: string[] } = {}) {
  const imports = options.imports ?? [];
  const body = [0x00, ...code, 0x0b];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [0x01, 0x60, 0x00, 0x00]),
    ...(imports.length
      ? section(2, [
          ...leb(imports.length),
          ...imports.flatMap((item) => [...name('env'), ...name(item), 0x00, 0x00]),
        ])
      : []),
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, 0x00, ...leb(options.pages ?? 1)]),
    ...section(7, [
      0x02,
      ...name('call'),
      0x00,
      ...leb(imports.length),
      ...name('memory'),
      0x02,
      0x00,
    ]),
    ...section(10, [0x01, ...leb(body.length), ...body]),
  ]);
}

function session(wasm: Uint8Array, paymentMotes = 3_000_000_000) {
  const key = sdkKey(facilitator.secretKey);
  const tx = new sdk.SessionBuilder()
    .from(key.publicKey)
    .wasm(wasm)
    .runtimeArgs(sdk.Args.fromMap({}))
    .chainName(devnet.chainName)
    .ttl(30 * 60 * 1000)
    .payment(paymentMotes, 1)
    .build();
  tx.sign(key);
  return tx;
}

let devnet: Devnet;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
});
afterAll(() => devnet?.close());

async function stillAlive() {
  const before = (await rpcResult(devnet.rpcUrl, 'info_get_status')).last_added_block_info as {
    height: number;
  };
  const mined = await rpcResult(devnet.rpcUrl, 'devnet_mine');
  expect(mined.block_height).toBe(before.height + 1);
}

describe('bounded Wasm execution', () => {
  it('an empty session succeeds and reports the gas it used', async () => {
    const result = await executeFull(devnet, session(module([])));
    expect(result.error_message).toBeNull();
    expect(BigInt(result.consumed)).toBeGreaterThan(0n);
    expect(BigInt(result.consumed)).toBeLessThan(1_000_000n);
  });

  it('an endless loop fails that transaction with Out of gas error, consuming the limit', async () => {
    const started = Date.now();
    const result = await executeFull(devnet, session(module([0x03, 0x40, 0x0c, 0x00, 0x0b])));
    expect(result.error_message).toBe('Out of gas error');
    expect(result.consumed).toBe('3000000000');
    expect(result.cost).toBe('3000000000');
    expect(Date.now() - started).toBeLessThan(10_000);
    await stillAlive();
  });

  it('endless recursion fails that transaction, not the devnet', async () => {
    // call: (call 0) forever
    const result = await executeFull(devnet, session(module([0x10, 0x00])));
    expect(result.error_message).toMatch(/^(Out of gas error|Interpreter error: trap: .+)$/);
    await stillAlive();
  });

  it('memory cannot grow past 64 pages: memory.grow fails and the contract traps', async () => {
    // if (memory.grow(64) == -1) unreachable
    const code = [0x41, 0x40, 0x40, 0x00, 0x41, 0x7f, 0x46, 0x04, 0x40, 0x00, 0x0b];
    const result = await executeFull(devnet, session(module(code)));
    expect(result.error_message).toBe('Interpreter error: trap: unreachable');
    // growing to the cap works
    const within = [0x41, 0x3f, 0x40, 0x00, 0x41, 0x7f, 0x46, 0x04, 0x40, 0x00, 0x0b];
    expect((await executeFull(devnet, session(module(within)))).error_message).toBeNull();
    await stillAlive();
  });

  it('a module asking for more than 64 pages fails with a preprocessing error', async () => {
    const result = await executeFull(devnet, session(module([], { pages: 65 })));
    expect(result.error_message).toBe(
      'Wasm preprocessing error: initial memory of 65 pages exceeds the limit of 64',
    );
    await stillAlive();
  });

  it('a module importing a host function the devnet lacks fails naming the import', async () => {
    const result = await executeFull(
      devnet,
      session(module([0x10, 0x00], { imports: ['casper_no_such_function'] })),
    );
    expect(result.error_message).toBe(
      "Interpreter error: host module doesn't export function with name casper_no_such_function",
    );
    await stillAlive();
  });

  it('bytes that are not Wasm fail that transaction only', async () => {
    const result = await executeFull(devnet, session(new Uint8Array([1, 2, 3, 4])));
    expect(result.error_message).toMatch(/^Wasm preprocessing error: /);
    await stillAlive();
  });
});
