// Settlements whose transaction never reached the node, as time runs out: on a real devnet
// behind a fault proxy, with the facilitator's clock moved forward by the test (the chain's
// clock stays real, so nothing is ever sent with a timestamp from the future).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import {
  FaultyProxy,
  paymentFor,
  rawConfig,
  requirementsFor,
  rpc,
  tempDir,
  tokenBalance,
  whileMining,
} from '@x402-casper/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { Engine, partsOf } from '../src/engine.js';
import type { Settlement } from '../src/ledger.js';
import { EXPIRY_GRACE_MS } from '../src/settle.js';
import { reserveUnsent, settleDirectly } from './helpers.js';

const MARGIN_SECONDS = 30;
const dir = tempDir('expiry');
const [feePayer, merchant, alice, bob] = defaultDevAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
const aliceAddress = addressOfPublicKey(alice.publicKey);
const silent = { info: () => {}, warn: () => {}, error: () => {} };
let devnet: Devnet;
let proxy: FaultyProxy;
let database = 0;
const engines: Engine[] = [];

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  proxy = new FaultyProxy(devnet.rpcUrl);
  await proxy.start();
});

afterEach(async () => {
  proxy.faults.clear();
  for (const engine of engines.splice(0)) await engine.close();
});

afterAll(async () => {
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A facilitator engine on `file` through the proxy whose clock runs `offsetMs` ahead of the
 * wall clock. Several engines on one file, one after another, are restarts.
 */
function engineOn(file: string, offsetMs = 0): Engine {
  const token = devnet.tokens[0]!;
  const config = parseConfig(
    rawConfig({
      database: file,
      network: devnet.network,
      rpcUrl: proxy.url,
      feePayer: feePayer.secretKey,
      assets: [
        { packageHash: token.packageHash, domainName: token.domainName, decimals: token.decimals },
      ],
      extra: {
        pollIntervalMs: 25,
        settleTimeoutMs: 20_000,
        settlementMarginSeconds: MARGIN_SECONDS,
      },
    }),
  );
  const engine = new Engine(config, partsOf(config, silent, { now: () => Date.now() + offsetMs }));
  engines.push(engine);
  return engine;
}

/** Starts an engine (it reconciles what the file left unfinished) and stops it once done. */
async function restart(file: string, offsetMs: number): Promise<void> {
  const engine = engineOn(file, offsetMs);
  await engine.start();
  await engine.close();
}

const payment = (maxTimeoutSeconds: number) =>
  paymentFor(alice.secretKey, {
    ...requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, '90'),
    maxTimeoutSeconds,
  });

type Request = Awaited<ReturnType<typeof payment>>;

/** Settles through an engine whose node drops every submission: the row stays reserved. */
function reserveUnsentOn(file: string, request: Request): Promise<Settlement> {
  return reserveUnsent(engineOn(file), proxy, request);
}

/** The row of `request` as a fresh engine on `file` reads it. */
function rowOf(file: string, request: Request): Promise<Settlement | undefined> {
  const engine = engineOn(file);
  const { nonce } = (request.paymentPayload.payload as { authorization: { nonce: string } })
    .authorization;
  return engine.ledger.get({
    network: devnet.network,
    asset: devnet.tokens[0]!.packageHash,
    payer: aliceAddress,
    nonce,
  });
}

async function nodeKnows(hash: string): Promise<boolean> {
  const reply = await rpc(devnet.rpcUrl, 'info_get_transaction', {
    transaction_hash: { Version1: hash },
  });
  if (reply.error?.code === -32014) return false;
  if (reply.result) return true;
  throw new Error(JSON.stringify(reply.error));
}

const validBeforeMs = (request: Request) =>
  Number(
    (request.paymentPayload.payload as { authorization: { validBefore: string } }).authorization
      .validBefore,
  ) * 1000;
const merchantBalance = () =>
  tokenBalance(
    { rpcUrl: devnet.rpcUrl },
    { contractHash: devnet.tokens[0]!.contractHash },
    merchantAddress,
  );

describe('a settlement whose transaction never reached the node', () => {
  it('is not sent again once the authorization is within the settlement margin, and ends as payload_expired', async () => {
    const file = join(dir, `ledger-${++database}.sqlite`);
    const request = await payment(300);
    const before = await merchantBalance();
    const row = await reserveUnsentOn(file, request);
    expect(row.expiresAt).toBe(validBeforeMs(request));

    // The resource server settles again inside the margin: nothing is sent, it is pending.
    const late = engineOn(file, validBeforeMs(request) - MARGIN_SECONDS * 1000 - Date.now());
    proxy.seen.length = 0;
    const pending = await late.settle(request);
    expect(pending.response).toMatchObject({
      success: false,
      errorReason: 'settlement_pending',
      transaction: row.transactionHash,
    });
    expect(proxy.seen).not.toContain('account_put_transaction');
    expect((await late.ledger.byId(row.id)).state).toBe('reserved');
    await late.close();

    // Once the transaction can no longer run, the contract's nonce decides: unused, so the
    // authorization simply expired.
    const after = engineOn(file, validBeforeMs(request) + EXPIRY_GRACE_MS + 1000 - Date.now());
    proxy.seen.length = 0;
    const expired = await after.settle(request);
    expect(expired.response).toEqual({
      success: false,
      errorReason: 'invalid_exact_casper_payload_expired',
      errorMessage: 'the authorization expired before its transaction was executed',
      payer: aliceAddress,
      transaction: '',
      network: devnet.network,
    });
    expect(proxy.seen).toContain('state_get_dictionary_item');
    expect(proxy.seen).not.toContain('account_put_transaction');
    expect(await after.ledger.byId(row.id)).toMatchObject({ state: 'failed', retryable: false });
    expect((await after.settle(request)).response).toEqual(expired.response);
    expect(await nodeKnows(row.transactionHash)).toBe(false);
    expect(await merchantBalance()).toBe(before);
  });

  it('is left reserved by a restart before its transaction expires, and released only after, then settles once', async () => {
    const file = join(dir, `ledger-${++database}.sqlite`);
    // An hour-long authorization: the transaction's TTL (30 min) ends well before it.
    const request = await payment(3600);
    const before = await merchantBalance();
    const row = await reserveUnsentOn(file, request);
    expect(row.expiresAt).toBeLessThan(validBeforeMs(request) - MARGIN_SECONDS * 1000);

    // The node says it never saw the transaction, but it has not expired: kept, not sent.
    await restart(file, 0);
    expect(await rowOf(file, request)).toMatchObject({
      state: 'reserved',
      transactionHash: row.transactionHash,
    });
    await restart(file, row.expiresAt - Date.now());
    expect(await rowOf(file, request)).toMatchObject({ state: 'reserved' });
    expect(await nodeKnows(row.transactionHash)).toBe(false);

    // Past its TTL and the grace, with the nonce unused on chain: released for a retry.
    proxy.seen.length = 0;
    await restart(file, row.expiresAt + EXPIRY_GRACE_MS + 1000 - Date.now());
    expect(proxy.seen).toContain('state_get_dictionary_item');
    expect(await rowOf(file, request)).toMatchObject({
      state: 'failed',
      retryable: true,
      errorReason: 'unexpected_settle_error',
    });

    // The resource server settles again: a new transaction, executed once.
    const engine = engineOn(file);
    const settled = await whileMining(devnet.rpcUrl, engine.settle(request));
    expect(settled.response).toMatchObject({ success: true, payer: aliceAddress });
    expect(settled.response.transaction).not.toBe(row.transactionHash);
    expect(await merchantBalance()).toBe(before + 90n);
  });

  it('ends as nonce_used, never retried, when the chain spent the nonce by another transaction', async () => {
    const file = join(dir, `ledger-${++database}.sqlite`);
    const request = await payment(300);
    const row = await reserveUnsentOn(file, request);

    // Someone else (bob pays the gas) settles the same authorization directly.
    await settleDirectly(
      devnet,
      devnet.tokens[0]!.packageHash,
      request.paymentPayload,
      bob.secretKey,
    );

    await restart(file, 0);
    expect(await rowOf(file, request)).toMatchObject({ state: 'reserved' });
    await restart(file, row.expiresAt + EXPIRY_GRACE_MS + 1000 - Date.now());
    expect(await rowOf(file, request)).toMatchObject({
      state: 'failed',
      retryable: false,
      errorReason: 'invalid_exact_casper_nonce_used',
    });
    const engine = engineOn(file);
    expect((await engine.settle(request)).response).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_nonce_used',
      transaction: '',
    });
    expect(await nodeKnows(row.transactionHash)).toBe(false);
  });

  it('is concluded, not left open, when its token turned into a package the facilitator cannot read', async () => {
    const file = join(dir, `ledger-${++database}.sqlite`);
    const request = await payment(3600);
    const row = await reserveUnsentOn(file, request);

    // Upgraded meanwhile into a 2.x Package of addressable entities: its nonces cannot be read.
    // The transaction was never seen executed and the contract refuses a used nonce, so the
    // row is released for a retry (as for any token whose nonces cannot be read), and that
    // retry is refused before any gas is spent.
    const packageKey = `hash-${devnet.tokens[0]!.packageHash}`;
    proxy.rewrites.set('query_global_state', (answer, params) => {
      if ((params as { key?: string }).key !== packageKey) return answer;
      const entity = `addressable-entity-${'e7'.repeat(32)}`;
      const versions = [
        {
          entity_version_key: { protocol_version_major: 2, entity_version: 1 },
          addressable_entity_hash: entity,
        },
      ];
      const stored_value = { Package: { versions, disabled_versions: [], groups: [] } };
      return { ...answer, result: { ...(answer.result as object), stored_value } };
    });
    try {
      await restart(file, row.expiresAt + EXPIRY_GRACE_MS + 1000 - Date.now());
      expect(await rowOf(file, request)).toMatchObject({
        state: 'failed',
        retryable: true,
        errorReason: 'unexpected_settle_error',
      });
      proxy.seen.length = 0;
      const engine = engineOn(file);
      expect((await engine.settle(request)).response).toMatchObject({
        success: false,
        errorReason: 'invalid_exact_casper_unsupported_token',
      });
      expect(proxy.seen).not.toContain('account_put_transaction');
    } finally {
      proxy.rewrites.clear();
    }
  });
});
