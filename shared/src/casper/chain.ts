// Reading a Casper network: what the facilitator and the wallet ask a node, over shared's lean
// JSON-RPC client, in one place. Every read names the state root it is made against (the
// caller decides which block it trusts and how long it keeps a read); answers are decoded
// strictly, and a node answering something unusable is a CasperRpcUnavailableError. Stored
// values are read as casper-node 2.x writes them (`Contract`, `ContractPackage`, and 2.x's
// `Package` of addressable entities), from `../shared/reference/casper-rpc-schema.json`.
import {
  balancesItemKey,
  ODRA_STATE_DICTIONARY,
  odraNonceItemKey,
  usedNonceItemKey,
} from './address.js';
import { decodeBool, decodeByteList, decodeString, decodeU8, decodeUnsigned } from './clvalue.js';
import { type CasperRpc, CasperRpcError, CasperRpcUnavailableError, RPC_ERROR } from './rpc.js';
import type { TransactionV1Json } from './transaction.js';

/** The newest block, as reads are made against it. */
export interface BlockView {
  height: number;
  timestampMs: number;
  stateRootHash: string;
}

/**
 * The newest block with the TransactionV1 hashes it holds (lower-case hex), or undefined where
 * that cannot be told: a 1.x block (it holds only deploys), or a list in a form not known here.
 */
export interface ListedBlock extends BlockView {
  transactions: ReadonlySet<string> | undefined;
}

/** Where a transaction stands: unknown to the node, waiting for a block, or executed. */
export type ExecutionStatus =
  | { state: 'unknown' }
  | { state: 'pending' }
  | { state: 'executed'; blockHeight: number | null; errorMessage: string | null };

/** An entry point's argument: its name and CL type as node JSON (`"U256"`, `{"List":"U8"}`). */
export interface EntryPointArg {
  name: string;
  clType: unknown;
}

/** A contract as the chain stores it: its named keys (name → formatted key) and entry points. */
export interface ContractInfo {
  hash: string;
  namedKeys: Map<string, string>;
  entryPoints: Map<string, EntryPointArg[]>;
}

/**
 * Where a token keeps used nonces: the CEP's `used_nonces` dictionary (a bool per item key),
 * an Odra `Mapping` in its `state` dictionary (field `field`), or nowhere readable.
 */
export type NonceStore =
  | { kind: 'used_nonces' }
  | { kind: 'odra-state'; field: number }
  | { kind: 'unreadable' };

/** The CEP-3009 dictionary of used nonces. */
export const USED_NONCES_DICTIONARY = 'used_nonces';

/**
 * A token the chain holds in a form this reader does not read, so it cannot be settled (not
 * a node failing): the message says what was found, `hash` the current version found.
 */
export class UnsupportedTokenError extends Error {
  override readonly name = 'UnsupportedTokenError';
  constructor(
    message: string,
    readonly hash: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const malformed = (what: string) =>
  new CasperRpcUnavailableError(`the node's ${what} is malformed`);

/** The 64 hex digits at the end of a formatted hash (`contract-…`, `entity-contract-…`). */
function hashOf(formatted: unknown): string {
  const match = typeof formatted === 'string' ? /([0-9a-f]{64})$/i.exec(formatted) : null;
  if (!match) throw malformed(`hash ${String(formatted)}`);
  return match[1]!.toLowerCase();
}

interface Version {
  major: number;
  version: number;
  hash: unknown;
}

function newestEnabled(versions: Version[], disabled: Set<string>): string | undefined {
  const enabled = versions
    .filter((v) => !disabled.has(`${v.major}.${v.version}`))
    .sort((a, b) => a.major - b.major || a.version - b.version);
  const newest = enabled.at(-1);
  return newest && hashOf(newest.hash);
}

/**
 * The newest enabled version of a package (highest protocol major, then version), from a
 * `ContractPackage` (Casper 1.x, and 2.x without addressable entities). A 2.x `Package` is of
 * addressable entities, whose entry points and named keys live apart from the entity and are
 * not read here: it is an UnsupportedTokenError naming its current entity.
 */
export function currentContractHash(storedValue: unknown): string {
  const stored = object(storedValue);
  const legacy = object(stored?.ContractPackage);
  const entity = object(stored?.Package);
  let newest: string | undefined;
  let isEntity = false;
  if (legacy && Array.isArray(legacy.versions)) {
    newest = newestEnabled(
      legacy.versions.map((v) => ({
        major: Number(object(v)?.protocol_version_major),
        version: Number(object(v)?.contract_version),
        hash: object(v)?.contract_hash,
      })),
      new Set(array(legacy.disabled_versions).map((v) => `${array(v)[0]}.${array(v)[1]}`)),
    );
  } else if (entity && Array.isArray(entity.versions)) {
    isEntity = true;
    newest = newestEnabled(
      entity.versions.map((v) => {
        const key = object(object(v)?.entity_version_key);
        return {
          major: Number(key?.protocol_version_major),
          version: Number(key?.entity_version),
          hash: object(v)?.addressable_entity_hash,
        };
      }),
      new Set(
        array(entity.disabled_versions).map(
          (v) => `${object(v)?.protocol_version_major}.${object(v)?.entity_version}`,
        ),
      ),
    );
  } else {
    throw new CasperRpcUnavailableError('the asset is not a contract package on this network');
  }
  if (!newest) throw new CasperRpcUnavailableError('the package has no enabled contract version');
  if (isEntity) {
    throw new UnsupportedTokenError(
      `its package is a Casper 2.x Package whose current version is the AddressableEntity ${newest}; only Contract versions of a ContractPackage are read`,
      newest,
    );
  }
  return newest;
}

/** A `Contract` stored value (`query_global_state` on `hash-<contract>`). */
export function parseContract(hash: string, storedValue: unknown): ContractInfo {
  const contract = object(object(storedValue)?.Contract);
  if (!contract || !Array.isArray(contract.entry_points) || !Array.isArray(contract.named_keys)) {
    throw new CasperRpcUnavailableError("the token package's current version is not a Contract");
  }
  const namedKeys = new Map<string, string>();
  for (const entry of contract.named_keys) {
    const { name, key } = object(entry) ?? {};
    if (typeof name === 'string' && typeof key === 'string') namedKeys.set(name, key);
  }
  const entryPoints = new Map<string, EntryPointArg[]>();
  for (const entry of contract.entry_points) {
    const point = object(entry);
    const name = point?.name ?? object(point?.entry_point)?.name;
    const args = object(point?.entry_point)?.args ?? point?.args;
    if (typeof name !== 'string') continue;
    entryPoints.set(
      name,
      array(args)
        .map(object)
        .filter((arg): arg is Json => typeof arg?.name === 'string')
        .map((arg) => ({ name: arg.name as string, clType: arg.cl_type })),
    );
  }
  return { hash, namedKeys, entryPoints };
}

/** Where a contract keeps used nonces, from its named keys (Cep18X402: field `odraField`). */
export function nonceStoreOf(contract: ContractInfo, odraField: number): NonceStore {
  if (contract.namedKeys.has(USED_NONCES_DICTIONARY)) return { kind: 'used_nonces' };
  if (contract.namedKeys.has(ODRA_STATE_DICTIONARY))
    return { kind: 'odra-state', field: odraField };
  return { kind: 'unreadable' };
}

/** A block's height, time and state root from a node's block header or block info. */
function blockViewOf(fields: Json | undefined): BlockView | undefined {
  const timestampMs =
    typeof fields?.timestamp === 'string' ? Date.parse(fields.timestamp) : Number.NaN;
  if (
    typeof fields?.height !== 'number' ||
    !Number.isFinite(timestampMs) ||
    typeof fields.state_root_hash !== 'string'
  ) {
    return undefined;
  }
  return { height: fields.height, timestampMs, stateRootHash: fields.state_root_hash };
}

const NO_ACCOUNT: number[] = [
  RPC_ERROR.noSuchAccount,
  RPC_ERROR.noMainPurse,
  RPC_ERROR.purseNotFound,
];

/** The reads (and the one write, sending a transaction) both the facilitator and the wallet make. */
export class CasperChain {
  constructor(readonly rpc: CasperRpc) {}

  /** The newest block the node has added (`info_get_status`). */
  async newestBlock(): Promise<BlockView> {
    const status = await this.rpc.call('info_get_status');
    const view = blockViewOf(object(status.last_added_block_info));
    if (!view) throw new CasperRpcUnavailableError('info_get_status: the node has no block yet');
    return view;
  }

  /**
   * The newest block the node has completed, with the transactions in it (`chain_get_block`
   * with no identifier; a 2.x block lists them by lane in `body.transactions`).
   */
  async newestBlockListed(): Promise<ListedBlock> {
    const result = await this.rpc.call('chain_get_block');
    const versions = object(object(result.block_with_signatures)?.block);
    const block = object(versions?.Version2) ?? object(versions?.Version1);
    const view = blockViewOf(object(block?.header));
    if (!view) throw malformed('chain_get_block answer');
    const lanes = object(object(block?.body)?.transactions);
    if (!versions?.Version2 || !lanes) return { ...view, transactions: undefined };
    const transactions = new Set<string>();
    for (const lane of Object.values(lanes)) {
      if (!Array.isArray(lane)) return { ...view, transactions: undefined };
      for (const entry of lane) {
        const { Version1, Deploy } = object(entry) ?? {};
        if (typeof Version1 === 'string') transactions.add(Version1.toLowerCase());
        else if (typeof Deploy !== 'string') return { ...view, transactions: undefined };
      }
    }
    return { ...view, transactions };
  }

  /** CSPR (motes) in the main purse of the account of `publicKeyHex`; 0 for no account. */
  async accountBalance(publicKeyHex: string, stateRootHash: string): Promise<bigint> {
    try {
      const result = await this.rpc.call('query_balance', {
        state_identifier: { StateRootHash: stateRootHash },
        purse_identifier: { main_purse_under_public_key: publicKeyHex },
      });
      if (typeof result.balance !== 'string' || !/^\d+$/.test(result.balance)) {
        throw malformed('query_balance answer');
      }
      return BigInt(result.balance);
    } catch (error) {
      if (error instanceof CasperRpcError && NO_ACCOUNT.includes(error.code)) return 0n;
      throw error;
    }
  }

  /** The stored value under `key` (a formatted key: `hash-…`, `uref-…`). */
  async storedValue(key: string, stateRootHash: string): Promise<unknown> {
    const result = await this.rpc.call('query_global_state', {
      state_identifier: { StateRootHash: stateRootHash },
      key,
      path: [],
    });
    return result.stored_value;
  }

  /** The package's current contract hash (dictionaries live under the contract). */
  async contractHash(packageHash: string, stateRootHash: string): Promise<string> {
    return currentContractHash(await this.storedValue(`hash-${packageHash}`, stateRootHash));
  }

  /** A contract's named keys and entry points (a contract version never changes them). */
  async contract(contractHash: string, stateRootHash: string): Promise<ContractInfo> {
    return parseContract(
      contractHash,
      await this.storedValue(`hash-${contractHash}`, stateRootHash),
    );
  }

  /** A dictionary item's CLValue bytes, or undefined when the item does not exist. */
  async dictionaryItem(
    contractHash: string,
    dictionary: string,
    itemKey: string,
    stateRootHash: string,
  ): Promise<string | undefined> {
    try {
      const result = await this.rpc.call('state_get_dictionary_item', {
        state_root_hash: stateRootHash,
        dictionary_identifier: {
          ContractNamedKey: {
            key: `hash-${contractHash}`,
            dictionary_name: dictionary,
            dictionary_item_key: itemKey,
          },
        },
      });
      const bytes = object(object(result.stored_value)?.CLValue)?.bytes;
      if (typeof bytes !== 'string') throw malformed(`${dictionary} item`);
      return bytes;
    } catch (error) {
      if (error instanceof CasperRpcError && error.code === RPC_ERROR.queryFailed) return undefined;
      throw error;
    }
  }

  /** CEP-18 balance of `address` (66 hex) in the contract `contractHash`; a missing item is 0. */
  async tokenBalance(
    contractHash: string,
    address: string,
    stateRootHash: string,
  ): Promise<bigint> {
    const bytes = await this.dictionaryItem(
      contractHash,
      'balances',
      balancesItemKey(address),
      stateRootHash,
    );
    return bytes === undefined ? 0n : decodeUnsigned(bytes, 256);
  }

  /**
   * Whether the contract marked (`address`, `nonce`) used: in the CEP's `used_nonces`
   * dictionary (a bool), or in an Odra `Mapping` of its `state` dictionary (the bool serialized
   * into a `List<U8>`). A missing item is unused.
   */
  async nonceUsed(
    contractHash: string,
    store: Exclude<NonceStore, { kind: 'unreadable' }>,
    address: string,
    nonce: string,
    stateRootHash: string,
  ): Promise<boolean> {
    if (store.kind === 'used_nonces') {
      const item = usedNonceItemKey(address, nonce);
      const bytes = await this.dictionaryItem(
        contractHash,
        USED_NONCES_DICTIONARY,
        item,
        stateRootHash,
      );
      return bytes !== undefined && decodeBool(bytes);
    }
    const item = odraNonceItemKey(store.field, address, nonce);
    const bytes = await this.dictionaryItem(
      contractHash,
      ODRA_STATE_DICTIONARY,
      item,
      stateRootHash,
    );
    return bytes !== undefined && decodeBool(decodeByteList(bytes));
  }

  /** A CEP-18 token's name, symbol and decimals, from its contract's named keys (URefs). */
  async tokenMetadata(
    contract: ContractInfo,
    stateRootHash: string,
  ): Promise<{ name: string; symbol: string; decimals: number }> {
    const bytesOf = async (name: string) => {
      const key = contract.namedKeys.get(name);
      if (!key) throw new CasperRpcUnavailableError(`the token has no ${name} named key`);
      const bytes = object(object(await this.storedValue(key, stateRootHash))?.CLValue)?.bytes;
      if (typeof bytes !== 'string') throw malformed(`token ${name}`);
      return bytes;
    };
    const [name, symbol, decimals] = await Promise.all(['name', 'symbol', 'decimals'].map(bytesOf));
    return {
      name: decodeString(name!),
      symbol: decodeString(symbol!),
      decimals: decodeU8(decimals!),
    };
  }

  /**
   * Sends a signed TransactionV1; answers its hash. A CasperRpcError when the node refuses it
   * (it will not run), a CasperRpcUnavailableError when it is unknown whether the node got it.
   */
  async submit(transaction: TransactionV1Json): Promise<string> {
    const result = await this.rpc.call('account_put_transaction', {
      transaction: { Version1: transaction },
    });
    const hash = object(result.transaction_hash)?.Version1;
    if (typeof hash !== 'string') throw malformed('account_put_transaction answer');
    return hash;
  }

  /** Where a transaction stands. */
  async execution(transactionHash: string): Promise<ExecutionStatus> {
    let result: Json;
    try {
      result = await this.rpc.call('info_get_transaction', {
        transaction_hash: { Version1: transactionHash },
      });
    } catch (error) {
      if (error instanceof CasperRpcError && error.code === RPC_ERROR.noSuchTransaction) {
        return { state: 'unknown' };
      }
      throw error;
    }
    const info = object(result.execution_info);
    const outcome = object(object(info?.execution_result)?.Version2);
    if (!info || !outcome) return { state: 'pending' };
    // null or absent: it ran without error; a string: it failed (even an empty one).
    const errorMessage = outcome.error_message ?? null;
    if (errorMessage !== null && typeof errorMessage !== 'string') {
      throw malformed('execution result');
    }
    // A success only from a whole result: every 2.x node writes the effects (the schema requires
    // them), and a result without them (a proxy's or a node version's mangling) tells nothing ran.
    if (errorMessage === null && !Array.isArray(outcome.effects)) {
      throw malformed('execution result (no effects)');
    }
    return {
      state: 'executed',
      blockHeight: typeof info.block_height === 'number' ? info.block_height : null,
      errorMessage,
    };
  }
}
