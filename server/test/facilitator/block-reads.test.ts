// Chain reads served again for a while: counted through a real proxy in front of the devnet.
// /verify reads what earlier requests read from the cache; /settle still reads the nonce live.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { addressOfPublicKey, generateSecretKey } from '@x402-casper/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, startDevnet } from '../../src/devnet/index.js';
import type { Facilitator } from '../../src/facilitator/app.js';
import { ChainClient } from '../../src/facilitator/chain.js';
import { devAccounts } from '../support/accounts.js';
import {
  executionOf,
  FaultyProxy,
  facilitatorOn,
  paymentFor,
  postJson,
  requirementsFor,
  rpcResult,
  settleDirectly,
  tempDir,
  whileMining,
} from './helpers.js';

const dir = tempDir('chain-cache');
const [feePayer, merchant, alice, bob] = devAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
const aliceAddress = addressOfPublicKey(alice.publicKey);

/** Long enough that nothing expires while a test runs. */
const CACHED = { contractHashMs: 600_000, stateRootMs: 5000, balanceMs: 5000, nonceMs: 1000 };
const NOT_KEPT = { contractHashMs: 0, stateRootMs: 0, balanceMs: 0, nonceMs: 0 };

let devnet: Devnet;
let proxy: FaultyProxy;
let cached: Facilitator & { url: string };
let uncached: Facilitator & { url: string };

async function start(name: string, chainCache: Record<string, number>) {
  return facilitatorOn(devnet, {
    rpcUrl: proxy.url,
    database: join(dir, `${name}.sqlite`),
    feePayer: feePayer.secretKey,
    extra: { pollIntervalMs: 25, settleTimeoutMs: 300, chainCache },
  });
}

const payment = () =>
  paymentFor(
    alice.secretKey,
    requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, '10'),
  );

/** Settles `request` on chain without any facilitator (bob pays the gas), in a new block. */
async function useOnChain(request: Awaited<ReturnType<typeof payment>>) {
  const directHash = await settleDirectly(
    devnet,
    devnet.tokens[0]!.packageHash,
    request.paymentPayload,
    bob.secretKey,
  );
  expect(await executionOf(devnet.rpcUrl, directHash)).toMatchObject({ error_message: null });
}

/** RPC methods called (through the proxy) while `work` runs. */
async function callsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const from = proxy.seen.length;
  await work();
  return proxy.seen.slice(from);
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  proxy = new FaultyProxy(devnet.rpcUrl);
  await proxy.start();
  cached = await start('cached', CACHED);
  uncached = await start('uncached', NOT_KEPT);
});

afterAll(async () => {
  await cached?.close();
  await uncached?.close();
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('chain reads with a cache', () => {
  it('makes one RPC call per /verify of a fresh nonce, where reads not kept make six', async () => {
    const verifyAll = async (f: { url: string }, count: number) => {
      for (let i = 0; i < count; i++) {
        const answer = await postJson(`${f.url}/verify`, await payment());
        expect(answer.body).toEqual({ isValid: true, payer: aliceAddress });
      }
    };
    await verifyAll(cached, 1);
    const withCache = await callsDuring(() => verifyAll(cached, 5));
    const live = await callsDuring(() => verifyAll(uncached, 5));

    const count = (calls: string[], method: string) => calls.filter((m) => m === method).length;
    // Six per /verify (the package's contract hash, two state roots, nonce, balance, the fee
    // payer's CSPR), plus the contract's entry points and the newest block, read once.
    expect(live).toHaveLength(32);
    expect(count(live, 'query_global_state')).toBe(6);
    expect(count(live, 'info_get_status')).toBe(1);
    expect(count(live, 'chain_get_state_root_hash')).toBe(10);
    expect(count(live, 'state_get_dictionary_item')).toBe(10);
    expect(count(live, 'query_balance')).toBe(5);
    expect(count(withCache, 'state_get_dictionary_item')).toBe(5);
    expect(withCache).not.toContain('query_global_state');
    expect(withCache).not.toContain('query_balance');
    // A state root older than stateRootMs is read again: at most once or twice here.
    expect(withCache.length).toBeLessThanOrEqual(7);
  });

  it('refuses in /settle a nonce used on chain after /verify cached it as unused', async () => {
    const request = await payment();
    expect((await postJson(`${cached.url}/verify`, request)).body).toMatchObject({
      isValid: true,
    });
    await useOnChain(request);
    const calls = await callsDuring(async () => {
      const answer = await postJson(`${cached.url}/settle`, request);
      expect(answer.body).toMatchObject({
        success: false,
        errorReason: 'invalid_exact_casper_nonce_used',
        transaction: '',
      });
    });
    expect(calls).toContain('chain_get_state_root_hash');
    expect(calls).not.toContain('account_put_transaction');
  });
});

describe('chain reads with a cache, in /settle', () => {
  it('reads the balance live: a payer funded after /verify cached its empty balance is settled', async () => {
    const payer = generateSecretKey();
    const request = await paymentFor(
      payer,
      requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, '10'),
    );
    expect((await postJson(`${cached.url}/verify`, request)).body).toMatchObject({
      isValid: false,
      invalidReason: 'insufficient_funds',
    });
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: devnet.tokens[0]!.packageHash, amount: '10' },
    });
    // /verify still answers from the balance it read a moment ago…
    expect((await postJson(`${cached.url}/verify`, request)).body).toMatchObject({
      invalidReason: 'insufficient_funds',
    });
    // …but settlement asks the node.
    const settled = await whileMining(devnet.rpcUrl, postJson(`${cached.url}/settle`, request));
    expect(settled.body).toMatchObject({ success: true });
  });
});

describe('ChainClient nonce reads', () => {
  it('answers a recent read from the cache, a live read from the chain', async () => {
    let now = 1_000_000;
    const client = new ChainClient(devnet.rpcUrl, 10_000, CACHED, () => now);
    const request = await payment();
    const { nonce } = (request.paymentPayload.payload as { authorization: { nonce: string } })
      .authorization;
    const read = (mode: 'live' | 'recent') =>
      client.nonceUsed(devnet.tokens[0]!.contractHash, aliceAddress, nonce, mode);
    expect(await read('recent')).toBe(false);
    await useOnChain(request);
    now += CACHED.nonceMs - 1;
    expect(await read('recent')).toBe(false);
    expect(await read('live')).toBe(true);
    now += CACHED.stateRootMs;
    expect(await read('recent')).toBe(true);
  });

  it('does not keep a failed read', async () => {
    const client = new ChainClient(proxy.url, 10_000, CACHED, () => 0);
    proxy.faults.set('query_balance', 'drop');
    try {
      await expect(client.accountBalance(feePayer.publicKey)).rejects.toThrow();
    } finally {
      proxy.faults.delete('query_balance');
    }
    expect(await client.accountBalance(feePayer.publicKey)).toBeGreaterThan(0n);
  });
});
