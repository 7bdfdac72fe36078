// The chain: blocks on a clock, a pool of accepted transactions executed in the next block,
// the world state after every block, test controls, snapshots and saving to a file.
import {
  type ArgLayout,
  accountHashOf,
  blake2b256,
  bytesToHex,
  hexToBytes,
  networkOfChainName,
  utf8ToBytes,
  X402InputError,
} from '@x402-casper/shared';
import { validatorKey } from './accounts.js';
import { blockSigner } from './block-signer.js';
import { cl } from './clvalue.js';
import { invalidTransaction } from './errors.js';
import type { Genesis } from './genesis.js';
import {
  cloneState,
  genesisState,
  newAccount,
  newToken,
  stateRootOf,
  type TokenState,
  upgradedToken,
  upgradeTokenState,
  versionsOf,
  type WorldState,
} from './state.js';
import { type Effect, executeEntryPoint, Revert } from './token.js';
import { type AcceptedTransaction, acceptTransaction, laneOf } from './transaction.js';
import { runtimeArgsBytes } from './wasm/bytesrepr.js';
import { executeWasm } from './wasm/execute.js';
import { fundFromHolder, supplyHolder, wasmPackage } from './wasm/fund.js';
import { wasmValue } from './wasm/store.js';

export interface Block {
  hash: string;
  height: number;
  parentHash: string;
  stateRootHash: string;
  bodyHash: string;
  accumulatedSeed: string;
  randomBit: boolean;
  timestampMs: number;
  /** Transaction hashes by lane id. */
  transactions: Record<string, string[]>;
  proposer: string;
  signature: string;
}

export interface Execution {
  blockHash: string;
  blockHeight: number;
  errorMessage: string | null;
  /** Gas limit = cost: the payment amount (gas price 1, no refund). */
  cost: string;
  /** Gas the Wasm used (metered); absent for the JS token, which reports the limit. */
  consumed?: string;
  effects: Array<Effect | { key: string; kind: unknown }>;
}

export interface TransactionRecord extends AcceptedTransaction {
  execution: Execution | null;
}

export interface NamedAccount {
  name: string;
  publicKey: string;
  accountHash: string;
}

/** Everything that makes up the chain; snapshots and the state file hold one of these. */
interface ChainData {
  chainName: string;
  namedAccounts: NamedAccount[];
  clockOffsetMs: number;
  blocks: Block[];
  transactions: Record<string, TransactionRecord>;
  pending: string[];
  /** World state by state root hash; committed states are never mutated. */
  states: Record<string, WorldState>;
  /** Next token index, so deployed tokens get deterministic hashes. */
  tokensDeployed: number;
  /** Contract Wasm by blake2b-256 hash (hex), base64: kept out of the hashed world state. */
  blobs?: Record<string, string>;
  /** Contracts the genesis file installed (`tokens[].wasm`), in order. */
  genesisContracts?: GenesisContract[];
}

/** A Wasm contract installed at genesis: where its installer's named key points. */
export interface GenesisContract {
  path: string;
  installer: string;
  /** The installer's named key that holds the package. */
  namedKey: string;
  packageHash: string;
  contractHash: string;
}

/** Gas a genesis install may use: the install/upgrade lane's limit (1000 CSPR). */
const GENESIS_INSTALL_GAS = 1_000_000_000_000n;

const STATE_FILE_FORMAT = 'x402-casper-devnet-state/1';
/** Wall-clock time a block spends executing transactions before it leaves the rest pooled. */
const BLOCK_EXECUTION_BUDGET_MS = 2_000;
/** States kept for historical queries, like a node that prunes; older roots are forgotten. */
const MAX_STATES = 1000;
const LANES = ['0', '1', '2', '3', '4', '5'];
/**
 * The transaction pool's bounds: some 5 blocks of the chainspec's per-block transaction counts
 * (650 + 145 + 1 + 3 + 7 + 15 = 821), and 256 MB of transactions as JSON (module bytes in hex:
 * some 120 of the largest sessions). A node bounds what it buffers too; the refusal's words
 * are the devnet's.
 */
const MAX_PENDING_TRANSACTIONS = 4_096;
const MAX_PENDING_JSON_BYTES = 256_000_000;
const hash = (text: string) => bytesToHex(blake2b256(utf8ToBytes(text)));

export class Chain {
  private data: ChainData;
  private snapshots = new Map<string, ChainData>();
  private nextSnapshotId = 1;
  private readonly blobCache = new Map<string, Uint8Array>();
  private readonly validator = validatorKey();
  private readonly signBlock = blockSigner(this.validator);
  readonly startedAtMs = Date.now();
  /** Where the chain reports accepted transactions and execution results. */
  log: (line: string) => void = () => {};

  /** How many transactions may wait for a block (MAX_PENDING_TRANSACTIONS unless set). */
  maxPendingTransactions = MAX_PENDING_TRANSACTIONS;

  private constructor(data: ChainData) {
    this.data = data;
  }

  static fromGenesis(chainName: string, genesis: Genesis): Chain {
    const state = genesisState(chainName, genesis);
    const namedAccounts = genesis.accounts.map((account) => ({
      name: account.name,
      publicKey: account.publicKey,
      accountHash: accountHashOf(account.publicKey),
    }));
    const chain = new Chain({
      chainName,
      namedAccounts,
      clockOffsetMs: 0,
      blocks: [],
      transactions: {},
      pending: [],
      states: {},
      tokensDeployed: genesis.tokens.length,
    });
    chain.installGenesisContracts(state, genesis);
    chain.commitBlock(state, {});
    return chain;
  }

  /** Runs each `tokens[].wasm` install as its installer's session; a failure stops the start. */
  private installGenesisContracts(state: WorldState, genesis: Genesis): void {
    const contracts: GenesisContract[] = [];
    for (const [index, token] of (genesis.wasmTokens ?? []).entries()) {
      const field = `tokens.wasm[${index}]`;
      const installer = this.data.namedAccounts.find((a) => a.name === token.installer)!;
      const before = { ...state.accounts[installer.accountHash]?.namedKeys };
      const blob = this.storeBlob(token.wasm);
      const result = executeWasm(
        state,
        {
          target: { kind: 'session', blob, installUpgrade: true },
          args: bytesToHex(runtimeArgsBytes(token.args)),
        },
        {
          initiator: installer.accountHash,
          txHash: hash(`${this.data.chainName} genesis wasm ${index} ${blob}`),
          blockTimeMs: this.nowMs(),
          gasLimit: GENESIS_INSTALL_GAS,
          // No wall-clock limit: gas bounds a genesis install, and the devnet's start must not
          // depend on the machine's speed (the limit guards block production, not yet begun).
          timeLimitMs: Number.POSITIVE_INFINITY,
          blob: (h) => this.blob(h),
        },
      );
      if (result.errorMessage) {
        throw new X402InputError(field, `${token.path} failed to install: ${result.errorMessage}`);
      }
      const after = state.accounts[installer.accountHash]?.namedKeys ?? {};
      const added = Object.entries(after).find(([name, key]) => {
        const entry = before[name] === key ? undefined : wasmValue(state, key);
        return entry !== undefined && 'ContractPackage' in entry;
      });
      if (!added) {
        throw new X402InputError(field, `${token.path} installed no package under a named key`);
      }
      const packageHash = added[1].slice('hash-'.length);
      const pkg = wasmValue(state, added[1]);
      const contractHash =
        pkg && 'ContractPackage' in pkg
          ? (pkg.ContractPackage.versions.at(-1)?.contract ?? '')
          : '';
      contracts.push({
        path: token.path,
        installer: token.installer,
        namedKey: added[0],
        packageHash,
        contractHash,
      });
      this.log(`genesis: ${token.path} installed by ${token.installer} as package ${packageHash}`);
    }
    if (contracts.length > 0) this.data.genesisContracts = contracts;
  }

  /** Contracts installed from the genesis file's `tokens[].wasm`. */
  get genesisContracts(): GenesisContract[] {
    return this.data.genesisContracts ?? [];
  }

  /** Restores a chain saved with `save()`; throws if the text is not such a file. */
  static fromSaved(text: string): Chain {
    let saved: { format?: string; chain?: ChainData };
    try {
      saved = JSON.parse(text);
    } catch (error) {
      throw new X402InputError('state', `is not JSON: ${(error as Error).message}`);
    }
    if (saved?.format !== STATE_FILE_FORMAT || !saved.chain?.blocks?.length) {
      throw new X402InputError('state', `is not a devnet state file (format ${STATE_FILE_FORMAT})`);
    }
    for (const state of Object.values(saved.chain.states ?? {})) {
      for (const [packageHash, token] of Object.entries(state.tokens)) {
        state.tokens[packageHash] = upgradeTokenState(token);
      }
    }
    return new Chain(saved.chain);
  }

  save(): string {
    return JSON.stringify({ format: STATE_FILE_FORMAT, chain: this.data });
  }

  get chainName(): string {
    return this.data.chainName;
  }

  get network(): string {
    return networkOfChainName(this.data.chainName);
  }

  get namedAccounts(): NamedAccount[] {
    return this.data.namedAccounts;
  }

  get blocks(): readonly Block[] {
    return this.data.blocks;
  }

  get latestBlock(): Block {
    return this.data.blocks[this.data.blocks.length - 1]!;
  }

  get state(): WorldState {
    return this.stateAt(this.latestBlock.stateRootHash)!;
  }

  get validatorPublicKey(): string {
    return this.validator.publicKey.hex;
  }

  stateAt(stateRootHash: string): WorldState | undefined {
    return this.data.states[stateRootHash];
  }

  transaction(txHash: string): TransactionRecord | undefined {
    return this.data.transactions[txHash];
  }

  tokens(): TokenState[] {
    return Object.values(this.state.tokens);
  }

  /** Chain time: the wall clock moved forward by `devnet_increaseTime`. */
  nowMs(): number {
    return Date.now() + this.data.clockOffsetMs;
  }

  /**
   * Validates and pools a transaction; a resubmitted one is accepted again unchanged. The pool
   * is bounded, as a node's is: past `maxPendingTransactions` waiting, a new transaction is
   * refused (its module bytes not stored) until blocks have taken some.
   */
  submit(params: unknown): string {
    const { record: accepted, module } = acceptTransaction(params, {
      chainName: this.data.chainName,
      nowMs: Date.now(),
      state: this.state,
    });
    const known = this.data.transactions[accepted.hash] !== undefined;
    if (!known) {
      let bytes = accepted.sizeEstimate;
      for (const hash of this.data.pending) bytes += this.data.transactions[hash]!.sizeEstimate;
      if (
        this.data.pending.length >= this.maxPendingTransactions ||
        bytes > MAX_PENDING_JSON_BYTES
      ) {
        throw invalidTransaction(
          `the devnet's transaction pool is full (${this.data.pending.length} transactions waiting); send it again after the next block`,
        );
      }
    }
    if (module) this.storeBlob(module.bytes, module.hash);
    if (!known) {
      this.data.transactions[accepted.hash] = { ...accepted, execution: null };
      this.data.pending.push(accepted.hash);
      this.log(`transaction ${accepted.hash} accepted: ${accepted.entryPoint}`);
    }
    return accepted.hash;
  }

  /**
   * Produces `count` blocks; the first executes the pooled transactions after `change` (given
   * the block's time). A `change` that throws leaves the chain as it was: no block, pool kept.
   */
  mine(count = 1, change?: (state: WorldState, timestampMs: number) => void): Block[] {
    const mined: Block[] = [];
    for (let i = 0; i < count; i++) {
      const state = cloneState(this.state);
      const timestampMs = Math.max(this.nowMs(), this.latestBlock.timestampMs + 1);
      if (i === 0) change?.(state, timestampMs);
      const { pending, executions } = this.executePending(state, timestampMs);
      const byLane: Record<string, string[]> = {};
      for (const txHash of pending) {
        const pooled = this.data.transactions[txHash]!;
        const target = pooled.wasm?.target;
        // A record accepted before lanes refused payments no lane takes: the large lane.
        const lane =
          laneOf(BigInt(pooled.paymentMotes), target?.kind === 'session' && target.installUpgrade)
            ?.id ?? '3';
        byLane[lane] = [...(byLane[lane] ?? []), txHash];
      }
      const block = this.commitBlock(state, byLane, timestampMs);
      pending.forEach((txHash, index) => {
        const record = this.data.transactions[txHash]!;
        const result = executions[index]!;
        this.data.transactions[txHash] = {
          ...record,
          execution: { ...result, blockHash: block.hash, blockHeight: block.height },
        };
        this.log(
          `block ${block.height}: transaction ${txHash} ${result.errorMessage ? `failed: ${result.errorMessage}` : 'succeeded'}`,
        );
      });
      mined.push(block);
    }
    return mined;
  }

  /**
   * Executes pooled transactions in order, at least one, until the block's wall-clock budget
   * is spent; the rest stay pooled for the next block (as a node leaves what does not fit).
   */
  private executePending(state: WorldState, timestampMs: number) {
    const started = performance.now();
    const pending: string[] = [];
    const executions: Array<ReturnType<Chain['execute']>> = [];
    for (const txHash of this.data.pending) {
      if (pending.length > 0 && performance.now() - started > BLOCK_EXECUTION_BUDGET_MS) break;
      executions.push(this.execute(state, txHash, timestampMs));
      pending.push(txHash);
    }
    this.data.pending = this.data.pending.slice(pending.length);
    return { pending, executions };
  }

  private execute(state: WorldState, txHash: string, blockTimeMs: number) {
    const record = this.data.transactions[txHash]!;
    const account = state.accounts[record.initiatorAccountHash];
    const cost = BigInt(record.paymentMotes);
    const payer = account ?? newAccount(record.initiatorAccountHash, 0n);
    const balance = BigInt(payer.motes);
    const charged = balance < cost ? balance : cost;
    payer.motes = (balance - charged).toString();
    if (account) state.accounts[payer.accountHash] = payer;
    const purseEffect: Effect = {
      key: `balance-${payer.mainPurse}`,
      kind: { Write: { CLValue: cl.u512(BigInt(payer.motes)) } },
    };
    const base = { cost: charged.toString() };
    if (charged < cost) {
      return { ...base, errorMessage: 'Insufficient payment', effects: [purseEffect] };
    }
    if (record.wasm) {
      // The payment is the gas limit (gas price 1); acceptance refused any no lane takes.
      const result = executeWasm(state, record.wasm, {
        initiator: record.initiatorAccountHash,
        txHash,
        blockTimeMs,
        gasLimit: cost,
        blob: (hash) => this.blob(hash),
      });
      if (result.timedOut) this.log(`transaction ${txHash} stopped at the Wasm time limit`);
      return {
        ...base,
        consumed: result.consumed.toString(),
        errorMessage: result.errorMessage,
        effects: [purseEffect, ...result.effects],
      };
    }
    const token = state.tokens[record.packageHash];
    if (!token) return { ...base, errorMessage: 'ApiError::InvalidPurse', effects: [purseEffect] };
    if (record.contractHash !== undefined && record.contractHash !== token.contractHash) {
      const errorMessage = `Contract is disabled: contract-${record.contractHash}`;
      return { ...base, errorMessage, effects: [purseEffect] };
    }
    const working = structuredClone(token);
    try {
      const effects = executeEntryPoint(working, record.entryPoint, record.args, {
        caller: `00${record.initiatorAccountHash}`,
        blockTimeMs,
        network: this.network,
      });
      state.tokens[token.packageHash] = working;
      return { ...base, errorMessage: null, effects: [purseEffect, ...effects] };
    } catch (error) {
      if (!(error instanceof Revert)) throw error;
      return { ...base, errorMessage: error.message, effects: [purseEffect] };
    }
  }

  /** Contract Wasm bytes by hash (compiled modules are cached by the host). */
  blob(hash: string): Uint8Array | undefined {
    const cached = this.blobCache.get(hash);
    if (cached) return cached;
    const text = this.data.blobs?.[hash];
    if (text === undefined) return undefined;
    const bytes = new Uint8Array(Buffer.from(text, 'base64'));
    this.blobCache.set(hash, bytes);
    return bytes;
  }

  storeBlob(bytes: Uint8Array, hash = bytesToHex(blake2b256(bytes))): string {
    this.data.blobs ??= {};
    if (this.data.blobs[hash] === undefined) {
      this.data.blobs[hash] = Buffer.from(bytes).toString('base64');
    }
    this.blobCache.set(hash, bytes);
    return hash;
  }

  private commitBlock(
    state: WorldState,
    byLane: Record<string, string[]>,
    timestampMs = this.nowMs(),
  ): Block {
    const parent = this.data.blocks[this.data.blocks.length - 1];
    const height = parent ? parent.height + 1 : 0;
    const stateRootHash = stateRootOf(state);
    if (!this.data.states[stateRootHash]) {
      this.data.states[stateRootHash] = state;
      const roots = Object.keys(this.data.states);
      for (const old of roots.slice(0, Math.max(0, roots.length - MAX_STATES))) {
        delete this.data.states[old];
      }
    }
    const transactions = Object.fromEntries(LANES.map((lane) => [lane, byLane[lane] ?? []]));
    const bodyHash = hash(JSON.stringify(transactions));
    const parentHash = parent?.hash ?? '00'.repeat(32);
    const accumulatedSeed = hash(`${parent?.accumulatedSeed ?? this.data.chainName} ${height}`);
    const blockHash = hash(
      JSON.stringify([parentHash, stateRootHash, bodyHash, accumulatedSeed, timestampMs, height]),
    );
    const block: Block = {
      hash: blockHash,
      height,
      parentHash,
      stateRootHash,
      bodyHash,
      accumulatedSeed,
      randomBit: Number.parseInt(accumulatedSeed.slice(-1), 16) % 2 === 1,
      timestampMs,
      transactions,
      proposer: this.validator.publicKey.hex,
      signature: this.signBlock(hexToBytes(blockHash)),
    };
    this.data.blocks.push(block);
    return block;
  }

  /** Whether `packageHash` is a contract package installed from Wasm. */
  isWasmPackage(packageHash: string): boolean {
    return wasmPackage(this.state, packageHash) !== undefined;
  }

  /**
   * Credits CSPR and/or tokens, in a new block. A JS token mints the amount; a Wasm token runs
   * the contract's own `transfer` from the account holding its supply (the installer), as a
   * devnet-internal execution (no transaction, no gas charged). Throws X402InputError, and
   * makes no block, when the contract refuses.
   */
  fund(
    accountHash: string,
    motes: bigint,
    token?: { packageHash: string; owner: string; amount: bigint },
  ): { block: Block; tokenFrom?: string } {
    let tokenFrom: string | undefined;
    const block = this.mine(1, (state, timestampMs) => {
      if (motes > 0n || !token) {
        const account = state.accounts[accountHash] ?? newAccount(accountHash, 0n);
        account.motes = (BigInt(account.motes) + motes).toString();
        state.accounts[accountHash] = account;
      }
      if (!token) return;
      const target = state.tokens[token.packageHash];
      if (target) {
        target.balances[token.owner] = (
          BigInt(target.balances[token.owner] ?? '0') + token.amount
        ).toString();
        target.totalSupply = (BigInt(target.totalSupply) + token.amount).toString();
        return;
      }
      const installer = this.genesisContracts.find((c) => c.packageHash === token.packageHash);
      const holder = supplyHolder(
        state,
        token.packageHash,
        this.data.namedAccounts.find((a) => a.name === installer?.installer)?.accountHash,
      );
      if (holder === undefined) {
        throw new X402InputError(
          'token.package_hash',
          'no account holds a named key to this Wasm package (its installer), so none holds its supply',
        );
      }
      fundFromHolder(
        state,
        { packageHash: token.packageHash, recipient: token.owner, amount: token.amount, holder },
        {
          txHash: hash(`${this.data.chainName} devnet_fund ${this.latestBlock.height + 1}`),
          blockTimeMs: timestampMs,
          blob: (h) => this.blob(h),
        },
      );
      tokenFrom = holder;
    })[0]!;
    return tokenFrom === undefined ? { block } : { block, tokenFrom };
  }

  /** Installs a new token in a new block; hashes follow from the chain name and token count. */
  deployToken(spec: Parameters<typeof newToken>[2]): TokenState {
    const token = newToken(this.data.chainName, this.data.tokensDeployed, spec);
    this.data.tokensDeployed += 1;
    this.mine(1, (state) => {
      state.tokens[token.packageHash] = token;
    });
    return token;
  }

  /**
   * Upgrades a JS token in a new block: a new contract version taking `argLayout`, the
   * current one disabled, its state kept. Answers the token and its new version number.
   */
  upgradeToken(packageHash: string, argLayout: ArgLayout): { token: TokenState; version: number } {
    let token: TokenState | undefined;
    this.mine(1, (state) => {
      token = upgradedToken(state.tokens[packageHash]!, argLayout);
      state.tokens[packageHash] = token;
    });
    return { token: token!, version: versionsOf(token!).length };
  }

  increaseTime(seconds: number): number {
    this.data.clockOffsetMs += seconds * 1000;
    return this.nowMs();
  }

  snapshot(): string {
    const id = String(this.nextSnapshotId++);
    this.snapshots.set(id, this.copyData());
    return id;
  }

  /** Goes back to a snapshot; it and every later snapshot are used up. */
  revert(id: string): boolean {
    const saved = this.snapshots.get(id);
    if (!saved) return false;
    this.data = saved;
    for (const key of [...this.snapshots.keys()]) {
      if (Number(key) >= Number(id)) this.snapshots.delete(key);
    }
    return true;
  }

  /** Committed blocks, states and records are replaced, never mutated, so a shallow copy will do. */
  private copyData(): ChainData {
    return {
      ...this.data,
      namedAccounts: [...this.data.namedAccounts],
      blocks: [...this.data.blocks],
      transactions: { ...this.data.transactions },
      pending: [...this.data.pending],
      states: { ...this.data.states },
      blobs: { ...this.data.blobs },
    };
  }
}
