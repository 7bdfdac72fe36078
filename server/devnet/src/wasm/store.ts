// Global state for Wasm contracts: stored values by formatted key, as a node's global state
// holds them (execution_engine tracking copy; types/src/stored_value.rs, contracts.rs,
// contract_wasm.rs, feat-2.0): URef cells and dictionary items hold CLValues, `hash-…` keys
// hold contract packages, contracts and contract Wasm, `balance-…` keys hold purse balances.
// Executions write into an overlay that reaches the world state only on success.
import type { AccountState, WorldState } from '../state.js';
import type { EntryPointJson, StoredCLValue } from './bytesrepr.js';

export interface PackageEntry {
  /** Formatted URef of the access key. */
  accessKey: string;
  versions: Array<{ major: number; version: number; contract: string }>;
  /** [major, version] pairs of disabled versions. */
  disabled: Array<[number, number]>;
  /** Group label → formatted URefs. */
  groups: Record<string, string[]>;
  locked: boolean;
}

export interface ContractEntry {
  package: string;
  wasm: string;
  /** Name → formatted key. */
  namedKeys: Record<string, string>;
  entryPoints: EntryPointJson[];
  messageTopics: string[];
}

export type StoredEntry =
  | { CLValue: StoredCLValue }
  | { Dictionary: { seed: string; item: string; value: StoredCLValue } }
  | { ContractPackage: PackageEntry }
  | { Contract: ContractEntry }
  /** The module bytes live in the chain's blob store under this hash (not in the state). */
  | { ContractWasm: { blob: string } };

export interface WasmState {
  /** By formatted key without access rights: `uref-<hex>`, `hash-<hex>`, `dictionary-<hex>`, `balance-<hex>`. */
  values: Record<string, StoredEntry>;
}

/** `uref-<hex>-007` → `uref-<hex>`; other keys unchanged. */
export function storeKey(formatted: string): string {
  return formatted.startsWith('uref-') ? formatted.slice(0, 69) : formatted;
}

export function wasmValue(state: WorldState, key: string): StoredEntry | undefined {
  return state.wasm?.values[storeKey(key)];
}

/** Reads fall through to the world state; writes stay here until `commit`. */
export class Overlay {
  private readonly values = new Map<string, StoredEntry | null>();
  private readonly accounts = new Map<string, AccountState>();

  constructor(readonly base: WorldState) {}

  get(key: string): StoredEntry | undefined {
    const k = storeKey(key);
    if (this.values.has(k)) return this.values.get(k) ?? undefined;
    return this.base.wasm?.values[k];
  }

  put(key: string, entry: StoredEntry): void {
    this.values.set(storeKey(key), entry);
  }

  /** The account, copied on first use so changes stay in the overlay. */
  account(accountHash: string): AccountState | undefined {
    const cached = this.accounts.get(accountHash);
    if (cached) return cached;
    const base = this.base.accounts[accountHash];
    if (!base) return undefined;
    const copy = structuredClone(base);
    this.accounts.set(accountHash, copy);
    return copy;
  }

  putAccount(account: AccountState): void {
    this.accounts.set(account.accountHash, account);
  }

  /** Written keys, in order of first write. */
  writtenKeys(): string[] {
    return [...this.values.keys()];
  }

  commit(state: WorldState): void {
    if (this.values.size > 0) {
      state.wasm ??= { values: {} };
      for (const [key, entry] of this.values) {
        if (entry === null) delete state.wasm.values[key];
        else state.wasm.values[key] = entry;
      }
    }
    for (const [hash, account] of this.accounts) state.accounts[hash] = account;
  }
}
