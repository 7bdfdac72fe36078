// Facilitator test helpers that need the facilitator's own modules.
import { setTimeout as sleep } from 'node:timers/promises';
import type { PaymentPayload, SecretKey, SettleRequest } from '@x402-casper/shared';
import { type FaultyProxy, rawConfig, rpcResult } from '@x402-casper/testing';
import { expect } from 'vitest';
import { type Facilitator, startFacilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import type { Engine } from '../src/engine.js';
import type { Settlement } from '../src/ledger.js';
import type { ChainOf } from '../src/network.js';
import { buildSettlementTransaction, signingKeyOf } from '../src/transaction.js';

/**
 * Sends a payment's settlement transaction to the node without any facilitator, `gasPayer`
 * paying the gas; returns its hash once the node has taken it (no block is made).
 */
export async function sendDirectly(
  devnet: { rpcUrl: string; chainName: string },
  packageHash: string,
  paymentPayload: PaymentPayload,
  gasPayer: SecretKey,
): Promise<string> {
  const direct = buildSettlementTransaction({
    payload: paymentPayload.payload as never,
    packageHash,
    argLayout: 'amount-u64',
    chainName: devnet.chainName,
    paymentMotes: 3_000_000_000n,
    signingKey: signingKeyOf(gasPayer),
  });
  await rpcResult(devnet.rpcUrl, 'account_put_transaction', {
    transaction: { Version1: JSON.parse(direct.json) },
  });
  return direct.hash;
}

/**
 * Settles a payment on chain without any facilitator, `gasPayer` paying the gas, and mines
 * the block; returns the transaction hash. For "someone else spent the nonce" cases.
 */
export async function settleDirectly(
  devnet: { rpcUrl: string; chainName: string },
  packageHash: string,
  paymentPayload: PaymentPayload,
  gasPayer: SecretKey,
): Promise<string> {
  const hash = await sendDirectly(devnet, packageHash, paymentPayload, gasPayer);
  await rpcResult(devnet.rpcUrl, 'devnet_mine');
  return hash;
}

/**
 * A settlement whose transaction never reached the node: `request` settled through `engine`
 * (whose node is behind `proxy`) while the proxy drops every submission, and the engine stopped
 * while it waits to ask the node again. The caller was told the settlement is pending; the row
 * stays reserved, its transaction unsent. Answers the row.
 */
export async function reserveUnsent(
  engine: Engine,
  proxy: FaultyProxy,
  request: SettleRequest,
): Promise<Settlement> {
  proxy.faults.set('account_put_transaction', 'drop');
  const from = proxy.calls.length;
  const settling = engine.settle(request);
  while (!proxy.calls.slice(from).some((call) => call.method === 'account_put_transaction')) {
    await sleep(10);
  }
  const [row] = await engine.ledger.unfinished();
  await engine.close();
  proxy.faults.clear();
  expect((await settling).response).toMatchObject({
    success: false,
    errorReason: 'settlement_pending',
  });
  expect(row).toMatchObject({ state: 'reserved' });
  return row!;
}

/**
 * A facilitator for the devnet's first token that reads the chain at `rpcUrl` (the devnet
 * itself, or a proxy in front of it), its ledger in `database`.
 */
export function facilitatorOn(
  devnet: {
    network: string;
    tokens: { packageHash: string; domainName: string; decimals: number }[];
  },
  options: {
    rpcUrl: string;
    database: string;
    feePayer: SecretKey;
    apiKeys?: string[];
    extra?: Record<string, unknown>;
    /** Settings of the network, on top of the defaults (e.g. paymentMotes). */
    network?: Record<string, unknown>;
    now?: () => number;
    blockIntervalMs?: number;
    /** Each network's chain (by default a ChainClient on `rpcUrl`). */
    chainOf?: ChainOf;
  },
): Promise<Facilitator & { url: string }> {
  const token = devnet.tokens[0]!;
  const raw = rawConfig({
    database: options.database,
    network: devnet.network,
    rpcUrl: options.rpcUrl,
    feePayer: options.feePayer,
    assets: [
      {
        packageHash: token.packageHash,
        domainName: token.domainName,
        decimals: token.decimals,
      },
    ],
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
    ...(options.extra ? { extra: options.extra } : {}),
    ...(options.blockIntervalMs !== undefined ? { blockIntervalMs: options.blockIntervalMs } : {}),
  }) as { networks: Record<string, unknown>[] };
  Object.assign(raw.networks[0]!, options.network);
  return startFacilitator(parseConfig(raw), {
    ...(options.now ? { now: options.now } : {}),
    ...(options.chainOf ? { chainOf: options.chainOf } : {}),
  });
}
