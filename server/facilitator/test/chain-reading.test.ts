// What the facilitator reads from the chain before it spends gas, against a real devnet behind
// a recording proxy: the window by chain time (the newest block's timestamp, read once per
// block), and each token's entry point, so a token it cannot call is refused at /verify.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import {
  FaultyProxy,
  paymentFor,
  postJson,
  requirementsFor,
  rpcResult,
  tempDir,
} from '@x402-casper/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Facilitator } from '../src/app.js';
import { facilitatorOn } from './helpers.js';

const dir = tempDir('chain-reading');
const [feePayer, merchant, alice] = defaultDevAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
let devnet: Devnet;
let proxy: FaultyProxy;
const running: Array<Facilitator & { url: string }> = [];

async function facilitator(now?: () => number, blockIntervalMs = 0) {
  const started = await facilitatorOn(devnet, {
    rpcUrl: proxy.url,
    blockIntervalMs,
    database: join(dir, `ledger-${running.length}.sqlite`),
    feePayer: feePayer.secretKey,
    extra: { pollIntervalMs: 25, settleTimeoutMs: 300 },
    ...(now ? { now } : {}),
  });
  running.push(started);
  return started;
}

const payment = (options: { now?: number } = {}) =>
  paymentFor(
    alice.secretKey,
    requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, '1000'),
    options,
  );
const calls = (method: string) => proxy.seen.filter((seen) => seen === method).length;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  proxy = new FaultyProxy(devnet.rpcUrl);
  await proxy.start();
});

afterEach(() => {
  proxy.rewrites.clear();
});

afterAll(async () => {
  for (const f of running) await f.close();
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a token whose entry point x402 cannot call', () => {
  /** The node's answer for the token's contract, with its entry point's `amount` renamed. */
  function renameAmount(answer: Record<string, unknown>) {
    const result = answer.result as { stored_value?: { Contract?: { entry_points: unknown[] } } };
    for (const entry of result?.stored_value?.Contract?.entry_points ?? []) {
      const { entry_point } = entry as { entry_point: { args: Array<{ name: string }> } };
      for (const arg of entry_point.args) if (arg.name === 'amount') arg.name = 'quantity';
    }
    return answer;
  }

  it('is refused at /verify and /settle, naming what the entry point takes, with no gas spent', async () => {
    proxy.rewrites.set('query_global_state', renameAmount);
    const f = await facilitator();
    const request = await payment();
    const verified = await postJson(`${f.url}/verify`, request);
    expect(verified.body).toEqual({
      isValid: false,
      invalidReason: 'invalid_exact_casper_unsupported_token',
      invalidMessage: expect.stringMatching(
        /cannot be settled: .*transfer_with_authorization takes no U256 amount or value: .*quantity: "U256"/,
      ),
      payer: addressOfPublicKey(alice.publicKey),
    });
    const submitted = calls('account_put_transaction');
    const settled = await postJson(`${f.url}/settle`, request);
    expect(settled.body).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_unsupported_token',
      transaction: '',
    });
    expect(calls('account_put_transaction')).toBe(submitted);

    const health = (await (await fetch(`${f.url}/health`)).json()) as {
      networks: unknown[];
    };
    expect(health.networks[0]).toMatchObject({
      ok: false,
      tokens: [
        { asset: devnet.tokens[0]!.packageHash, problem: expect.stringContaining('quantity') },
      ],
      error: expect.stringContaining('cannot be settled'),
    });
  });
});

// Last: it moves the devnet's clock forward.
describe('the window, judged by chain time', () => {
  it('reads the newest block once per block, however many payments it judges', async () => {
    const f = await facilitator(undefined, 600_000);
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const before = calls('info_get_status');
    for (let i = 0; i < 5; i++) {
      const verified = await postJson(`${f.url}/verify`, await payment());
      expect(verified.body).toMatchObject({ isValid: true });
    }
    expect(calls('info_get_status') - before).toBe(1);
  });

  it('accepts what our clock calls not yet valid when the chain has passed validAfter', async () => {
    // The facilitator's clock is ten minutes behind the chain's.
    const f = await facilitator(() => Date.now() - 600_000);
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const verified = await postJson(`${f.url}/verify`, await payment());
    expect(verified.body).toEqual({
      isValid: true,
      payer: addressOfPublicKey(alice.publicKey),
    });
  });

  it('refuses as not yet valid what the chain has not reached, whatever our clock says', async () => {
    const f = await facilitator(() => Date.now() + 600_000);
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    // Signed by a payer whose clock is as far ahead as ours: valid from 9 minutes from now.
    const ahead = await payment({ now: Math.floor(Date.now() / 1000) + 600 });
    const verified = await postJson(`${f.url}/verify`, ahead);
    expect(verified.body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_not_yet_valid',
      invalidMessage: expect.stringContaining('chain time is'),
    });
  });

  it('refuses as expired a payment the chain, ahead of our clock, would refuse', async () => {
    const f = await facilitator();
    const request = await payment(); // valid for 300 s from now
    await rpcResult(devnet.rpcUrl, 'devnet_increaseTime', { seconds: 280 });
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const verified = await postJson(`${f.url}/verify`, request);
    expect(verified.body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_payload_expired',
    });
    const submitted = calls('account_put_transaction');
    const settled = await postJson(`${f.url}/settle`, request);
    expect(settled.body).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_payload_expired',
    });
    expect(calls('account_put_transaction')).toBe(submitted);
  });
});
