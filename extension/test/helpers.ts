import { readFileSync } from 'node:fs';
import {
  buildContractCall,
  bytesToHex,
  clArg,
  encodePaymentRequired,
  hexToBytes,
  type PaymentRequired,
  type PaymentRequirements,
} from '@x402-casper/shared';
import type { ApprovalWindows } from '../lib/approval-queue.js';
import type { RetryReport } from '../lib/outcome.js';
import type { PaidPageLoader } from '../lib/paid-load.js';
import type { PortLike } from '../lib/pay-port.js';
import type { PortReply } from '../lib/protocol.js';

interface VectorKey {
  algorithm: 'ed25519' | 'secp256k1';
  secretKeyHex: string;
  publicKey: string;
  accountHash: string;
  address: string;
  balancesItemKey: string;
  secretKeyPem: string;
}

export const vectors = JSON.parse(
  readFileSync(new URL('../../shared/test/fixtures/cep3009-exact.json', import.meta.url), 'utf8'),
) as { keys: VectorKey[]; paymentRequirements: PaymentRequirements };

export const PASSWORD = 'correct horse battery';
export const TOKEN = {
  packageHash: vectors.paymentRequirements.asset,
  name: 'Casper x402 Token',
  symbol: 'CX402',
  decimals: 6,
};

/** A 402 body as a resource server would send it, on testnet in the vectors' token. */
export function paymentRequired(
  accepts: Partial<PaymentRequirements>[] = [{}],
  resource = { url: 'https://news.example/api/weather?city=Oslo', description: 'Weather in Oslo' },
): PaymentRequired {
  return {
    x402Version: 2,
    resource,
    accepts: accepts.map((patch) => ({ ...vectors.paymentRequirements, ...patch })),
  };
}

export function header(accepts?: Partial<PaymentRequirements>[]): string {
  return encodePaymentRequired(paymentRequired(accepts));
}

/** Approval windows that only record what was opened and closed. */
export class FakeWindows implements ApprovalWindows {
  opened: string[] = [];
  closed: number[] = [];
  private next = 100;
  async open(approvalId: string) {
    this.opened.push(approvalId);
    return this.next++;
  }
  async close(windowId: number) {
    this.closed.push(windowId);
  }
}

/** Paid page loads as a test drives them: which were asked for, and the answer to give. */
export class FakePages implements PaidPageLoader {
  granted = new Set<string>();
  loads: { tabId: number; url: string; signature: string }[] = [];
  answer: RetryReport | null = { status: 200 };
  async canLoad(origin: string) {
    return this.granted.has(origin);
  }
  async load(tabId: number, url: string, signature: string) {
    this.loads.push({ tabId, url, signature });
    return this.answer;
  }
}

/** A runtime.Port stand-in: records what the background posts, lets the test post back. */
export function fakePort(sender: PortLike['sender'], name = 'x402-pay') {
  const received: PortReply[] = [];
  const onMessage: ((message: unknown) => void)[] = [];
  const onDisconnect: (() => void)[] = [];
  let connected = true;
  const port: PortLike = {
    name,
    sender,
    postMessage: (message) => {
      if (!connected) throw new Error('posted to a closed port');
      received.push(message);
    },
    disconnect: () => {
      connected = false;
    },
    onMessage: { addListener: (listener) => onMessage.push(listener) },
    onDisconnect: { addListener: (listener) => onDisconnect.push(listener) },
  };
  return {
    port,
    received,
    isConnected: () => connected,
    /** The content script sends a message. */
    send: (message: unknown) => {
      for (const listener of onMessage) listener(message);
    },
    /** The tab goes away. */
    close: () => {
      connected = false;
      for (const listener of onDisconnect) listener();
    },
  };
}

export function tabSender(tabId: number, origin: string, frameId = 0) {
  return {
    id: 'test-extension-id',
    tab: { id: tabId, url: `${origin}/page` },
    frameId,
    origin,
    url: `${origin}/page`,
  };
}

/**
 * A Casper node as the wallet reads it: one token package whose contract keeps a
 * `used_nonces` dictionary (or not), balances, a block time, and transactions. `down`
 * makes every call fail as an unreachable node would.
 */
export class FakeChain {
  down = false;
  /** used_nonces item keys marked used. */
  used = new Set<string>();
  /** Every nonce reads as used (a site that collects everything at once). */
  collectEverything = false;
  usedNoncesKey = true;
  entryPoints = ['transfer_with_authorization', 'transfer', 'balance_of'];
  blockTimeMs: number;
  balances = new Map<string, bigint>();
  transactions = new Map<string, { error: string | null } | 'pending'>();
  /** What info_get_transaction returns as `transaction` for a hash (the node's JSON). */
  bodies = new Map<string, unknown>();
  /** Legacy Deploys by hash: info_get_transaction's whole result for `{Deploy: hash}`. */
  deploys = new Map<string, unknown>();
  /** info_get_transaction calls answered with an outage after this many (a node failing mid-way). */
  transactionReadsLeft = Number.POSITIVE_INFINITY;
  calls: string[] = [];
  readonly contract = 'cd'.repeat(32);
  namedKeys: Record<string, string> = {};
  /** Keeps used nonces in Odra's `state` dictionary (Cep18X402) instead of `used_nonces`. */
  odraState = false;
  /** CSPR (motes) by public key, for query_balance. */
  cspr = new Map<string, bigint>();
  /** Transactions sent with account_put_transaction (their Version1 JSON). */
  sent: Record<string, unknown>[] = [];
  /** What a sent transaction does: an error message to revert with, or null; a refusal to throw. */
  onPut: (tx: Record<string, unknown>) => string | null | { refuse: string } = () => null;
  /** How a put goes wrong on the way: the node keeps it but the answer is lost, or it is lost. */
  putFault: 'none' | 'answer-lost' | 'lost' = 'none';
  /** CLValues under URef named keys (e.g. a token's name, symbol, decimals). */
  urefValues: Record<string, { cl_type: string; bytes: string }> = {};

  constructor(now: number) {
    this.blockTimeMs = now;
  }

  readonly fetch: typeof fetch = async (_input, init) => {
    const { method, params } = JSON.parse(String(init?.body)) as {
      method: string;
      params: Record<string, unknown>;
    };
    this.calls.push(method);
    if (this.down) throw new TypeError('fetch failed');
    const ok = (result: unknown) => Response.json({ jsonrpc: '2.0', id: 1, result });
    const fail = (code: number, message: string) =>
      Response.json({ jsonrpc: '2.0', id: 1, error: { code, message } });
    switch (method) {
      case 'info_get_status':
        return ok({
          last_added_block_info: {
            height: 1,
            timestamp: new Date(this.blockTimeMs).toISOString(),
            state_root_hash: '08'.repeat(32),
          },
        });
      case 'query_global_state': {
        const uref = this.urefValues[String(params.key)];
        if (uref) return ok({ stored_value: { CLValue: uref } });
        if (params.key === `hash-${this.contract}`) {
          return ok({
            stored_value: {
              Contract: {
                named_keys: [
                  ...Object.entries(this.namedKeys).map(([name, key]) => ({ name, key })),
                  { name: 'balances', key: `uref-${'01'.repeat(32)}-007` },
                  ...(this.usedNoncesKey && !this.odraState
                    ? [{ name: 'used_nonces', key: `uref-${'02'.repeat(32)}-007` }]
                    : []),
                  ...(this.odraState
                    ? [{ name: 'state', key: `uref-${'03'.repeat(32)}-007` }]
                    : []),
                ],
                entry_points: this.entryPoints.map((name) => ({ name, entry_point: { name } })),
              },
            },
          });
        }
        return ok({
          stored_value: {
            ContractPackage: {
              versions: [
                {
                  protocol_version_major: 2,
                  contract_version: 1,
                  contract_hash: `contract-${this.contract}`,
                },
              ],
              disabled_versions: [],
            },
          },
        });
      }
      case 'state_get_dictionary_item': {
        const id = (params.dictionary_identifier as { ContractNamedKey: Record<string, string> })
          .ContractNamedKey;
        if (id.dictionary_name === 'state' && this.odraState) {
          if (!this.used.has(id.dictionary_item_key!)) return fail(-32003, 'Query failed');
          return ok({
            stored_value: { CLValue: { cl_type: { List: 'U8' }, bytes: '0100000001' } },
          });
        }
        if (id.dictionary_name === 'used_nonces') {
          if (!this.collectEverything && !this.used.has(id.dictionary_item_key!)) {
            return fail(-32003, 'Query failed');
          }
          return ok({ stored_value: { CLValue: { cl_type: 'Bool', bytes: '01', parsed: true } } });
        }
        const owner = [...this.balances.keys()].find(
          (address) => Buffer.from(address, 'hex').toString('base64') === id.dictionary_item_key,
        );
        if (owner === undefined) return fail(-32003, 'Query failed');
        const value = this.balances.get(owner)!;
        const bytes: number[] = [];
        for (let v = value; v > 0n; v >>= 8n) bytes.push(Number(v & 0xffn));
        const hex = [bytes.length, ...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
        return ok({ stored_value: { CLValue: { cl_type: 'U256', bytes: hex } } });
      }
      case 'query_balance': {
        const key = (params.purse_identifier as Record<string, string>)
          .main_purse_under_public_key!;
        const motes = this.cspr.get(key);
        if (motes === undefined) return fail(-32026, 'Purse not found');
        return ok({ balance: motes.toString() });
      }
      case 'account_put_transaction': {
        const tx = (params.transaction as { Version1: Record<string, unknown> }).Version1;
        if (this.putFault === 'lost') return new Response('bad gateway', { status: 502 });
        const outcome = this.onPut(tx);
        if (outcome !== null && typeof outcome === 'object') {
          return Response.json({
            jsonrpc: '2.0',
            id: 1,
            error: { code: -32016, message: 'Invalid transaction', data: outcome.refuse },
          });
        }
        this.sent.push(tx);
        this.transactions.set(String(tx.hash), { error: outcome });
        if (this.putFault === 'answer-lost') return new Response('bad gateway', { status: 502 });
        return ok({ transaction_hash: { Version1: tx.hash } });
      }
      case 'info_get_transaction': {
        if (this.transactionReadsLeft-- <= 0) return new Response('bad gateway', { status: 502 });
        const asked = params.transaction_hash as { Version1?: string; Deploy?: string };
        if (asked.Deploy !== undefined) {
          const deploy = this.deploys.get(asked.Deploy);
          return deploy ? ok(deploy) : fail(-32014, 'No such transaction');
        }
        const hash = asked.Version1!;
        const tx = this.transactions.get(hash);
        if (!tx) return fail(-32014, 'No such transaction');
        return ok({
          ...(this.bodies.has(hash) ? { transaction: this.bodies.get(hash) } : {}),
          execution_info:
            tx === 'pending'
              ? null
              : { execution_result: { Version2: { error_message: tx.error } } },
        });
      }
      default:
        return fail(-32601, 'Method not found');
    }
  };
}

/**
 * The node's JSON of a TransactionV1 calling `transfer_with_authorization` as a facilitator
 * builds it (shared's builder), with `patch` over the authorization's arguments.
 */
export function transferTransaction(
  transfer: { asset: string; from: string; to: string; amount: string; nonce: string },
  patch: { entryPoint?: string; asset?: string; amount?: string; nonce?: string; to?: string } = {},
): { hash: string; json: unknown } {
  const call = buildContractCall({
    chainName: 'casper-test',
    initiator: vectors.keys[1]!.publicKey,
    packageHash: patch.asset ?? transfer.asset,
    entryPoint: patch.entryPoint ?? 'transfer_with_authorization',
    args: [
      ['from', clArg.key(transfer.from)],
      ['to', clArg.key(patch.to ?? transfer.to)],
      ['amount', clArg.u256(BigInt(patch.amount ?? transfer.amount))],
      ['valid_after', clArg.u64(0n)],
      ['valid_before', clArg.u64(2_000_000_000n)],
      ['nonce', clArg.bytes(hexToBytes(patch.nonce ?? transfer.nonce))],
      ['public_key', clArg.publicKey(vectors.keys[0]!.publicKey)],
      ['signature', clArg.bytes(new Uint8Array(65))],
    ],
    timestampMs: 1_763_900_000_000,
    ttlMs: 1_800_000,
    paymentMotes: 10_000_000_000n,
  });
  const hash = bytesToHex(call.hash);
  return { hash, json: { Version1: { hash, payload: call.payloadJson, approvals: [] } } };
}
