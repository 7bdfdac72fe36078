import {
  balancesItemKey,
  CEP18X402_USED_NONCES_FIELD,
  decodeBool,
  decodeByteList,
  hexToBytes,
  ODRA_STATE_DICTIONARY,
  odraNonceItemKey,
  type TransactionV1Json,
  usedNonceItemKey,
} from '@x402-casper/shared';

/** A JSON-RPC error from the node, or a transport failure (code 0). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** `state_get_dictionary_item` on a missing item. */
const NO_SUCH_DICTIONARY_ITEM = -32003;
/** `info_get_transaction` on a hash the node does not know. */
const NO_SUCH_TRANSACTION = -32014;

type Fetch = typeof fetch;

/** Reads `value.a.b…` from untyped JSON; undefined when any step is missing. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

async function rpc(
  url: string,
  method: string,
  params: object,
  fetchImpl: Fetch,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
  } catch {
    throw new RpcError(0, `Cannot reach the node at ${url}`);
  }
  if (!response.ok) throw new RpcError(0, `The node answered HTTP ${response.status}`);
  const body: unknown = await response.json().catch(() => null);
  if (typeof body !== 'object' || body === null) {
    throw new RpcError(0, 'The node sent something that is not JSON');
  }
  const error = pick(body, 'error');
  if (error !== undefined && error !== null) {
    const code = pick(error, 'code');
    const message = pick(error, 'message');
    const data = pick(error, 'data');
    throw new RpcError(
      typeof code === 'number' ? code : 0,
      `${typeof message === 'string' ? message : 'RPC error'}${typeof data === 'string' ? `: ${data}` : ''}`,
    );
  }
  return pick(body, 'result');
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new RpcError(0, `The node's answer has no ${what}`);
  }
  return String(value);
}

/** A String CLValue: its bytes are a u32-LE length and UTF-8. */
export function clString(value: unknown, what: string): string {
  const bytes = hexToBytes(text(pick(value, 'bytes'), what), what);
  const length =
    (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16) | ((bytes[3] ?? 0) << 24);
  if (bytes.length !== length + 4) throw new RpcError(0, `The node sent a malformed ${what}`);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(4));
}

/** A U8 CLValue. */
export function clU8(value: unknown): number {
  const bytes = hexToBytes(text(pick(value, 'bytes'), 'decimals'), 'decimals');
  if (bytes.length !== 1) throw new RpcError(0, 'The node sent malformed decimals');
  return bytes[0]!;
}

/** Little-endian length-prefixed CLValue bytes of a U256/U512 → bigint. */
export function decodeUintBytes(hex: string): bigint {
  const bytes = hexToBytes(hex, 'bytes');
  const length = bytes[0] ?? 0;
  if (bytes.length !== length + 1) throw new RpcError(0, 'The node sent a malformed number');
  let value = 0n;
  for (let i = length; i >= 1; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function stripHashPrefix(hash: string): string {
  return hash.replace(/^(contract-|hash-|entity-contract-|addressable-entity-)/, '');
}

interface Version {
  major: number;
  version: number;
  hash: string;
}

function latest(versions: Version[], disabled: Set<string>): string | undefined {
  const enabled = versions
    .filter((v) => !disabled.has(`${v.major}.${v.version}`))
    .sort((a, b) => a.major - b.major || a.version - b.version);
  const last = enabled[enabled.length - 1];
  return last ? stripHashPrefix(last.hash) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Latest enabled version of a package, from a ContractPackage (1.x) or Package (2.x). */
export function currentContractHash(storedValue: unknown): string {
  const legacy = pick(storedValue, 'ContractPackage');
  if (legacy) {
    const disabled = new Set(
      list(pick(legacy, 'disabled_versions')).map((v) => `${pick(v, 0)}.${pick(v, 1)}`),
    );
    const versions = list(pick(legacy, 'versions')).map((v) => ({
      major: Number(pick(v, 'protocol_version_major')),
      version: Number(pick(v, 'contract_version')),
      hash: String(pick(v, 'contract_hash')),
    }));
    const hash = latest(versions, disabled);
    if (hash) return hash;
  }
  const entity = pick(storedValue, 'Package');
  if (entity) {
    const disabled = new Set(
      list(pick(entity, 'disabled_versions')).map(
        (v) => `${pick(v, 'protocol_version_major')}.${pick(v, 'entity_version')}`,
      ),
    );
    const versions = list(pick(entity, 'versions')).map((v) => ({
      major: Number(pick(v, 'entity_version_key', 'protocol_version_major')),
      version: Number(pick(v, 'entity_version_key', 'entity_version')),
      hash: String(pick(v, 'addressable_entity_hash')),
    }));
    const hash = latest(versions, disabled);
    if (hash) return hash;
  }
  throw new RpcError(0, 'The token package has no enabled contract version');
}

/** A token contract as the chain stores it: its named keys and entry points. */
export interface ContractInfo {
  hash: string;
  /** Named key → formatted Key (e.g. `uref-…-007`). */
  namedKeys: Map<string, string>;
  entryPoints: string[];
}

/** What the chain says about one transaction. */
export type TransactionState =
  | { state: 'executed' }
  | { state: 'reverted'; error: string }
  | { state: 'pending' }
  | { state: 'unknown' };

/** Reads a Contract stored value (`query_global_state` on `hash-<contract>`). */
export function contractInfo(hash: string, storedValue: unknown): ContractInfo {
  const contract = pick(storedValue, 'Contract');
  if (!contract) throw new RpcError(0, 'The token contract is not a contract the wallet can read');
  const namedKeys = new Map<string, string>();
  for (const entry of list(pick(contract, 'named_keys'))) {
    const name = pick(entry, 'name');
    const key = pick(entry, 'key');
    if (typeof name === 'string' && typeof key === 'string') namedKeys.set(name, key);
  }
  const entryPoints = list(pick(contract, 'entry_points'))
    .map((entry) => pick(entry, 'name') ?? pick(entry, 'entry_point', 'name'))
    .filter((name): name is string => typeof name === 'string');
  return { hash, namedKeys, entryPoints };
}

/**
 * Reads balances, contracts, nonces and transactions from a Casper node's JSON-RPC. The one
 * write is `putTransaction`, for a transaction the person confirmed (cancel_authorization).
 */
export class ChainReader {
  private readonly contracts = new Map<string, string>();
  private readonly infos = new Map<string, ContractInfo>();

  constructor(
    private readonly url: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
  ) {}

  /** CSPR in motes in the main purse of the account with this public key. */
  async csprBalance(publicKey: string): Promise<bigint> {
    const result = await rpc(
      this.url,
      'query_balance',
      { purse_identifier: { main_purse_under_public_key: publicKey } },
      this.fetchImpl,
    );
    return BigInt(text(pick(result, 'balance'), 'balance'));
  }

  /** CEP-18 balance of `address` (00 + account hash) in the token with this package hash. */
  async tokenBalance(packageHash: string, address: string): Promise<bigint> {
    const stateRootHash = await this.stateRoot();
    const contract = await this.contractOf(packageHash, stateRootHash);
    try {
      const item = await rpc(
        this.url,
        'state_get_dictionary_item',
        {
          state_root_hash: stateRootHash,
          dictionary_identifier: {
            ContractNamedKey: {
              key: `hash-${contract}`,
              dictionary_name: 'balances',
              dictionary_item_key: balancesItemKey(address),
            },
          },
        },
        this.fetchImpl,
      );
      return decodeUintBytes(text(pick(item, 'stored_value', 'CLValue', 'bytes'), 'balance'));
    } catch (error) {
      if (error instanceof RpcError && error.code === NO_SUCH_DICTIONARY_ITEM) return 0n;
      throw error;
    }
  }

  private async stateRoot(): Promise<string> {
    const root = await rpc(this.url, 'chain_get_state_root_hash', {}, this.fetchImpl);
    return text(pick(root, 'state_root_hash'), 'state root hash');
  }

  /** The token's current contract: its named keys and entry points (cached per contract). */
  async contract(packageHash: string): Promise<ContractInfo> {
    const stateRootHash = await this.stateRoot();
    const hash = await this.contractOf(packageHash, stateRootHash);
    const cached = this.infos.get(hash);
    if (cached) return cached;
    const result = await rpc(
      this.url,
      'query_global_state',
      { state_identifier: { StateRootHash: stateRootHash }, key: `hash-${hash}`, path: [] },
      this.fetchImpl,
    );
    const info = contractInfo(hash, pick(result, 'stored_value'));
    this.infos.set(hash, info);
    return info;
  }

  /**
   * Whether the token marked this nonce of `from` used: true once an authorization with it was
   * collected (or cancelled). CEP-3009 tokens keep a `used_nonces` dictionary (a bool); tokens
   * built like Cep18X402 keep it in Odra's `state` dictionary (a bool serialized into a
   * List<U8>). Undefined when the token has neither, so the chain cannot be asked.
   */
  async nonceUsed(packageHash: string, from: string, nonce: string): Promise<boolean | undefined> {
    const info = await this.contract(packageHash);
    const store = info.namedKeys.has('used_nonces')
      ? { dictionary: 'used_nonces', itemKey: usedNonceItemKey(from, nonce), odra: false }
      : info.namedKeys.has(ODRA_STATE_DICTIONARY)
        ? {
            dictionary: ODRA_STATE_DICTIONARY,
            itemKey: odraNonceItemKey(CEP18X402_USED_NONCES_FIELD, from, nonce),
            odra: true,
          }
        : undefined;
    if (!store) return undefined;
    const stateRootHash = await this.stateRoot();
    try {
      const item = await rpc(
        this.url,
        'state_get_dictionary_item',
        {
          state_root_hash: stateRootHash,
          dictionary_identifier: {
            ContractNamedKey: {
              key: `hash-${info.hash}`,
              dictionary_name: store.dictionary,
              dictionary_item_key: store.itemKey,
            },
          },
        },
        this.fetchImpl,
      );
      const value = pick(item, 'stored_value', 'CLValue');
      const bytes = text(pick(value, 'bytes'), 'nonce state');
      if (store.odra) return decodeBool(decodeByteList(bytes));
      const parsed = pick(value, 'parsed');
      if (typeof parsed === 'boolean') return parsed;
      return decodeBool(bytes);
    } catch (error) {
      if (error instanceof RpcError && error.code === NO_SUCH_DICTIONARY_ITEM) return false;
      throw error;
    }
  }

  /** Sends a signed TransactionV1 (`account_put_transaction`); returns its hash. */
  async putTransaction(transaction: TransactionV1Json): Promise<string> {
    const result = await rpc(
      this.url,
      'account_put_transaction',
      { transaction: { Version1: transaction } },
      this.fetchImpl,
    );
    return text(pick(result, 'transaction_hash', 'Version1'), 'transaction hash');
  }

  /**
   * A CEP-18 token's name, symbol and decimals, read from the named keys of its current
   * contract (each a URef holding a CLValue), not from anyone's word.
   */
  async tokenMetadata(
    packageHash: string,
  ): Promise<{ name: string; symbol: string; decimals: number }> {
    const info = await this.contract(packageHash);
    const stateRootHash = await this.stateRoot();
    const read = async (name: string) => {
      const key = info.namedKeys.get(name);
      if (!key) throw new RpcError(0, `The token has no ${name} named key`);
      const result = await rpc(
        this.url,
        'query_global_state',
        { state_identifier: { StateRootHash: stateRootHash }, key, path: [] },
        this.fetchImpl,
      );
      return pick(result, 'stored_value', 'CLValue');
    };
    const [name, symbol, decimals] = await Promise.all([
      read('name'),
      read('symbol'),
      read('decimals'),
    ]);
    return {
      name: clString(name, 'name'),
      symbol: clString(symbol, 'symbol'),
      decimals: clU8(decimals),
    };
  }

  /** Time of the newest block (ms since epoch): the clock authorizations are judged by. */
  async chainTimeMs(): Promise<number> {
    const result = await rpc(this.url, 'chain_get_block', {}, this.fetchImpl);
    const block = pick(result, 'block_with_signatures', 'block');
    const header = pick(block, 'Version2', 'header') ?? pick(block, 'Version1', 'header');
    const time = Date.parse(text(pick(header, 'timestamp'), 'block time'));
    if (!Number.isFinite(time)) throw new RpcError(0, 'The node sent an unreadable block time');
    return time;
  }

  /** Whether a transaction executed, reverted or is still waiting. */
  async transaction(hash: string): Promise<TransactionState> {
    let result: unknown;
    try {
      result = await rpc(
        this.url,
        'info_get_transaction',
        { transaction_hash: { Version1: hash } },
        this.fetchImpl,
      );
    } catch (error) {
      if (error instanceof RpcError && error.code === NO_SUCH_TRANSACTION)
        return { state: 'unknown' };
      throw error;
    }
    const execution = pick(result, 'execution_info');
    if (!execution) return { state: 'pending' };
    const outcome = pick(execution, 'execution_result', 'Version2');
    const error = pick(outcome, 'error_message');
    if (typeof error === 'string' && error) return { state: 'reverted', error };
    return { state: 'executed' };
  }

  private async contractOf(packageHash: string, stateRootHash: string): Promise<string> {
    const cached = this.contracts.get(packageHash);
    if (cached) return cached;
    const result = await rpc(
      this.url,
      'query_global_state',
      { state_identifier: { StateRootHash: stateRootHash }, key: `hash-${packageHash}`, path: [] },
      this.fetchImpl,
    );
    const contract = currentContractHash(pick(result, 'stored_value'));
    this.contracts.set(packageHash, contract);
    return contract;
  }
}
