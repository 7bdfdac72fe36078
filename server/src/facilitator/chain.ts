// Reads and writes one Casper network through its JSON-RPC endpoint, with casper-js-sdk's
// RpcClient (routing around its known bugs: FACTS §4) and a time limit on every call.
import { balancesItemKey, hexToBytes, usedNonceItemKey } from '@x402-casper/shared';
import { type SdkRpcClient, type SdkTransaction, sdk } from './casper-sdk.js';
import { ReadCache } from './read-cache.js';

const {
  HttpError,
  HttpHandler,
  ParamDictionaryIdentifier,
  ParamDictionaryIdentifierContractNamedKey,
  PublicKey,
  PurseIdentifier,
  RpcClient,
} = sdk;

/** JSON-RPC error codes of a Casper node (sidecar) this client reacts to. */
export const RPC_CODE = {
  queryFailed: -32003,
  noSuchAccount: -32009,
  noMainPurse: -32013,
  noSuchTransaction: -32014,
  invalidTransaction: -32016,
  purseNotFound: -32026,
} as const;

/** The node answered with a JSON-RPC error. */
export class ChainRpcError extends Error {
  override readonly name = 'ChainRpcError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The node could not be reached, timed out, or answered something that is not JSON-RPC. */
export class ChainUnavailableError extends Error {
  override readonly name = 'ChainUnavailableError';
}

export type ExecutionStatus =
  | { state: 'unknown' }
  | { state: 'pending' }
  | { state: 'executed'; blockHeight: number | null; errorMessage: string | null };

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns whatever the SDK threw into one of the two error types above. */
function classify(error: unknown, method: string): Error {
  if (error instanceof ChainRpcError || error instanceof ChainUnavailableError) return error;
  if (HttpError.isHttpError(error) && error.statusCode < 0) {
    return new ChainRpcError(error.statusCode, `${method}: ${error.sourceErr?.message ?? ''}`);
  }
  return new ChainUnavailableError(`${method}: ${describe(error)}`);
}

/** Decodes the bytes of a CLValue U256 (length byte, then little-endian). */
export function decodeU256(hex: string): bigint {
  const bytes = hexToBytes(hex, 'U256');
  const length = bytes[0];
  if (length === undefined || length > 32 || bytes.length !== length + 1) {
    throw new ChainUnavailableError(`malformed U256 bytes ${hex}`);
  }
  let value = 0n;
  for (let i = length; i >= 1; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function stripPrefix(hash: string): string {
  const match = /([0-9a-f]{64})$/i.exec(hash);
  if (!match) throw new ChainUnavailableError(`not a hash: ${hash}`);
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
    throw new ChainUnavailableError('the asset is not a contract package on this network');
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
  if (!latest) throw new ChainUnavailableError('the asset package has no enabled contract version');
  return stripPrefix(latest.contract_hash);
}

/** How long (ms) each kind of read is served again without asking the node; 0: never. */
export interface ChainCacheTtls {
  /** A package's current contract hash (changes only on an upgrade). */
  contractHashMs: number;
  /** The state root hash dictionary reads are made against (changes every block). */
  stateRootMs: number;
  /** The fee payer's CSPR, and token balances for `recent` reads (/verify; settlement reads them live). */
  balanceMs: number;
  /** Nonce states, for `recent` reads only (/verify); settlement reads them live. */
  nonceMs: number;
}

export const NO_CHAIN_CACHE: ChainCacheTtls = {
  contractHashMs: 0,
  stateRootMs: 0,
  balanceMs: 0,
  nonceMs: 0,
};

/** The CEP-3009 dictionary of used nonces; tokens that keep them elsewhere cannot be read. */
export const USED_NONCES_DICTIONARY = 'used_nonces';

/** Casper mainnet and testnet make a block every 8 s. */
export const BLOCK_INTERVAL_MS = 8000;

/** However late the next block is, the clock is read at most this often. */
const MIN_CLOCK_READ_MS = 1000;

export interface LatestBlock {
  height: number;
  timestampMs: number;
}

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
    throw new ChainUnavailableError("the token package's current version is not a Contract");
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

/** `live`: read now, against a state root read now. `recent`: within the read's cache time. */
export type NonceRead = 'live' | 'recent';

export class ChainClient {
  private readonly rpc: SdkRpcClient;
  private readonly cache: ReadCache;
  private block: { reading: Promise<LatestBlock>; until: number } | undefined;

  constructor(
    rpcUrl: string,
    private readonly timeoutMs: number,
    private readonly ttls: ChainCacheTtls = NO_CHAIN_CACHE,
    private readonly now: () => number = Date.now,
    private readonly blockIntervalMs = BLOCK_INTERVAL_MS,
  ) {
    this.rpc = new RpcClient(new HttpHandler(rpcUrl, 'fetch'));
    this.cache = new ReadCache(now);
  }

  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ChainUnavailableError(`${method}: no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      throw classify(error, method);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The newest block the node has: its height and timestamp (ms). */
  async latestBlock(): Promise<LatestBlock> {
    const status = await this.call('info_get_status', () => this.rpc.getStatus());
    const info = (
      status.rawJSON as { last_added_block_info?: { height?: unknown; timestamp?: unknown } }
    )?.last_added_block_info;
    const timestampMs = typeof info?.timestamp === 'string' ? Date.parse(info.timestamp) : NaN;
    if (typeof info?.height !== 'number' || !Number.isFinite(timestampMs)) {
      throw new ChainUnavailableError('info_get_status: the node has no block yet');
    }
    return { height: info.height, timestampMs };
  }

  /** Height of the newest block the node has. */
  async latestBlockHeight(): Promise<number> {
    return (await this.latestBlock()).height;
  }

  /**
   * Chain time in Unix seconds: the timestamp of the newest block, read at most once per
   * block (again only once the next block is due, `blockIntervalMs` after the last one).
   */
  async blockTime(): Promise<number> {
    const now = this.now();
    if (!this.block || now >= this.block.until) {
      const reading = this.latestBlock();
      this.block = { reading, until: Number.POSITIVE_INFINITY };
      reading.then(
        (block) => {
          if (this.block?.reading !== reading) return;
          const due = block.timestampMs + this.blockIntervalMs - this.now();
          this.block.until =
            this.now() + Math.min(this.blockIntervalMs, Math.max(MIN_CLOCK_READ_MS, due));
        },
        () => {
          if (this.block?.reading === reading) this.block = undefined;
        },
      );
    }
    return Math.floor((await this.block.reading).timestampMs / 1000);
  }

  /**
   * A contract's named keys and entry points, as query_global_state shows a `Contract`. A
   * contract version never changes its entry points, so this is read once per contract hash.
   */
  contract(contractHash: string): Promise<ContractInfo> {
    return this.cache.read(`contract-info|${contractHash}`, Number.POSITIVE_INFINITY, () =>
      this.readContract(contractHash),
    );
  }

  private async readContract(contractHash: string): Promise<ContractInfo> {
    const result = await this.call('query_global_state', () =>
      this.rpc.queryLatestGlobalState(`hash-${contractHash}`, []),
    );
    return parseContract((result.rawJSON as { stored_value?: unknown })?.stored_value);
  }

  /** CSPR (motes) in the main purse of the account of `publicKeyHex`; 0 for no account. */
  accountBalance(publicKeyHex: string): Promise<bigint> {
    return this.cache.read(`cspr|${publicKeyHex}`, this.ttls.balanceMs, () =>
      this.readAccountBalance(publicKeyHex),
    );
  }

  private async readAccountBalance(publicKeyHex: string): Promise<bigint> {
    try {
      const result = await this.call('query_balance', () =>
        this.rpc.queryLatestBalance(PurseIdentifier.fromPublicKey(PublicKey.fromHex(publicKeyHex))),
      );
      const balance = (result.rawJSON as { balance?: unknown } | undefined)?.balance;
      if (typeof balance !== 'string' || !/^\d+$/.test(balance)) {
        throw new ChainUnavailableError('query_balance: no balance in the answer');
      }
      return BigInt(balance);
    } catch (error) {
      if (
        error instanceof ChainRpcError &&
        [RPC_CODE.noSuchAccount, RPC_CODE.noMainPurse, RPC_CODE.purseNotFound].includes(
          error.code as never,
        )
      ) {
        return 0n;
      }
      throw error;
    }
  }

  /** The package's current contract hash (dictionaries live under the contract). */
  contractHashOf(packageHash: string): Promise<string> {
    return this.cache.read(`contract|${packageHash}`, this.ttls.contractHashMs, () =>
      this.readContractHash(packageHash),
    );
  }

  private async readContractHash(packageHash: string): Promise<string> {
    const result = await this.call('query_global_state', () =>
      this.rpc.queryLatestGlobalState(`hash-${packageHash}`, []),
    );
    return currentContractHash((result.rawJSON as { stored_value?: unknown })?.stored_value);
  }

  /** The newest state root hash: read now (`live`) or within `stateRootMs`. */
  private stateRootHash(live: boolean): Promise<string> {
    if (live) return this.readStateRootHash();
    return this.cache.read('state-root', this.ttls.stateRootMs, () => this.readStateRootHash());
  }

  private async readStateRootHash(): Promise<string> {
    const root = await this.call('chain_get_state_root_hash', () =>
      this.rpc.getStateRootHashLatest(),
    );
    const stateRootHash = (root.rawJSON as { state_root_hash?: unknown } | undefined)
      ?.state_root_hash;
    if (typeof stateRootHash !== 'string') {
      throw new ChainUnavailableError('chain_get_state_root_hash: no state root hash');
    }
    return stateRootHash;
  }

  /** A dictionary item's CLValue bytes, or undefined when the item does not exist. */
  private async dictionaryItem(
    contractHash: string,
    dictionary: string,
    itemKey: string,
    live: boolean,
  ): Promise<string | undefined> {
    const stateRootHash = await this.stateRootHash(live);
    const identifier = new ParamDictionaryIdentifier(
      undefined,
      new ParamDictionaryIdentifierContractNamedKey(`hash-${contractHash}`, dictionary, itemKey),
    );
    try {
      const result = await this.call('state_get_dictionary_item', () =>
        this.rpc.getDictionaryItemByIdentifier(stateRootHash, identifier),
      );
      const bytes = (
        result.rawJSON as { stored_value?: { CLValue?: { bytes?: unknown } } } | undefined
      )?.stored_value?.CLValue?.bytes;
      if (typeof bytes !== 'string') {
        throw new ChainUnavailableError(`${dictionary} item is not a CLValue`);
      }
      return bytes;
    } catch (error) {
      if (error instanceof ChainRpcError && error.code === RPC_CODE.queryFailed) return undefined;
      throw error;
    }
  }

  /**
   * CEP-18 balance of `address` (66-hex) in the token's current contract `contractHash` (see
   * contractHashOf); a missing item is 0. `live` (the default, what settlement uses) asks the
   * node now; `recent` may answer from a read at most `balanceMs` old.
   */
  tokenBalance(contractHash: string, address: string, read: NonceRead = 'live'): Promise<bigint> {
    const readNow = async (live: boolean) => {
      const item = balancesItemKey(address);
      const bytes = await this.dictionaryItem(contractHash, 'balances', item, live);
      return bytes === undefined ? 0n : decodeU256(bytes);
    };
    if (read === 'live') return readNow(true);
    return this.cache.read(`token|${contractHash}|${address}`, this.ttls.balanceMs, () =>
      readNow(false),
    );
  }

  /**
   * Whether CEP-3009 marked (`address`, `nonce`) used in the `used_nonces` dictionary of the
   * token's current contract `contractHash`. `live` (the default) asks the node now, against a
   * state root read now; `recent` may answer from a read at most `nonceMs` old.
   */
  nonceUsed(
    contractHash: string,
    address: string,
    nonce: string,
    read: NonceRead = 'live',
  ): Promise<boolean> {
    if (read === 'live') return this.readNonceUsed(contractHash, address, nonce, true);
    return this.cache.read(`nonce|${contractHash}|${address}|${nonce}`, this.ttls.nonceMs, () =>
      this.readNonceUsed(contractHash, address, nonce, false),
    );
  }

  private async readNonceUsed(
    contractHash: string,
    address: string,
    nonce: string,
    live: boolean,
  ): Promise<boolean> {
    const item = usedNonceItemKey(address, nonce);
    const bytes = await this.dictionaryItem(contractHash, USED_NONCES_DICTIONARY, item, live);
    return bytes !== undefined && bytes !== '00';
  }

  /**
   * Sends a signed transaction. Throws ChainRpcError when the node refuses it (it will not
   * run), ChainUnavailableError when it is unknown whether the node got it.
   */
  async submit(transaction: SdkTransaction): Promise<void> {
    await this.call('account_put_transaction', () => this.rpc.putTransaction(transaction));
  }

  /** Where a transaction stands: unknown to the node, waiting for a block, or executed. */
  async execution(transactionHash: string): Promise<ExecutionStatus> {
    try {
      const result = await this.call('info_get_transaction', () =>
        this.rpc.getTransactionByTransactionHash(transactionHash),
      );
      const info = (result.rawJSON as { execution_info?: unknown } | undefined)?.execution_info as
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
      if (error instanceof ChainRpcError && error.code === RPC_CODE.noSuchTransaction) {
        return { state: 'unknown' };
      }
      throw error;
    }
  }
}
