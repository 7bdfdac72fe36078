// The node's RPC failing mid-settle, through a real HTTP proxy in front of the devnet that
// drops connections or answers errors for chosen methods.
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
  tokenBalance,
  whileMining,
} from '@x402-casper/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Facilitator } from '../src/app.js';
import { facilitatorOn } from './helpers.js';

const dir = tempDir('rpc-failure');
const accounts = defaultDevAccounts();
const feePayer = accounts[0]!;
const merchantAddress = addressOfPublicKey(accounts[1]!.publicKey);
const alice = accounts[2]!;
let devnet: Devnet;
let proxy: FaultyProxy;
let facilitator: Facilitator & { url: string };

const settle = (body: unknown) => postJson(`${facilitator.url}/settle`, body);
const merchantBalance = () =>
  tokenBalance(
    { rpcUrl: devnet.rpcUrl },
    { contractHash: devnet.tokens[0]!.contractHash },
    merchantAddress,
  );
const payment = () =>
  paymentFor(
    alice.secretKey,
    requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, '250'),
  );

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  proxy = new FaultyProxy(devnet.rpcUrl);
  await proxy.start();
  facilitator = await facilitatorOn(devnet, {
    rpcUrl: proxy.url,
    database: join(dir, 'ledger.sqlite'),
    feePayer: feePayer.secretKey,
    extra: { pollIntervalMs: 25, settleTimeoutMs: 20_000, rpcTimeoutMs: 2000 },
  });
});

beforeEach(() => {
  proxy.faults.clear();
  proxy.seen.length = 0;
  proxy.calls.length = 0;
});

afterAll(async () => {
  await facilitator?.close();
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RPC failing mid-settle', () => {
  /** Resolves once the proxy has seen a call of `method`. */
  const seen = async (method: string) => {
    while (!proxy.seen.includes(method)) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  /** Whether the node (the devnet itself, not through the proxy) has the transaction. */
  const nodeHas = async (hash: string) => {
    const reply = await fetch(devnet.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'info_get_transaction',
        params: { transaction_hash: { Version1: hash } },
      }),
    });
    return ((await reply.json()) as { error?: { code: number } }).error?.code !== -32014;
  };
  const sentTransactions = () =>
    proxy.calls.filter((call) => call.method === 'account_put_transaction');

  it('keeps the caller waiting when the node cannot be reached at submission, and sends the same transaction again at the next block', async () => {
    const request = await payment();
    const before = await merchantBalance();
    proxy.faults.set('account_put_transaction', 'drop');
    const settling = settle(request);
    await seen('account_put_transaction');
    const [row] = await facilitator.ledger.unfinished();
    expect(row).toMatchObject({ state: 'reserved', payer: addressOfPublicKey(alice.publicKey) });
    expect(await nodeHas(row!.transactionHash)).toBe(false);

    proxy.faults.clear();
    const settled = await whileMining(devnet.rpcUrl, settling);
    expect(settled.body).toMatchObject({ success: true, transaction: row!.transactionHash });
    expect(await merchantBalance()).toBe(before + 250n);
    // Sent twice: first as just built, then read back from the ledger; the same bytes both times.
    expect(sentTransactions().map((call) => call.params)).toEqual([
      { transaction: { Version1: JSON.parse(row!.transaction) } },
      { transaction: { Version1: JSON.parse(row!.transaction) } },
    ]);
  });

  it('does not send again, nor pay twice, when the node took the transaction but its answer was lost', async () => {
    const request = await payment();
    const before = await merchantBalance();
    proxy.faults.set('account_put_transaction', 'forward-then-drop');
    const settling = settle(request);
    await seen('account_put_transaction');
    const [row] = await facilitator.ledger.unfinished();
    expect(row!.state).toBe('reserved');
    expect(await nodeHas(row!.transactionHash)).toBe(true);

    proxy.faults.clear();
    const settled = await whileMining(devnet.rpcUrl, settling);
    expect(settled.body).toMatchObject({ success: true, transaction: row!.transactionHash });
    expect(sentTransactions()).toHaveLength(1);
    expect(proxy.seen).toContain('info_get_transaction');
    expect(await merchantBalance()).toBe(before + 250n);
  });

  it('answers settlement_pending, not a failure, while the node stays unreachable past the settle time limit; a later settle finishes it', async () => {
    const impatient = await facilitatorOn(devnet, {
      rpcUrl: proxy.url,
      database: join(dir, 'impatient.sqlite'),
      feePayer: feePayer.secretKey,
      extra: { pollIntervalMs: 25, settleTimeoutMs: 1000, rpcTimeoutMs: 500 },
    });
    try {
      const request = await payment();
      const before = await merchantBalance();
      proxy.faults.set('account_put_transaction', 'drop');
      const pending = await postJson(`${impatient.url}/settle`, request);
      const [row] = await impatient.ledger.unfinished();
      expect(pending.body).toMatchObject({
        success: false,
        errorReason: 'settlement_pending',
        transaction: row!.transactionHash,
      });
      expect(await nodeHas(row!.transactionHash)).toBe(false);
      expect(await merchantBalance()).toBe(before);

      proxy.faults.clear();
      const settled = await whileMining(
        devnet.rpcUrl,
        postJson(`${impatient.url}/settle`, request),
      );
      expect(settled.body).toMatchObject({ success: true, transaction: row!.transactionHash });
      expect(await merchantBalance()).toBe(before + 250n);
    } finally {
      await impatient.close();
    }
  });

  it('keeps following a submitted transaction while the node cannot be read', async () => {
    const request = await payment();
    const before = await merchantBalance();
    proxy.faults.set('info_get_transaction', 'drop');
    const settling = settle(request);
    while (!proxy.seen.includes('info_get_transaction')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [row] = await facilitator.ledger.unfinished();
    expect(row!.state).toBe('submitted');
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    proxy.faults.clear();
    expect((await settling).body).toMatchObject({
      success: true,
      transaction: row!.transactionHash,
    });
    expect(await merchantBalance()).toBe(before + 250n);
  });

  it('reports a node refusing the transaction, and settles on a later try', async () => {
    const request = await payment();
    const before = await merchantBalance();
    proxy.faults.set('account_put_transaction', 'refuse');
    const refused = await settle(request);
    expect(refused.body).toEqual({
      success: false,
      errorReason: 'unexpected_settle_error',
      errorMessage: expect.stringContaining('the node refused the transaction'),
      payer: addressOfPublicKey(alice.publicKey),
      transaction: '',
      network: devnet.network,
    });
    expect(await facilitator.ledger.unfinished()).toEqual([]);

    proxy.faults.clear();
    const settled = await whileMining(devnet.rpcUrl, settle(request));
    expect(settled.body).toMatchObject({ success: true });
    expect(await merchantBalance()).toBe(before + 250n);
  });

  it('follows a transaction the node got although a refusal came back, instead of building another', async () => {
    const request = await payment();
    const before = await merchantBalance();
    proxy.faults.set('account_put_transaction', 'forward-then-refuse');
    const refused = await settle(request);
    expect(refused.body).toMatchObject({
      success: false,
      errorReason: 'unexpected_settle_error',
      errorMessage: expect.stringContaining('the node refused the transaction'),
    });
    proxy.faults.clear();
    // Kept as a retryable failure, not pending.
    expect(await facilitator.ledger.unfinished()).toEqual([]);
    const settled = await whileMining(devnet.rpcUrl, settle(request));
    expect(settled.body).toMatchObject({ success: true });
    // One transfer, by the first transaction: nothing was built or sent again.
    expect(proxy.seen.filter((method) => method === 'account_put_transaction')).toHaveLength(1);
    expect(await merchantBalance()).toBe(before + 250n);
  });

  it('builds no second transaction after a refusal while it cannot tell whether the node has the first', async () => {
    const request = await payment();
    const before = await merchantBalance();
    proxy.faults.set('account_put_transaction', 'forward-then-refuse');
    expect((await settle(request)).body).toMatchObject({ success: false });
    proxy.faults.clear();
    proxy.faults.set('info_get_transaction', 'drop');
    const unsure = await settle(request);
    expect(unsure.body).toMatchObject({
      success: false,
      errorReason: 'unexpected_settle_error',
      errorMessage: expect.stringContaining('cannot tell whether the node has'),
    });
    expect(sentTransactions()).toHaveLength(1);

    proxy.faults.clear();
    const settled = await whileMining(devnet.rpcUrl, settle(request));
    expect(settled.body).toMatchObject({ success: true });
    expect(sentTransactions()).toHaveLength(1);
    expect(await merchantBalance()).toBe(before + 250n);
  });
});
