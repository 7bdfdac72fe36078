// Reads and writes one Casper network through its JSON-RPC endpoint with shared's lean client
// (casper-js-sdk only builds and signs transactions). Reads are made against one block: the
// newest block's header (height, time, state root) is read once per block, and what can only
// change in a block (a package's current contract, the fee payer's CSPR) once per block too;
// settlement reads against a header read now.
import {
  balancesItemKey,
  CasperRpc,
  CasperRpcError,
  CasperRpcUnavailableError,
  decodeBool,
  decodeByteList,
  hexToBytes,
  ODRA_STATE_DICTIONARY,
  odraNonceItemKey,
  RPC_ERROR,
  usedNonceItemKey,
} from '@x402-casper/shared';
import { keepAlivePost } from './http-post.js';
import { ReadCache } from './read-cache.js';

export type ExecutionStatus =
  | { state: 'unknown' }
  | { state: 'pending' }
  | { state: 'executed'; blockHeight: number | null; errorMessage: string | null };

/** Decodes the bytes of a CLValue U256 (length byte, then little-endian). */
export function decodeU256(hex: string): bigint {
  const bytes = hexToBytes(hex, 'U256');
  const length = bytes[0];
  if (length === undefined || length > 32 || bytes.length !== length + 1) {
    throw new CasperRpcUnavailableError(`malformed U256 bytes ${hex}`);
  }
  let value = 0n;
  for (let i = length; i >= 1; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function stripPrefix(hash: string): string {
  const match = /([0-9a-f]{64})$/i.exec(hash);
  if (!match) throw new CasperRpcUnavailableError(`not a hash: ${hash}`);
  return match[1]!.toLowerCase();
}

interface ContractVersionJson {
  protocol_version_major: number;
  contract_version: number;
  contract_hash: string;
}

/** The enabled contract version with the highest (protocol major, version) of a package. */
export function currentContractHash(storedValue: unknown): string {
  const contractPackage = (storedValue as { ContractPackage?: unknown } | null)?.ContractPackage as
    | { versions?: ContractVersionJson[]; disabled_versions?: [number, number][] }
    | undefined;
  if (!contractPackage || !Array.isArray(contractPackage.versions)) {
    throw new CasperRpcUnavailableError('the asset is not a contract package on this network');
  }
  const disabled = new Set(
    (contractPackage.disabled_versions ?? []).map(([major, version]) => `${major}.${version}`),
  );
  const enabled = contractPackage.versions
    .filter((v) => !disabled.has(`${v.protocol_version_major}.${v.contract_version}`))
    .sort(
      (a, b) =>
        a.protocol_version_major - b.protocol_version_major ||
        a.contract_version - b.contract_version,
    );
  const latest = enabled.at(-1);
  if (!latest)
    throw new CasperRpcUnavailableError('the asset package has no enabled contract version');
  return stripPrefix(latest.contract_hash);
}

/** Reads against one block are kept this long at most (a block's state never changes). */
const BLOCK_MEMORY_MS = 60_000;

/** An entry point's argument: its name and CL type as node JSON (`"U256"`, `{"List":"U8"}`). */
export interface EntryPointArg {
  name: string;
  clType: unknown;
}

/** What the facilitator needs of a contract: its named keys and entry points' arguments. */
export interface ContractInfo {
  namedKeys: Set<string>;
  entryPoints: Map<string, EntryPointArg[]>;
}

/** Reads a `Contract` stored value (Casper 1.x contracts, also on 2.x nodes). */
export function parseContract(storedValue: unknown): ContractInfo {
  const contract = (storedValue as { Contract?: unknown } | null)?.Contract as
    | { named_keys?: unknown; entry_points?: unknown }
    | undefined;
  if (!contract || !Array.isArray(contract.entry_points) || !Array.isArray(contract.named_keys)) {
    throw new CasperRpcUnavailableError("the token package's current version is not a Contract");
  }
  const namedKeys = new Set<string>();
  for (const entry of contract.named_keys as Array<{ name?: unknown }>) {
    if (typeof entry?.name === 'string') namedKeys.add(entry.name);
  }
  const entryPoints = new Map<string, EntryPointArg[]>();
  for (const entry of contract.entry_points as Array<{
    name?: unknown;
    entry_point?: { args?: unknown };
  }>) {
    const args = entry?.entry_point?.args;
    if (typeof entry?.name !== 'string' || !Array.isArray(args)) continue;
    entryPoints.set(
      entry.name,
      (args as Array<{ name?: unknown; cl_type?: unknown }>)
        .filter((arg) => typeof arg?.name === 'string')
        .map((arg) => ({ name: arg.name as string, clType: arg.cl_type })),
    );
  }
  return { namedKeys, entryPoints };
}

/** The CEP-3009 dictionary of used nonces; tokens that keep them elsewhere cannot be read. */
export const USED_NONCES_DICTIONARY = 'used_nonces';

/** Casper mainnet and testnet make a block every 8 s. */
export const BLOCK_INTERVAL_MS = 8000;

/** However late the next block is, the newest block is read at most this often. */
const MIN_BLOCK_READ_MS = 1000;

/** The newest block as reads are made against it. */
export interface BlockView {
  height: number;
  timestampMs: number;
  stateRootHash: string;
}

/** `live`: against the newest block read now (settlement). `recent`: the block read last, while no newer one is due (/verify). */
export type Read = 'live' | 'recent';

export class ChainClient {
  private readonly rpc: CasperRpc;
  private readonly cache: ReadCache;
  private block: { reading: Promise<BlockView>; until: number } | undefined;
  private newest: BlockView | undefined;

  /**
   * `blockIntervalMs`: how often the network makes a block; the newest block is read again
   * once the next one is due (0: at every read, e.g. a devnet that mines on demand).
   */
  constructor(
    rpcUrl: string,
    timeoutMs: number,
    readonly blockIntervalMs = BLOCK_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.rpc = new CasperRpc(rpcUrl, { timeoutMs, post: keepAlivePost });
    this.cache = new ReadCache(now);
  }

  private async readBlock(): Promise<BlockView> {
    const status = await this.rpc.call('info_get_status');
    const info = status.last_added_block_info as
      | { height?: unknown; timestamp?: unknown; state_root_hash?: unknown }
      | null
      | undefined;
    const timestampMs = typeof info?.timestamp === 'string' ? Date.parse(info.timestamp) : NaN;
    if (
      typeof info?.height !== 'number' ||
      !Number.isFinite(timestampMs) ||
      typeof info.state_root_hash !== 'string'
    ) {
      throw new CasperRpcUnavailableError('info_get_status: the node has no block yet');
    }
    return { height: info.height, timestampMs, stateRootHash: info.state_root_hash };
  }

  /** The highest block any read so far has seen (no RPC call). */
  newestSeen(): BlockView | undefined {
    return this.newest;
  }

  /**
   * The newest block: read now (`live`), or the one read last while no newer block is due
   * (`recent`). A live read also serves later recent ones.
   */
  view(read: Read = 'recent'): Promise<BlockView> {
    const now = this.now();
    if (read === 'recent' && this.block && now < this.block.until) return this.block.reading;
    const reading = this.readBlock();
    const entry = { reading, until: Number.POSITIVE_INFINITY };
    this.block = entry;
    reading.then(
      (block) => {
        if (!this.newest || block.height > this.newest.height) this.newest = block;
        if (this.block !== entry) return;
        if (this.blockIntervalMs <= 0) {
          entry.until = 0;
          return;
        }
        const due = block.timestampMs + this.blockIntervalMs - this.now();
        entry.until = this.now() + Math.min(this.blockIntervalMs, Math.max(MIN_BLOCK_READ_MS, due));
      },
      () => {
        if (this.block === entry) this.block = undefined;
      },
    );
    return reading;
  }

  /** CSPR (motes) in the main purse of the account of `publicKeyHex` at `block`; 0 for no account. */
  accountBalance(publicKeyHex: string, block: BlockView): Promise<bigint> {
    return this.cache.read(`cspr|${publicKeyHex}|${block.stateRootHash}`, BLOCK_MEMORY_MS, () =>
      this.readAccountBalance(publicKeyHex, block),
    );
  }

  private async readAccountBalance(publicKeyHex: string, block: BlockView): Promise<bigint> {
    try {
      const result = await this.rpc.call('query_balance', {
        state_identifier: { StateRootHash: block.stateRootHash },
        purse_identifier: { main_purse_under_public_key: publicKeyHex },
      });
      const balance = result.balance;
      if (typeof balance !== 'string' || !/^\d+$/.test(balance)) {
        throw new CasperRpcUnavailableError('query_balance: no balance in the answer');
      }
      return BigInt(balance);
    } catch (error) {
      if (
        error instanceof CasperRpcError &&
        [RPC_ERROR.noSuchAccount, RPC_ERROR.noMainPurse, RPC_ERROR.purseNotFound].includes(
          error.code as never,
        )
      ) {
        return 0n;
      }
      throw error;
    }
  }

  /** The package's current contract hash at `block` (dictionaries live under the contract). */
  contractHashOf(packageHash: string, block: BlockView): Promise<string> {
    return this.cache.read(`contract|${packageHash}|${block.stateRootHash}`, BLOCK_MEMORY_MS, () =>
      this.readContractHash(packageHash, block),
    );
  }

  private async readContractHash(packageHash: string, block: BlockView): Promise<string> {
    const result = await this.rpc.call('query_global_state', {
      state_identifier: { StateRootHash: block.stateRootHash },
      key: `hash-${packageHash}`,
      path: [],
    });
    return currentContractHash(result.stored_value);
  }

  /**
   * A contract's named keys and entry points, as query_global_state shows a `Contract`. A
   * contract version never changes its entry points, so this is read once per contract hash.
   */
  contract(contractHash: string): Promise<ContractInfo> {
    return this.cache.read(`contract-info|${contractHash}`, Number.POSITIVE_INFINITY, async () => {
      const result = await this.rpc.call('query_global_state', {
        key: `hash-${contractHash}`,
        path: [],
      });
      return parseContract(result.stored_value);
    });
  }

  /** A dictionary item's CLValue bytes at `block`, or undefined when the item does not exist. */
  private async dictionaryItem(
    contractHash: string,
    dictionary: string,
    itemKey: string,
    block: BlockView,
  ): Promise<string | undefined> {
    try {
      const result = await this.rpc.call('state_get_dictionary_item', {
        state_root_hash: block.stateRootHash,
        dictionary_identifier: {
          ContractNamedKey: {
            key: `hash-${contractHash}`,
            dictionary_name: dictionary,
            dictionary_item_key: itemKey,
          },
        },
      });
      const bytes = (result.stored_value as { CLValue?: { bytes?: unknown } } | undefined)?.CLValue
        ?.bytes;
      if (typeof bytes !== 'string') {
        throw new CasperRpcUnavailableError(`${dictionary} item is not a CLValue`);
      }
      return bytes;
    } catch (error) {
      if (error instanceof CasperRpcError && error.code === RPC_ERROR.queryFailed) return undefined;
      throw error;
    }
  }

  /**
   * CEP-18 balance of `address` (66-hex) in the token's current contract `contractHash` (see
   * contractHashOf) at `block`; a missing item is 0. Kept for the block: balances change only
   * in blocks.
   */
  tokenBalance(contractHash: string, address: string, block: BlockView): Promise<bigint> {
    return this.cache.read(
      `token|${contractHash}|${address}|${block.stateRootHash}`,
      BLOCK_MEMORY_MS,
      async () => {
        const item = balancesItemKey(address);
        const bytes = await this.dictionaryItem(contractHash, 'balances', item, block);
        return bytes === undefined ? 0n : decodeU256(bytes);
      },
    );
  }

  /**
   * Whether the token's current contract `contractHash` marked (`address`, `nonce`) used, at
   * `block`: in the CEP's `used_nonces` dictionary (a bool), or in an Odra `Mapping` of its
   * `state` dictionary (the bool serialized into a `List<U8>`). A missing item is unused.
   */
  async nonceUsed(
    contractHash: string,
    store: { kind: 'used_nonces' } | { kind: 'odra-state'; field: number },
    address: string,
    nonce: string,
    block: BlockView,
  ): Promise<boolean> {
    if (store.kind === 'used_nonces') {
      const item = usedNonceItemKey(address, nonce);
      const bytes = await this.dictionaryItem(contractHash, USED_NONCES_DICTIONARY, item, block);
      return bytes !== undefined && decodeBool(bytes);
    }
    const item = odraNonceItemKey(store.field, address, nonce);
    const bytes = await this.dictionaryItem(contractHash, ODRA_STATE_DICTIONARY, item, block);
    return bytes !== undefined && decodeBool(decodeByteList(bytes));
  }

  /**
   * Sends a signed transaction (its JSON). Throws CasperRpcError when the node refuses it (it
   * will not run), CasperRpcUnavailableError when it is unknown whether the node got it.
   */
  async submit(transactionJson: string): Promise<void> {
    await this.rpc.call('account_put_transaction', {
      transaction: { Version1: JSON.parse(transactionJson) },
    });
  }

  /** Where a transaction stands: unknown to the node, waiting for a block, or executed. */
  async execution(transactionHash: string): Promise<ExecutionStatus> {
    try {
      const result = await this.rpc.call('info_get_transaction', {
        transaction_hash: { Version1: transactionHash },
      });
      const info = result.execution_info as
        | {
            block_height?: number;
            execution_result?: { Version2?: { error_message?: string | null } } | null;
          }
        | null
        | undefined;
      const outcome = info?.execution_result?.Version2;
      if (!info || !outcome) return { state: 'pending' };
      return {
        state: 'executed',
        blockHeight: typeof info.block_height === 'number' ? info.block_height : null,
        errorMessage: outcome.error_message ?? null,
      };
    } catch (error) {
      if (error instanceof CasperRpcError && error.code === RPC_ERROR.noSuchTransaction) {
        return { state: 'unknown' };
      }
      throw error;
    }
  }
}
