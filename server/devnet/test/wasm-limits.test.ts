// Bounded execution on the devnet's Wasm host, over RPC: a hostile transaction fails on its
// own, quickly, with a node's error, and the devnet goes on producing blocks and answering RPC.
// (What preprocessing refuses and how gas is metered: wasm-preprocess.test.ts.)

import { hexToBytes, signDigest } from '@x402-casper/shared';
import { executeFull, putParams, rpc, rpcResult, sdk, sdkKey } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';
import { hostCall, newChain, op, wasmModule } from './wasm-kit.js';

const [facilitator] = defaultDevAccounts();
const CSPR = 1_000_000_000;

function session(devnet: Devnet, wasm: Uint8Array, paymentMotes: number) {
  const key = sdkKey(facilitator!.secretKey);
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

const endlessLoop = wasmModule({ call: [...op.loop, ...op.br(0), ...op.end] });

/** Verifies a valid ed25519 signature of the empty message, forever. */
function verifyLoop() {
  const spec = { imports: ['casper_verify_signature'] };
  const signature = hexToBytes(signDigest(facilitator!.secretKey, new Uint8Array()));
  const verify = hostCall(spec, 'casper_verify_signature', [0, 0, 64, 65, 256, 33]);
  return wasmModule({
    ...spec,
    call: [...op.loop, ...verify, ...op.drop, ...op.br(0), ...op.end],
    data: [
      [64, signature],
      [256, hexToBytes(facilitator!.publicKey)],
    ],
  });
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
  it('an endless loop runs out of gas at its payment, up to the largest lane’s 500 CSPR; a payment no lane takes is refused', async () => {
    const small = await executeFull(devnet, session(devnet, endlessLoop, 3 * CSPR));
    expect(small.error_message).toBe('Out of gas error');
    expect(small.consumed).toBe(String(3 * CSPR));
    expect(small.cost).toBe(String(3 * CSPR));
    const started = Date.now();
    const large = await executeFull(devnet, session(devnet, endlessLoop, 500 * CSPR));
    expect(large.error_message).toBe('Out of gas error');
    expect(large.consumed).toBe(String(500 * CSPR));
    expect(large.cost).toBe(String(500 * CSPR));
    expect(Date.now() - started).toBeLessThan(5_000);
    const refused = await rpc(
      devnet.rpcUrl,
      'account_put_transaction',
      putParams(session(devnet, endlessLoop, 500 * CSPR + 1)),
    );
    expect(refused.error).toMatchObject({
      code: -32016,
      data: 'the transaction was invalid: Could not match any generic wasm lane to the specified transaction',
    });
    await stillAlive();
  });

  it('lanes as the chainspec sizes them: lane 5 up to 5 CSPR and 12,288 bytes, 4 up to 50 CSPR, 3 up to 500 CSPR and 344,064 bytes', async () => {
    const put = (wasm: Uint8Array, payment: number) =>
      rpc(devnet.rpcUrl, 'account_put_transaction', putParams(session(devnet, wasm, payment)));
    // a module of 13,000 bytes: too large for lane 5, fine in lane 4
    const padded = (size: number) => wasmModule({ call: [], data: [[0, new Uint8Array(size)]] });
    expect((await put(padded(13_000), 5 * CSPR)).error?.data).toBe(
      'the transaction was invalid: the transaction sent to the network had an excessive size',
    );
    expect((await put(padded(13_000), 5 * CSPR + 1)).result?.transaction_hash).toBeDefined();
    expect((await put(padded(180_000), 50 * CSPR)).error?.data).toBe(
      'the transaction was invalid: the transaction sent to the network had an excessive size',
    );
    expect((await put(padded(345_000), 500 * CSPR)).error?.data).toBe(
      'the transaction was invalid: the transaction sent to the network had an excessive size',
    );
    // an install or upgrade: lane 2, up to 1,000 CSPR
    const key = sdkKey(facilitator!.secretKey);
    const install = new sdk.SessionBuilder()
      .from(key.publicKey)
      .wasm(endlessLoop)
      .installOrUpgrade()
      .runtimeArgs(sdk.Args.fromMap({}))
      .chainName(devnet.chainName)
      .payment(1_000 * CSPR + 1, 1)
      .build();
    install.sign(key);
    expect(
      (await rpc(devnet.rpcUrl, 'account_put_transaction', putParams(install))).error?.data,
    ).toBe(
      'the transaction was invalid: Could not match any generic wasm lane to the specified transaction',
    );
    // the facilitator's default payments (10 CSPR ed25519, 30 CSPR secp256k1): lane 4
    const hashes: string[] = [];
    for (const payment of [10 * CSPR, 30 * CSPR, 3 * CSPR, 100 * CSPR]) {
      const answer = await put(
        wasmModule({ call: [...op.i32(payment % 1_000), ...op.drop] }),
        payment,
      );
      hashes.push((answer.result!.transaction_hash as { Version1: string }).Version1);
    }
    const mined = await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const block = (await rpcResult(devnet.rpcUrl, 'chain_get_block', {
      block_identifier: { Height: mined.block_height },
    })) as {
      block_with_signatures: {
        block: {
          Version2: { body: { transactions: Record<string, Array<{ Version1: string }>> } };
        };
      };
    };
    const lanes = block.block_with_signatures.block.Version2.body.transactions;
    const laneOfHash = (hash: string) =>
      Object.entries(lanes).find(([, txs]) => txs.some((tx) => tx.Version1 === hash))?.[0];
    expect(hashes.map(laneOfHash)).toEqual(['4', '4', '5', '3']);
  });

  it('a bulk-memory bomb (memory.fill of 4 MiB in a loop) is refused before it runs', async () => {
    const fill = [...op.i32(0), ...op.i32(0), ...op.i32(4 * 1024 * 1024), 0xfc, 0x0b, 0x00];
    const bomb = wasmModule({
      memory: { min: 64 },
      call: [...op.loop, ...fill, ...op.br(0), ...op.end],
    });
    const started = Date.now();
    const result = await executeFull(devnet, session(devnet, bomb, 50 * CSPR));
    expect(result.error_message).toBe(
      'Wasm preprocessing error: Deserialization error: Bulk memory operations are not supported',
    );
    expect(result.consumed).toBe('0');
    expect(Date.now() - started).toBeLessThan(2_000);
    await stillAlive();
  });

  it('a loop of casper_verify_signature stops at the wall-clock limit (2 s) as out of gas', async () => {
    const started = Date.now();
    // 50 CSPR of verifications at 1.3M gas each would take the host half a minute
    const result = await executeFull(devnet, session(devnet, verifyLoop(), 50 * CSPR));
    const elapsed = Date.now() - started;
    expect(result.error_message).toBe('Out of gas error');
    expect(result.consumed).toBe(String(50 * CSPR));
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(6_000);
    await stillAlive();
  });
});

describe('hostile transactions do not stop the devnet', () => {
  it('with blocks on a timer, two verify loops run in two blocks while info_get_status keeps answering', async () => {
    const timed = await startDevnet({ port: 0, blockTimeMs: 100 });
    try {
      const hashes = [];
      for (const payment of [50 * CSPR, 50 * CSPR + 1]) {
        const put = await rpcResult(
          timed.rpcUrl,
          'account_put_transaction',
          putParams(session(timed, verifyLoop(), payment)),
        );
        hashes.push(put.transaction_hash as { Version1: string });
      }
      let slowest = 0;
      const executed = new Map<string, { block_height: number; error: string | null }>();
      const started = Date.now();
      while (executed.size < 2 && Date.now() - started < 20_000) {
        const asked = Date.now();
        await rpcResult(timed.rpcUrl, 'info_get_status');
        slowest = Math.max(slowest, Date.now() - asked);
        for (const hash of hashes) {
          const info = await rpcResult(timed.rpcUrl, 'info_get_transaction', {
            transaction_hash: hash,
          });
          const execution = info.execution_info as {
            block_height: number;
            execution_result: { Version2: { error_message: string | null } };
          } | null;
          if (execution) {
            executed.set(hash.Version1, {
              block_height: execution.block_height,
              error: execution.execution_result.Version2.error_message,
            });
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const results = [...executed.values()];
      expect(results.map((r) => r.error)).toEqual(['Out of gas error', 'Out of gas error']);
      // the block budget (2 s) left the second one for the next block
      expect(results[0]!.block_height).not.toBe(results[1]!.block_height);
      expect(slowest).toBeLessThan(3_500);
      const height = async () =>
        (
          (await rpcResult(timed.rpcUrl, 'info_get_status')).last_added_block_info as {
            height: number;
          }
        ).height;
      const after = await height();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await height()).toBeGreaterThan(after);
    } finally {
      await timed.close();
    }
  });
});

describe('the transaction pool', () => {
  it('is bounded: past its limit a new transaction is refused until a block takes some; a resubmitted one is still accepted', () => {
    const chain = newChain();
    chain.maxPendingTransactions = 2;
    const tx = (n: number) =>
      putParams(session(devnet, wasmModule({ call: [...op.i32(n), ...op.drop] }), 3 * CSPR));
    const first = tx(1);
    chain.submit(first);
    chain.submit(tx(2));
    expect(() => chain.submit(tx(3))).toThrow(
      expect.objectContaining({
        code: -32016,
        data: "the transaction was invalid: the devnet's transaction pool is full (2 transactions waiting); send it again after the next block",
      }),
    );
    chain.submit(first);
    chain.mine();
    expect(chain.submit(tx(3))).toMatch(/^[0-9a-f]{64}$/);
  });
});
