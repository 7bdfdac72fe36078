// The wallet's view of a Casper network: shared's CasperChain, asked by token package hash.
// Each question reads the newest block and asks against its state root, so one answer never
// mixes two blocks. The one write is `putTransaction`, for a transaction the person confirmed
// (cancel_authorization).
import {
  type BlockView,
  CasperChain,
  CasperRpc,
  CasperRpcError,
  CasperRpcUnavailableError,
  CEP18X402_USED_NONCES_FIELD,
  type ContractInfo,
  fetchPostWith,
  nonceStoreOf,
  RPC_ERROR,
  type TransactionV1Json,
} from '@x402-casper/shared';
import {
  type ExpectedTransfer,
  type ReportedTransfer,
  reportedTransfer,
} from './transfer-check.js';

const object = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** What the chain says about one transaction. */
export type TransactionState =
  | { state: 'executed' }
  | { state: 'reverted'; error: string }
  | { state: 'pending' }
  | { state: 'unknown' };

/** The node's words for a failed read, for the person: what was asked and what went wrong. */
export function chainErrorWords(error: unknown): string | undefined {
  if (error instanceof CasperRpcError) return `The node refused: ${error.message}`;
  if (error instanceof CasperRpcUnavailableError)
    return `The node could not answer: ${error.message}`;
  return undefined;
}

export class ChainReader {
  private readonly rpc: CasperRpc;
  private readonly chain: CasperChain;
  /** Package → its current contract, for the state root it was read at. */
  private readonly contracts = new Map<string, { root: string; hash: string }>();
  private readonly infos = new Map<string, ContractInfo>();

  constructor(url: string, fetchImpl: typeof fetch = (input, init) => fetch(input, init)) {
    this.rpc = new CasperRpc(url, { post: fetchPostWith(fetchImpl) });
    this.chain = new CasperChain(this.rpc);
  }

  /** CSPR in motes in the main purse of the account with this public key (0: no account). */
  async csprBalance(publicKey: string): Promise<bigint> {
    const block = await this.chain.newestBlock();
    return this.chain.accountBalance(publicKey, block.stateRootHash);
  }

  /** CEP-18 balance of `address` (00 + account hash) in the token with this package hash. */
  async tokenBalance(packageHash: string, address: string): Promise<bigint> {
    const block = await this.chain.newestBlock();
    const contract = await this.contractHash(packageHash, block);
    return this.chain.tokenBalance(contract, address, block.stateRootHash);
  }

  /** The token's current contract: its named keys and entry points. */
  async contract(packageHash: string): Promise<ContractInfo> {
    return this.contractAt(packageHash, await this.chain.newestBlock());
  }

  /**
   * Whether the token marked this nonce of `from` used: true once an authorization with it was
   * collected (or cancelled). Undefined when the token keeps nonces nowhere readable.
   */
  async nonceUsed(packageHash: string, from: string, nonce: string): Promise<boolean | undefined> {
    const block = await this.chain.newestBlock();
    const info = await this.contractAt(packageHash, block);
    const store = nonceStoreOf(info, CEP18X402_USED_NONCES_FIELD);
    if (store.kind === 'unreadable') return undefined;
    return this.chain.nonceUsed(info.hash, store, from, nonce, block.stateRootHash);
  }

  /** Sends a signed TransactionV1 (`account_put_transaction`); returns its hash. */
  putTransaction(transaction: TransactionV1Json): Promise<string> {
    return this.chain.submit(transaction);
  }

  /**
   * A CEP-18 token's name, symbol and decimals, read from the named keys of its current
   * contract, not from anyone's word.
   */
  async tokenMetadata(
    packageHash: string,
  ): Promise<{ name: string; symbol: string; decimals: number }> {
    const block = await this.chain.newestBlock();
    return this.chain.tokenMetadata(await this.contractAt(packageHash, block), block.stateRootHash);
  }

  /** Time of the newest block (ms since epoch): the clock authorizations are judged by. */
  async chainTimeMs(): Promise<number> {
    return (await this.chain.newestBlock()).timestampMs;
  }

  /**
   * Whether a transaction executed, reverted or is still waiting: a TransactionV1, or when the
   * node knows none by that hash a legacy Deploy (what the Go reference facilitator sends).
   */
  async transaction(hash: string): Promise<TransactionState> {
    const found = await this.lookUp(hash);
    if (!found) return { state: 'unknown' };
    const info = object(found.execution_info);
    const result = object(info?.execution_result);
    const v2 = object(result?.Version2);
    const v1 = object(result?.Version1);
    if (v2) {
      // null or absent: it ran without error; a string: it failed (even an empty one).
      const error = v2.error_message ?? null;
      if (error === null) return { state: 'executed' };
      if (typeof error === 'string') return { state: 'reverted', error };
      throw new CasperRpcUnavailableError('info_get_transaction: malformed execution result');
    }
    if (v1?.Success !== undefined) return { state: 'executed' };
    const failure = object(v1?.Failure);
    if (failure) return { state: 'reverted', error: String(failure.error_message ?? '') };
    return { state: 'pending' };
  }

  /** `info_get_transaction` for a hash: as a TransactionV1, then as a Deploy; undefined: neither. */
  private async lookUp(hash: string): Promise<Record<string, unknown> | undefined> {
    for (const variant of ['Version1', 'Deploy']) {
      try {
        return object(
          await this.rpc.call('info_get_transaction', { transaction_hash: { [variant]: hash } }),
        );
      } catch (error) {
        if (!(error instanceof CasperRpcError && error.code === RPC_ERROR.noSuchTransaction)) {
          throw error;
        }
      }
    }
    return undefined;
  }

  /**
   * Whether the transaction `hash` is the transfer `expected` describes (its entry point,
   * token, from, to, amount and nonce), as the node returns the transaction.
   */
  async transfer(
    hash: string,
    expected: Omit<ExpectedTransfer, 'contractHash'>,
  ): Promise<ReportedTransfer> {
    const result = await this.lookUp(hash);
    const block = await this.chain.newestBlock();
    const contractHash = await this.contractHash(expected.asset, block);
    return reportedTransfer(result, { ...expected, contractHash });
  }

  private async contractHash(packageHash: string, block: BlockView): Promise<string> {
    const cached = this.contracts.get(packageHash);
    if (cached?.root === block.stateRootHash) return cached.hash;
    const hash = await this.chain.contractHash(packageHash, block.stateRootHash);
    this.contracts.set(packageHash, { root: block.stateRootHash, hash });
    return hash;
  }

  /** A contract version never changes its named keys or entry points: read once per hash. */
  private async contractAt(packageHash: string, block: BlockView): Promise<ContractInfo> {
    const hash = await this.contractHash(packageHash, block);
    const cached = this.infos.get(hash);
    if (cached) return cached;
    const info = await this.chain.contract(hash, block.stateRootHash);
    this.infos.set(hash, info);
    return info;
  }
}
