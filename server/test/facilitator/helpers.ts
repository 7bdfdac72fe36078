import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  balancesItemKey,
  createPaymentPayload,
  type PaymentPayload,
  type PaymentRequirements,
  type SecretKey,
  secretKeySigner,
  secretKeyToPem,
} from '@x402-casper/shared';
import { type Facilitator, startFacilitator } from '../../src/facilitator/app.js';
import { parseConfig } from '../../src/facilitator/config.js';
import { buildSettlementTransaction, signingKeyOf } from '../../src/facilitator/transaction.js';

/** A temp directory for one test file's databases and keys. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `facilitator-${prefix}-`));
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export interface RawAsset {
  packageHash: string;
  /** The signing-domain name (`name` is its older spelling, still accepted). */
  domainName: string;
  version?: string;
  decimals: number;
  symbol?: string;
  argLayout?: string;
}

/** A raw facilitator config (what a JSON file would hold) for one network. */
export function rawConfig(options: {
  database: string;
  network: string;
  rpcUrl: string;
  feePayer: SecretKey;
  assets: RawAsset[];
  apiKeys?: string[];
  extra?: Record<string, unknown>;
  /** The devnet's block time; 0 (the default) for devnets that mine on demand. */
  blockIntervalMs?: number;
}): Record<string, unknown> {
  return {
    host: '127.0.0.1',
    port: 0,
    apiKeys: options.apiKeys ?? [],
    database: options.database,
    logLevel: 'silent',
    networks: [
      {
        network: options.network,
        rpcUrl: options.rpcUrl,
        secretKeyPem: secretKeyToPem(options.feePayer),
        blockIntervalMs: options.blockIntervalMs ?? 0,
        assets: options.assets,
      },
    ],
    ...options.extra,
  };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

export interface RpcReply {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/** One raw JSON-RPC call, as any client would make it. */
export async function rpc(url: string, method: string, params: unknown = {}): Promise<RpcReply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await response.json()) as RpcReply;
}

export async function rpcResult(url: string, method: string, params: unknown = {}) {
  const reply = await rpc(url, method, params);
  if (!reply.result) throw new Error(`${method} failed: ${JSON.stringify(reply.error)}`);
  return reply.result;
}

/** A CEP-18 balance read straight from the `balances` dictionary (missing = 0). */
export async function readTokenBalance(
  rpcUrl: string,
  contractHash: string,
  address: string,
): Promise<bigint> {
  const root = (await rpcResult(rpcUrl, 'chain_get_state_root_hash')).state_root_hash;
  const reply = await rpc(rpcUrl, 'state_get_dictionary_item', {
    state_root_hash: root,
    dictionary_identifier: {
      ContractNamedKey: {
        key: `hash-${contractHash}`,
        dictionary_name: 'balances',
        dictionary_item_key: balancesItemKey(address),
      },
    },
  });
  if (reply.error?.code === -32003) return 0n;
  const parsed = (reply.result?.stored_value as { CLValue?: { parsed?: unknown } } | undefined)
    ?.CLValue?.parsed;
  if (typeof parsed !== 'string') throw new Error(`no balance: ${JSON.stringify(reply)}`);
  return BigInt(parsed);
}

/** The execution result of a transaction, or null while it has none. */
export async function executionOf(
  rpcUrl: string,
  hash: string,
): Promise<{ error_message: string | null; block_height: number } | null> {
  const info = await rpcResult(rpcUrl, 'info_get_transaction', {
    transaction_hash: { Version1: hash },
  });
  const execution = info.execution_info as {
    block_height: number;
    execution_result: { Version2: { error_message: string | null } };
  } | null;
  return execution
    ? {
        error_message: execution.execution_result.Version2.error_message,
        block_height: execution.block_height,
      }
    : null;
}

/** Mines a block every `everyMs` until `work` ends, so a settle waiting for a block gets one. */
export async function whileMining<T>(rpcUrl: string, work: Promise<T>, everyMs = 50): Promise<T> {
  let done = false;
  const finished = work.finally(() => {
    done = true;
  });
  const miner = (async () => {
    while (!done) {
      await rpcResult(rpcUrl, 'devnet_mine');
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  const [result] = await Promise.all([finished, miner]);
  return result;
}

/** Requirements for paying `amount` of a devnet token to `payTo`. */
export function requirementsFor(
  network: string,
  token: { domainName: string; symbol: string; decimals: number; packageHash: string },
  payTo: string,
  amount: string,
): PaymentRequirements {
  return {
    scheme: 'exact',
    network,
    amount,
    asset: token.packageHash,
    payTo,
    maxTimeoutSeconds: 300,
    extra: {
      name: token.domainName,
      version: '1',
      decimals: token.decimals,
      symbol: token.symbol,
    },
  };
}

export async function paymentFor(
  payer: SecretKey,
  requirements: PaymentRequirements,
  options: { now?: number; nonce?: string } = {},
): Promise<{
  x402Version: number;
  paymentPayload: PaymentPayload;
  paymentRequirements: PaymentRequirements;
}> {
  const paymentPayload = await createPaymentPayload(requirements, secretKeySigner(payer), options);
  return { x402Version: 2, paymentPayload, paymentRequirements: requirements };
}

/** How the proxy treats one JSON-RPC method. */
export type Fault =
  | 'drop' // close the connection without an answer: the node never saw the call
  | 'forward-then-drop' // the node handles the call, the answer is lost
  | 'forward-then-refuse' // the node handles the call, a gateway answers an error anyway
  | 'refuse'; // answer the node's "invalid transaction" error

/**
 * A real HTTP proxy in front of a node's JSON-RPC endpoint that records every method called
 * and drops, refuses or rewrites chosen ones.
 */
export class FaultyProxy {
  readonly faults = new Map<string, Fault>();
  /** Changes the node's answer to a method (its parsed JSON-RPC response) before it is sent. */
  readonly rewrites = new Map<string, (answer: Record<string, unknown>) => unknown>();
  readonly seen: string[] = [];
  /** Every call with its params. */
  readonly calls: Array<{ method: string; params: unknown }> = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', async () => {
        const { method, params } = JSON.parse(body) as { method: string; params?: unknown };
        this.seen.push(method);
        this.calls.push({ method, params });
        const fault = this.faults.get(method);
        if (fault === 'drop') return req.socket.destroy();
        if (fault === 'refuse' || fault === 'forward-then-refuse') {
          if (fault === 'forward-then-refuse') {
            await fetch(this.target, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            });
          }
          res.setHeader('content-type', 'application/json');
          return res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: 1,
              error: {
                code: -32016,
                message: 'Invalid transaction',
                data: 'the transaction was invalid: test refusal',
              },
            }),
          );
        }
        const answer = await fetch(this.target, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const text = await answer.text();
        if (fault === 'forward-then-drop') return req.socket.destroy();
        res.setHeader('content-type', 'application/json');
        const rewrite = this.rewrites.get(method);
        res.end(rewrite ? JSON.stringify(rewrite(JSON.parse(text))) : text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/rpc`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
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
  await rpcResult(devnet.rpcUrl, 'devnet_mine');
  return direct.hash;
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
    now?: () => number;
    blockIntervalMs?: number;
  },
): Promise<Facilitator & { url: string }> {
  const token = devnet.tokens[0]!;
  return startFacilitator(
    parseConfig(
      rawConfig({
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
        ...(options.blockIntervalMs !== undefined
          ? { blockIntervalMs: options.blockIntervalMs }
          : {}),
      }),
    ),
    options.now ? { now: options.now } : {},
  );
}
