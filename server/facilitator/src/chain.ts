// Reads and writes one Casper network for the facilitator, through shared's CasperChain over a
// keep-alive transport. Reads are made against one block: the newest block's header (height,
// time, state root) is read once per block, and what can only change in a block (a package's
// current contract, balances, nonces) is kept for that block; settlement reads against a header
// read now, or less than half a second ago (by its /verify) while no newer block is due.
import {
  type BlockView,
  CasperChain,
  CasperRpc,
  type ContractInfo,
  type ExecutionStatus,
  type ListedBlock,
  type NonceStore,
  profileOf,
  type TokenProfile,
  UnsupportedTokenError,
} from '@x402-casper/shared';
import type { AssetConfig } from './config.js';
import { keepAlivePost } from './http-post.js';
import { ReadCache } from './read-cache.js';

export type { BlockView, ExecutionStatus, ListedBlock } from '@x402-casper/shared';

export type UsableProfile = TokenProfile & { usable: true };

/** The fee payer's CSPR (motes) in its main purse as of the block at `height`. */
export interface GasFunds {
  motes: bigint;
  height: number;
}

/** Reads against one block are kept this long at most (a block's state never changes). */
const BLOCK_MEMORY_MS = 60_000;

/**
 * The fee payer's CSPR is read again after this. In between, the ledger counts the gas of the
 * settlements executed after the block it was read at (Ledger.pendingCount), so the balance
 * need not be read in every block.
 */
const FEE_PAYER_READ_MS = 60_000;

/** Casper mainnet and testnet make a block every 8 s. */
export const BLOCK_INTERVAL_MS = 8000;

/** However late the next block is, the newest block is read at most this often. */
const MIN_BLOCK_READ_MS = 1000;

/**
 * A settle's checks may use the block read from the node this long ago (by the /verify a paywall
 * sends just before, say) while the block after it is not yet due by its timestamp: one round
 * trip to the node fewer for such a payment.
 */
export const FRESH_READ_MS = 500;

/**
 * `live`: the newest block, read now (the block watcher, a second look before a refusal, an
 * expired settlement's nonce). `fresh`: the same, unless the node was asked less than
 * FRESH_READ_MS ago and no newer block is due (settlement). `recent`: the block read last,
 * while no newer one is due (/verify).
 */
export type Read = 'live' | 'fresh' | 'recent';

/**
 * What the facilitator's core asks of a network: reads against a block, submission and
 * transaction status. ChainClient is the real one; tests give the core a fake.
 */
export interface Chain {
  readonly blockIntervalMs: number;
  newestSeen(): BlockView | undefined;
  view(read?: Read): Promise<BlockView>;
  /**
   * The newest block read now, as `view('live')`, with the transactions it holds (the block
   * watcher's look: a settlement whose transaction is not in it need not read its status).
   */
  newestListed(): Promise<ListedBlock>;
  accountBalance(publicKeyHex: string, block: BlockView): Promise<bigint>;
  /**
   * The fee payer's funds as of a recent block (not necessarily `block`): read at `block` when
   * `fresh` (and kept as the reading from then on), or when the reading kept is older than a
   * minute.
   */
  gasFunds(publicKeyHex: string, block: BlockView, fresh?: boolean): Promise<GasFunds>;
  tokenBalance(contractHash: string, address: string, block: BlockView): Promise<bigint>;
  nonceUsed(
    contractHash: string,
    store: Exclude<NonceStore, { kind: 'unreadable' }>,
    address: string,
    nonce: string,
    block: BlockView,
  ): Promise<boolean>;
  /**
   * The usable profile the last `tokenProfile` read of `packageHash` found (no RPC call): what
   * the token's contract most likely still is, so its reads can start before the package's.
   */
  profileSeen(packageHash: string): UsableProfile | undefined;
  /** The token's current contract and its profile; unusable (not an error) when it cannot be settled. */
  tokenProfile(
    asset: Pick<AssetConfig, 'packageHash' | 'argLayout'>,
    block: BlockView,
  ): Promise<TokenProfile>;
  submit(transactionJson: string): Promise<void>;
  execution(transactionHash: string): Promise<ExecutionStatus>;
}

export class ChainClient implements Chain {
  private readonly chain: CasperChain;
  private readonly cache: ReadCache;
  /**
   * The newest block's read: when it was sent, until when it serves recent reads, and when the
   * block after it is due (fresh reads are served only before then).
   */
  private block:
    | { reading: Promise<BlockView>; askedAt: number; until: number; nextDue: number }
    | undefined;
  private newest: BlockView | undefined;
  /** The usable profile each package's last profile read found. */
  private readonly profiles = new Map<string, UsableProfile>();

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
    this.chain = new CasperChain(new CasperRpc(rpcUrl, { timeoutMs, post: keepAlivePost }));
    this.cache = new ReadCache(now);
  }

  /** The highest block any read so far has seen (no RPC call). */
  newestSeen(): BlockView | undefined {
    return this.newest;
  }

  /** The newest block, as `read` says (see Read). Every read from the node serves later ones. */
  view(read: Read = 'recent'): Promise<BlockView> {
    const now = this.now();
    const kept = this.block;
    if (
      kept &&
      now < kept.until &&
      (read === 'recent' ||
        (read === 'fresh' && now - kept.askedAt < FRESH_READ_MS && now < kept.nextDue))
    ) {
      return kept.reading;
    }
    return this.keep(this.chain.newestBlock(), now);
  }

  newestListed(): Promise<ListedBlock> {
    const listing = this.chain.newestBlockListed();
    this.keep(listing, this.now());
    return listing;
  }

  /** Keeps a read of the newest block, sent at `now`, to serve later reads (see Read). */
  private keep(reading: Promise<BlockView>, now: number): Promise<BlockView> {
    const entry = {
      reading,
      askedAt: now,
      until: Number.POSITIVE_INFINITY,
      nextDue: Number.POSITIVE_INFINITY,
    };
    this.block = entry;
    reading.then(
      (block) => {
        if (!this.newest || block.height > this.newest.height) this.newest = block;
        if (this.block !== entry) return;
        if (this.blockIntervalMs <= 0) {
          entry.until = 0;
          entry.nextDue = 0;
          return;
        }
        entry.nextDue = block.timestampMs + this.blockIntervalMs;
        const due = entry.nextDue - this.now();
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
      this.chain.accountBalance(publicKeyHex, block.stateRootHash),
    );
  }

  gasFunds(publicKeyHex: string, block: BlockView, fresh = false): Promise<GasFunds> {
    const read = async () => ({
      motes: await this.accountBalance(publicKeyHex, block),
      height: block.height,
    });
    // A fresh reading (accountBalance's own, kept for the block) is kept as the newest one.
    return this.cache.read(`gas|${publicKeyHex}`, FEE_PAYER_READ_MS, read, fresh);
  }

  /** The package's current contract hash at `block` (dictionaries live under the contract). */
  contractHashOf(packageHash: string, block: BlockView): Promise<string> {
    return this.cache.read(`contract|${packageHash}|${block.stateRootHash}`, BLOCK_MEMORY_MS, () =>
      this.chain.contractHash(packageHash, block.stateRootHash),
    );
  }

  /**
   * A contract's named keys and entry points. A contract version never changes them, so this
   * is read once per contract hash.
   */
  contract(contractHash: string, block: BlockView): Promise<ContractInfo> {
    return this.cache.read(`contract-info|${contractHash}`, Number.POSITIVE_INFINITY, () =>
      this.chain.contract(contractHash, block.stateRootHash),
    );
  }

  /** CEP-18 balance of `address` in the contract `contractHash` at `block`, kept for the block. */
  tokenBalance(contractHash: string, address: string, block: BlockView): Promise<bigint> {
    return this.cache.read(
      `token|${contractHash}|${address}|${block.stateRootHash}`,
      BLOCK_MEMORY_MS,
      () => this.chain.tokenBalance(contractHash, address, block.stateRootHash),
    );
  }

  /**
   * Whether the contract marked (`address`, `nonce`) used at `block`, kept for the block: a
   * settle in the block of its /verify reads nothing again but the block.
   */
  nonceUsed(
    contractHash: string,
    store: Exclude<NonceStore, { kind: 'unreadable' }>,
    address: string,
    nonce: string,
    block: BlockView,
  ): Promise<boolean> {
    return this.cache.read(
      `nonce|${contractHash}|${address}|${nonce}|${block.stateRootHash}`,
      BLOCK_MEMORY_MS,
      () => this.chain.nonceUsed(contractHash, store, address, nonce, block.stateRootHash),
    );
  }

  profileSeen(packageHash: string): UsableProfile | undefined {
    return this.profiles.get(packageHash);
  }

  /**
   * The token's current contract at `block` (its package's newest enabled version) and that
   * contract's profile: its entry point's layout, where its nonces are, its revert codes. A
   * package in a form that cannot be settled (a 2.x Package of addressable entities) is an
   * unusable profile saying what was found; a node failing to answer is an error.
   */
  async tokenProfile(
    asset: Pick<AssetConfig, 'packageHash' | 'argLayout'>,
    block: BlockView,
  ): Promise<TokenProfile> {
    const profile = await this.readProfile(asset, block);
    if (profile.usable) this.profiles.set(asset.packageHash, profile);
    else this.profiles.delete(asset.packageHash);
    return profile;
  }

  private async readProfile(
    asset: Pick<AssetConfig, 'packageHash' | 'argLayout'>,
    block: BlockView,
  ): Promise<TokenProfile> {
    let contractHash: string;
    try {
      contractHash = await this.contractHashOf(asset.packageHash, block);
    } catch (error) {
      if (!(error instanceof UnsupportedTokenError)) throw error;
      return { usable: false, contractHash: error.hash, problem: error.message };
    }
    return profileOf(await this.contract(contractHash, block), asset.argLayout);
  }

  /**
   * Sends a signed transaction (its stored JSON). Throws CasperRpcError when the node refuses
   * it (it will not run), CasperRpcUnavailableError when it is unknown whether the node got it.
   */
  async submit(transactionJson: string): Promise<void> {
    await this.chain.submit(JSON.parse(transactionJson));
  }

  /** Where a transaction stands: unknown to the node, waiting for a block, or executed. */
  execution(transactionHash: string): Promise<ExecutionStatus> {
    return this.chain.execution(transactionHash);
  }
}
