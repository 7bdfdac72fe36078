// Chain reads made against one block, counted through a real proxy in front of the devnet:
// /verify reads the newest block once per block and, per payment, only what a payment brings
// (its nonce; a payer's balance once per block); /settle reads against a block read now, or by
// its /verify a moment before; the block watcher reads the newest block with what it holds.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey, generateSecretKey } from '@x402-casper/shared';
import {
  executionOf,
  FaultyProxy,
  paymentFor,
  postJson,
  requirementsFor,
  rpcResult,
  tempDir,
  whileMining,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Facilitator } from '../src/app.js';
import { BlockWatcher } from '../src/blocks.js';
import { type BlockView, ChainClient, FRESH_READ_MS } from '../src/chain.js';
import { facilitatorOn, sendDirectly, settleDirectly } from './helpers.js';

const dir = tempDir('block-reads');
const [feePayer, merchant, alice, bob] = defaultDevAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
const aliceAddress = addressOfPublicKey(alice.publicKey);
/** Longer than any test here: no block is due while one runs, unless a test mines one. */
const BLOCK_INTERVAL_MS = 600_000;

let devnet: Devnet;
let proxy: FaultyProxy;
/** Reads the newest block once per (long) block interval. */
let perBlock: Facilitator & { url: string };
/** Reads the newest block at every request (a devnet that mines on demand). */
let everyRead: Facilitator & { url: string };

async function start(name: string, blockIntervalMs: number) {
  return facilitatorOn(devnet, {
    rpcUrl: proxy.url,
    database: join(dir, `${name}.sqlite`),
    feePayer: feePayer.secretKey,
    blockIntervalMs,
    // The watcher looks at least every ten poll intervals when the (long) block interval says
    // no block is due: a settle waits for that look while these tests mine.
    extra: { pollIntervalMs: 25, settleTimeoutMs: 5000 },
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

const count = (calls: string[], method: string) => calls.filter((m) => m === method).length;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  proxy = new FaultyProxy(devnet.rpcUrl);
  await proxy.start();
  perBlock = await start('per-block', BLOCK_INTERVAL_MS);
  everyRead = await start('every-read', 0);
});

afterAll(async () => {
  await perBlock?.close();
  await everyRead?.close();
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('/verify, read against one block', () => {
  it('makes one RPC call per payment within a block, where reading the block every time makes four', async () => {
    const verifyAll = async (f: { url: string }, n: number) => {
      for (let i = 0; i < n; i++) {
        const answer = await postJson(`${f.url}/verify`, await payment());
        expect(answer.body).toEqual({ isValid: true, payer: aliceAddress });
      }
    };
    await verifyAll(perBlock, 1);
    await verifyAll(everyRead, 1);
    const withinBlock = await callsDuring(() => verifyAll(perBlock, 5));
    // Only the fresh nonce: the block, the contract hash and the balances are the block's.
    expect(withinBlock).toEqual(Array(5).fill('state_get_dictionary_item'));
    // Reading the newest block each time costs one call while no block comes…
    const sameBlock = await callsDuring(() => verifyAll(everyRead, 5));
    expect(sameBlock).toEqual(
      Array(5).fill(['info_get_status', 'state_get_dictionary_item']).flat(),
    );
    // …and, with a block that changed the state between payments, the package's contract and
    // the payer's balance again. The fee payer's CSPR was read by the first verify: within a
    // minute, the ledger counts the gas spent since that block instead.
    const everyTime = await callsDuring(async () => {
      for (let i = 0; i < 5; i++) {
        await rpcResult(devnet.rpcUrl, 'devnet_fund', {
          account: generateSecretKey().publicKey.hex,
          motes: '1',
        });
        await verifyAll(everyRead, 1);
      }
    });
    expect(everyTime).toHaveLength(20);
    expect(count(everyTime, 'info_get_status')).toBe(5);
    expect(count(everyTime, 'query_global_state')).toBe(5);
    expect(count(everyTime, 'state_get_dictionary_item')).toBe(10);
    expect(count(everyTime, 'query_balance')).toBe(0);
    // The contract's entry points were read once, by the first verify.
    expect(everyTime).not.toContain('chain_get_state_root_hash');
  });

  it('reads the block again once the next one is due, and sees what it changed', async () => {
    let now = Date.now();
    const client = new ChainClient(proxy.url, 10_000, 8000, () => now);
    const first = await client.view();
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    expect((await client.view()).height).toBe(first.height);
    now = first.timestampMs + 8000;
    expect((await client.view()).height).toBe(first.height + 1);
    // A live read always asks, and serves the recent reads after it.
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const live = await client.view('live');
    expect(live.height).toBe(first.height + 2);
    expect(await callsDuring(() => client.view())).toEqual([]);
  });

  it('serves a fresh read with a read sent less than FRESH_READ_MS ago, before the next block is due', async () => {
    let now = Date.now();
    const client = new ChainClient(proxy.url, 10_000, 8000, () => now);
    const first = await client.view('live');
    now = first.timestampMs + 1000;
    await client.view('live');
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    now += FRESH_READ_MS - 1;
    expect(await callsDuring(() => client.view('fresh'))).toEqual([]);
    now += 1;
    let fresh: BlockView | undefined;
    expect(
      await callsDuring(async () => {
        fresh = await client.view('fresh');
      }),
    ).toEqual(['info_get_status']);
    expect(fresh?.height).toBe(first.height + 1);
    // Read again 100 ms before the block after it is due by its timestamp…
    const { timestampMs } = fresh!;
    now = timestampMs + 8000 - 100;
    await client.view('live');
    now += 99;
    expect(await callsDuring(() => client.view('fresh'))).toEqual([]);
    // …it serves fresh reads until then, and not after, though read only 100 ms before.
    now += 1;
    expect(await callsDuring(() => client.view('fresh'))).toEqual(['info_get_status']);
    // A devnet that mines on demand: a block may come at any moment.
    const onDemand = new ChainClient(proxy.url, 10_000, 0, () => now);
    await onDemand.view('live');
    expect(await callsDuring(() => onDemand.view('fresh'))).toEqual(['info_get_status']);
  });

  it('does not keep a failed read', async () => {
    const client = new ChainClient(proxy.url, 10_000, BLOCK_INTERVAL_MS);
    proxy.faults.set('info_get_status', 'drop');
    try {
      await expect(client.view()).rejects.toThrow(/info_get_status/);
    } finally {
      proxy.faults.delete('info_get_status');
    }
    const block = await client.view();
    proxy.faults.set('query_balance', 'drop');
    try {
      await expect(client.accountBalance(feePayer.publicKey, block)).rejects.toThrow();
    } finally {
      proxy.faults.delete('query_balance');
    }
    expect(await client.accountBalance(feePayer.publicKey, block)).toBeGreaterThan(0n);
  });
});

describe('/settle, read against a block read now or a moment before', () => {
  it('refuses a nonce used on chain after /verify read it unused in an older block', async () => {
    const request = await payment();
    expect((await postJson(`${perBlock.url}/verify`, request)).body).toMatchObject({
      isValid: true,
    });
    await useOnChain(request);
    // /verify still judges by the block it read…
    expect((await postJson(`${perBlock.url}/verify`, request)).body).toMatchObject({
      isValid: true,
    });
    // …settlement reads the newest block first (its last read from the node is older than
    // FRESH_READ_MS), and spends nothing.
    await sleep(FRESH_READ_MS);
    const calls = await callsDuring(async () => {
      const answer = await postJson(`${perBlock.url}/settle`, request);
      expect(answer.body).toMatchObject({
        success: false,
        errorReason: 'invalid_exact_casper_nonce_used',
        transaction: '',
      });
    });
    expect(calls[0]).toBe('info_get_status');
    expect(calls).not.toContain('account_put_transaction');
  });

  it('settles in the block of its /verify reading nothing again but the newest block', async () => {
    const request = await payment();
    expect((await postJson(`${everyRead.url}/verify`, request)).body).toMatchObject({
      isValid: true,
    });
    const from = proxy.seen.length;
    const settling = postJson(`${everyRead.url}/settle`, request);
    try {
      // No block is made before the transaction is sent.
      await vi.waitFor(() => expect(proxy.seen.slice(from)).toContain('account_put_transaction'), {
        timeout: 5000,
      });
    } finally {
      await whileMining(devnet.rpcUrl, settling);
    }
    // (The fee payer's CSPR is read once a minute, whenever that falls.)
    const calls = proxy.seen.slice(from).filter((method) => method !== 'query_balance');
    // The block is the one /verify read: its nonce, package and balances are kept for it.
    expect(calls.slice(0, calls.indexOf('account_put_transaction'))).toEqual(['info_get_status']);
    const settled = await settling;
    expect(settled.body).toMatchObject({ success: true });
  });

  it('settles right after a /verify that asked the node for the block, without asking again', async () => {
    // The chain client's clock stands still until the test moves it.
    let now = Date.now();
    const held = await facilitatorOn(devnet, {
      rpcUrl: proxy.url,
      database: join(dir, 'fresh.sqlite'),
      feePayer: feePayer.secretKey,
      blockIntervalMs: BLOCK_INTERVAL_MS,
      extra: { pollIntervalMs: 25, settleTimeoutMs: 5000 },
      chainOf: (network) => new ChainClient(proxy.url, 10_000, network.blockIntervalMs, () => now),
    });
    try {
      /** Verifies and settles a new payment: the calls its settle made before sending. */
      const settleAfterVerify = async () => {
        const request = await payment();
        expect((await postJson(`${held.url}/verify`, request)).body).toMatchObject({
          isValid: true,
        });
        const from = proxy.seen.length;
        const settled = await whileMining(devnet.rpcUrl, postJson(`${held.url}/settle`, request));
        expect(settled.body).toMatchObject({ success: true });
        const calls = proxy.seen.slice(from).filter((method) => method !== 'query_balance');
        return calls.slice(0, calls.indexOf('account_put_transaction'));
      };
      // The block was read from the node just now: the settle uses it and all read with it.
      expect(await settleAfterVerify()).toEqual([]);
      // FRESH_READ_MS later the /verify still judges by that block; the settle reads the newest.
      now += FRESH_READ_MS;
      expect((await settleAfterVerify())[0]).toBe('info_get_status');
    } finally {
      await held.close();
    }
  });

  it("reads the payer's nonce and balance while it reads the package's contract, from the contract it had last", async () => {
    const request = await payment();
    expect((await postJson(`${perBlock.url}/verify`, request)).body).toMatchObject({
      isValid: true,
    });
    // A new block: its state root is new, so the package's contract is read again.
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: generateSecretKey().publicKey.hex,
      motes: '1',
    });
    let release = () => {};
    proxy.holds.set('query_global_state', new Promise<void>((resolve) => (release = resolve)));
    const from = proxy.seen.length;
    const settling = whileMining(devnet.rpcUrl, postJson(`${perBlock.url}/settle`, request));
    try {
      // Both dictionary reads are sent while the package's answer is held.
      await vi.waitFor(
        () => expect(count(proxy.seen.slice(from), 'state_get_dictionary_item')).toBe(2),
        { timeout: 5000 },
      );
      const [first, ...reads] = proxy.seen
        .slice(from)
        .filter((method) => method !== 'query_balance');
      expect(first).toBe('info_get_status');
      expect(reads.sort()).toEqual([
        'query_global_state',
        'state_get_dictionary_item',
        'state_get_dictionary_item',
      ]);
    } finally {
      proxy.holds.delete('query_global_state');
      release();
    }
    expect((await settling).body).toMatchObject({ success: true });
  });

  it('looks at the newest block before refusing for funds: a payer funded a moment ago is valid', async () => {
    const payer = generateSecretKey();
    const request = await paymentFor(
      payer,
      requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, '10'),
    );
    expect((await postJson(`${perBlock.url}/verify`, request)).body).toMatchObject({
      invalidReason: 'insufficient_funds',
    });
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: devnet.tokens[0]!.packageHash, amount: '10' },
    });
    // The block /verify read last is long from due; the refusal made it read the newest.
    const calls = await callsDuring(async () => {
      expect((await postJson(`${perBlock.url}/verify`, request)).body).toMatchObject({
        isValid: true,
      });
    });
    expect(calls).toContain('info_get_status');
  });

  it('looks at the newest block before refusing a settle for funds, though it has a block read a moment ago', async () => {
    // The chain client's clock stands still: the settle's checks use the block /verify read.
    const now = Date.now();
    const gasPayer = generateSecretKey();
    const held = await facilitatorOn(devnet, {
      rpcUrl: proxy.url,
      database: join(dir, 'second-look.sqlite'),
      feePayer: gasPayer,
      blockIntervalMs: BLOCK_INTERVAL_MS,
      extra: { pollIntervalMs: 25, settleTimeoutMs: 5000 },
      chainOf: (network) => new ChainClient(proxy.url, 10_000, network.blockIntervalMs, () => now),
    });
    try {
      const payer = generateSecretKey();
      const request = await paymentFor(
        payer,
        requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, '10'),
      );
      /** Settles `request`: its answer and the calls its settle made before sending. */
      const settle = async () => {
        const from = proxy.seen.length;
        const settled = await whileMining(devnet.rpcUrl, postJson(`${held.url}/settle`, request));
        const calls = proxy.seen.slice(from);
        const sent = calls.indexOf('account_put_transaction');
        return { body: settled.body, before: sent < 0 ? calls : calls.slice(0, sent) };
      };
      // Neither the payer's tokens nor the fee payer's CSPR are there yet.
      expect((await postJson(`${held.url}/verify`, request)).body).toMatchObject({
        invalidReason: 'insufficient_funds',
      });
      await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: payer.publicKey.hex,
        token: { package_hash: devnet.tokens[0]!.packageHash, amount: '10' },
      });
      // The payer's tokens came after the block in hand: the refusal looked at the newest one,
      // where the fee payer still cannot pay.
      const unfunded = await settle();
      expect(unfunded.body).toMatchObject({
        success: false,
        errorReason: 'invalid_exact_casper_facilitator_unfunded',
      });
      expect(count(unfunded.before, 'info_get_status')).toBe(1);
      await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: gasPayer.publicKey.hex,
        motes: '100000000000',
      });
      // The fee payer's CSPR came after the block in hand (the one the refusal read): the
      // refusal for gas looks at the newest block too, and the payment is settled.
      const settled = await settle();
      expect(settled.body).toMatchObject({ success: true });
      expect(count(settled.before, 'info_get_status')).toBe(1);
      expect(settled.before).not.toContain('account_put_transaction');
    } finally {
      await held.close();
    }
  });

  it('settles a payer funded after /verify saw an empty balance', async () => {
    const payer = generateSecretKey();
    const request = await paymentFor(
      payer,
      requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, '10'),
    );
    expect((await postJson(`${perBlock.url}/verify`, request)).body).toMatchObject({
      isValid: false,
      invalidReason: 'insufficient_funds',
    });
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: devnet.tokens[0]!.packageHash, amount: '10' },
    });
    const settled = await whileMining(devnet.rpcUrl, postJson(`${perBlock.url}/settle`, request));
    expect(settled.body).toMatchObject({ success: true });
  });
});

describe("the fee payer's CSPR, read once a minute, its gas counted by the ledger in between", () => {
  const PAYMENT_MOTES = 3_000_000_000n;

  it('counts the gas of settlements executed since its reading, reads again before refusing, and sees a top-up', async () => {
    const gasPayer = generateSecretKey();
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: gasPayer.publicKey.hex,
      motes: String(3n * PAYMENT_MOTES + 1_000_000_000n),
    });
    const metered = await facilitatorOn(devnet, {
      rpcUrl: proxy.url,
      database: join(dir, 'metered.sqlite'),
      feePayer: gasPayer,
      blockIntervalMs: 0,
      extra: { pollIntervalMs: 25, settleTimeoutMs: 5000 },
      network: {
        paymentMotes: String(PAYMENT_MOTES),
        secp256k1PaymentMotes: String(PAYMENT_MOTES),
      },
    });
    try {
      const settle = async () => {
        const request = await payment();
        const settled = await whileMining(
          devnet.rpcUrl,
          postJson(`${metered.url}/settle`, request),
        );
        expect(settled.body).toMatchObject({ success: true });
      };
      // The first settlement reads the fee payer's balance (10 CSPR)…
      expect(count(await callsDuring(settle), 'query_balance')).toBe(1);
      // …the next two are judged by it, less the 3 CSPR of each settlement executed since.
      expect(count(await callsDuring(settle), 'query_balance')).toBe(0);
      expect(count(await callsDuring(settle), 'query_balance')).toBe(0);
      // A fourth would need 12 CSPR by that reading: before refusing, the balance is read in
      // the newest block, where the chain shows what the three really cost.
      // So does /settle, whose reservation makes the check.
      const fourth = await payment();
      const refusedSettle = await callsDuring(async () => {
        expect((await postJson(`${metered.url}/settle`, fourth)).body).toEqual({
          success: false,
          errorReason: 'invalid_exact_casper_facilitator_unfunded',
          errorMessage: `the fee payer holds 1000000000 motes; settling needs ${PAYMENT_MOTES}`,
          payer: aliceAddress,
          transaction: '',
          network: devnet.network,
        });
      });
      expect(count(refusedSettle, 'query_balance')).toBe(1);
      expect(refusedSettle).not.toContain('account_put_transaction');
      // In a new block, /verify reads it again too.
      await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: generateSecretKey().publicKey.hex,
        motes: '1',
      });
      const refused = await callsDuring(async () => {
        expect((await postJson(`${metered.url}/verify`, fourth)).body).toEqual({
          isValid: false,
          invalidReason: 'invalid_exact_casper_facilitator_unfunded',
          invalidMessage: `the fee payer holds 1000000000 motes; settling needs ${PAYMENT_MOTES}`,
          payer: aliceAddress,
        });
      });
      expect(count(refused, 'query_balance')).toBe(1);
      // Topped up, the fee payer is good for it at once.
      await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: gasPayer.publicKey.hex,
        motes: String(PAYMENT_MOTES),
      });
      expect((await postJson(`${metered.url}/verify`, fourth)).body).toEqual({
        isValid: true,
        payer: aliceAddress,
      });
    } finally {
      await metered.close();
    }
  });
});

describe('the block watcher, against the devnet', () => {
  it('wakes a wait for a transaction only with a block that holds it, from one read of the block', async () => {
    const chain = new ChainClient(proxy.url, 5000, BLOCK_INTERVAL_MS);
    // The block is long: the watcher looks every ten poll intervals (250 ms).
    const watcher = new BlockWatcher(chain, 25);
    const request = await payment();
    const stop = new AbortController();
    const woken: string[] = [];
    const notIn = (await chain.view('live')).height;
    const wait = (name: string, hash?: string) =>
      watcher
        .nextBlock(stop.signal, 5000, hash === undefined ? undefined : { hash, notIn })
        .then(() => woken.push(name));
    try {
      const reads = await callsDuring(async () => {
        const sent = await sendDirectly(
          devnet,
          devnet.tokens[0]!.packageHash,
          request.paymentPayload,
          bob.secretKey,
        );
        // Both wait from the block before; the other transaction was sent after this block.
        const holder = wait('its transaction', sent.toUpperCase());
        void wait('another transaction', 'ee'.repeat(32));
        const any = wait('any block');
        await rpcResult(devnet.rpcUrl, 'devnet_mine');
        await Promise.all([holder, any]);
        expect(woken).toEqual(['its transaction', 'any block']);
        // The block after that does not hold it either: still waiting.
        await rpcResult(devnet.rpcUrl, 'devnet_mine');
        await sleep(400);
        expect(woken).toEqual(['its transaction', 'any block']);
      });
      // One read per look, the same for every waiter: the block with its transactions.
      expect(new Set(reads)).toEqual(new Set(['chain_get_block']));
      expect(reads.length).toBeGreaterThanOrEqual(2);
      // What it read is the newest block for later reads too.
      expect(chain.newestSeen()?.height).toBe((await chain.view('recent')).height);
    } finally {
      stop.abort();
    }
  });

  it('settles behind a node that answers "pending" for a transaction already in a block it showed', async () => {
    // Behind a load balancer the status may come from a node a block behind the one whose
    // blocks the watcher read. Here the first status read of each transaction says "pending".
    const lagged = new Set<string>();
    proxy.rewrites.set('info_get_transaction', (answer, params) => {
      const hash = (params as { transaction_hash: { Version1: string } }).transaction_hash.Version1;
      if (lagged.has(hash)) return answer;
      lagged.add(hash);
      return { ...answer, result: { ...(answer.result as object), execution_info: null } };
    });
    const from = proxy.seen.length;
    const looks = () => count(proxy.seen.slice(from), 'chain_get_block');
    let done = false;
    try {
      const requests = [await payment(), await payment()];
      const settling = Promise.all(
        requests.map((request) => postJson(`${perBlock.url}/settle`, request)),
      ).finally(() => {
        done = true;
      });
      await vi.waitFor(
        () => expect(count(proxy.seen.slice(from), 'account_put_transaction')).toBe(2),
        { timeout: 5000 },
      );
      await rpcResult(devnet.rpcUrl, 'devnet_mine'); // both run in this block
      await vi.waitFor(() => expect(lagged.size).toBe(2), { timeout: 5000 });
      // Then one block per look of the watcher, while they wait.
      for (let i = 0; i < 12 && !done; i++) {
        const seen = looks();
        await vi.waitFor(() => expect(done || looks() > seen).toBe(true), { timeout: 5000 });
        await rpcResult(devnet.rpcUrl, 'devnet_mine');
      }
      // Both within the settle's 5 s: their waits did not last until the lease's renewal (10 s).
      for (const answer of await settling) expect(answer.body).toMatchObject({ success: true });
    } finally {
      proxy.rewrites.delete('info_get_transaction');
    }
  });
});
