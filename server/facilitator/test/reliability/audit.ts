// The settlement audit: what the chain executed (every block, every transaction), what the
// facilitator's ledger says, and what /settle reported, compared authorization by
// authorization. The chain is the truth.
import { rpcResult } from '@x402-casper/testing';
import type { LedgerRow } from './stack.js';

export interface ChainSettlement {
  hash: string;
  payer: string;
  nonce: string;
  /** null when the transfer went through, else the revert (e.g. "User error: 37000"). */
  error: string | null;
}

interface NamedArg {
  bytes: string;
}

/** Every transfer_with_authorization the chain executed, in block order. */
export async function chainSettlements(rpcUrl: string): Promise<ChainSettlement[]> {
  const latest = (await rpcResult(rpcUrl, 'chain_get_block')) as {
    block_with_signatures: { block: { Version2: { header: { height: number } } } };
  };
  const height = latest.block_with_signatures.block.Version2.header.height;
  const found: ChainSettlement[] = [];
  for (let h = 0; h <= height; h++) {
    const block = (await rpcResult(rpcUrl, 'chain_get_block', {
      block_identifier: { Height: h },
    })) as {
      block_with_signatures: {
        block: { Version2: { body: { transactions: Record<string, { Version1: string }[]> } } };
      };
    };
    const lanes = block.block_with_signatures.block.Version2.body.transactions;
    for (const { Version1: hash } of Object.values(lanes).flat()) {
      const info = (await rpcResult(rpcUrl, 'info_get_transaction', {
        transaction_hash: { Version1: hash },
      })) as {
        transaction: {
          Version1: {
            payload: {
              fields: { args: { Named: [string, NamedArg][] }; entry_point?: { Custom?: string } };
            };
          };
        };
        execution_info: { execution_result: { Version2: { error_message: string | null } } };
      };
      const { fields } = info.transaction.Version1.payload;
      if (fields.entry_point?.Custom !== 'transfer_with_authorization') continue;
      const args = new Map(fields.args.Named);
      const from = args.get('from')?.bytes;
      const nonce = args.get('nonce')?.bytes;
      if (!from || !nonce) throw new Error(`transaction ${hash} lacks from/nonce`);
      found.push({
        hash,
        payer: from.toLowerCase(),
        // List<U8>: a u32 little-endian length (32), then the bytes.
        nonce: nonce.slice(8).toLowerCase(),
        error: info.execution_info.execution_result.Version2.error_message,
      });
    }
  }
  return found;
}

export interface Authorization {
  payer: string;
  nonce: string;
}

export interface AuditResult {
  /** Authorizations compared. */
  checked: number;
  /** Authorizations with more than one transaction executed on chain. */
  duplicates: number;
  /** Authorizations whose transfer went through more than once (money moved twice). */
  doubleSpends: number;
  /** Authorizations with no successful transfer on chain. */
  unsettled: number;
  /** Every disagreement between chain, ledger and reports, in words. */
  problems: string[];
}

const keyOf = (a: Authorization) => `${a.payer.toLowerCase()}:${a.nonce.toLowerCase()}`;

/**
 * Compares, for every authorization: the chain's executions, the ledger row, and the
 * successes /settle reported (transaction hashes). Rows must be final (no reserved/submitted).
 */
export function audit(
  authorizations: Authorization[],
  chain: ChainSettlement[],
  ledger: LedgerRow[],
  reportedSuccesses: Map<string, Set<string>>,
): AuditResult {
  const onChain = new Map<string, ChainSettlement[]>();
  for (const execution of chain) {
    const key = keyOf(execution);
    onChain.set(key, [...(onChain.get(key) ?? []), execution]);
  }
  const rows = new Map(ledger.map((row) => [keyOf(row), row]));
  const result: AuditResult = {
    checked: 0,
    duplicates: 0,
    doubleSpends: 0,
    unsettled: 0,
    problems: [],
  };
  for (const authorization of authorizations) {
    const key = keyOf(authorization);
    const executions = onChain.get(key) ?? [];
    const succeeded = executions.filter((e) => e.error === null);
    const row = rows.get(key);
    result.checked++;
    if (executions.length > 1) result.duplicates++;
    if (succeeded.length > 1) result.doubleSpends++;
    if (succeeded.length === 0) result.unsettled++;
    for (const hash of reportedSuccesses.get(key) ?? []) {
      if (!succeeded.some((e) => e.hash === hash)) {
        const seen = executions.map((e) => `${e.hash} ${e.error ?? 'ok'}`).join(', ') || 'nothing';
        result.problems.push(
          `${key}: /settle reported success with ${hash}, not a transfer on chain (chain has ${seen})`,
        );
      }
    }
    if (!row) {
      if (executions.length > 0) result.problems.push(`${key}: on chain but not in the ledger`);
      continue;
    }
    if (row.state === 'reserved' || row.state === 'submitted') {
      result.problems.push(`${key}: ledger row still ${row.state}`);
    } else if (row.state === 'confirmed') {
      if (!succeeded.some((e) => e.hash === row.transaction_hash)) {
        result.problems.push(
          `${key}: ledger confirmed ${row.transaction_hash}, which did not transfer on chain`,
        );
      }
    } else if (succeeded.length > 0) {
      result.problems.push(
        `${key}: ledger says failed (${row.error_reason}) but ${succeeded[0]!.hash} transferred on chain`,
      );
    }
  }
  return result;
}

export function successKey(payer: string, nonce: string): string {
  return keyOf({ payer, nonce });
}

/**
 * What a /settle answer says about its payment: `settled` (success), `settled-earlier` (the
 * facilitator answers success once per payment; later calls learn it was used, with the
 * transaction), `later` (pending, or a failure worth retrying), or `refused` (anything else).
 */
export function settleOutcome(
  body: Record<string, unknown> | undefined,
): 'settled' | 'settled-earlier' | 'later' | 'refused' {
  if (body?.success === true) return 'settled';
  if (
    body?.errorReason === 'invalid_exact_casper_nonce_used' &&
    typeof body.transaction === 'string' &&
    /^[0-9a-f]{64}$/.test(body.transaction)
  ) {
    return 'settled-earlier';
  }
  if (
    body?.errorReason === 'settlement_pending' ||
    body?.errorReason === 'unexpected_settle_error'
  ) {
    return 'later';
  }
  return 'refused';
}
