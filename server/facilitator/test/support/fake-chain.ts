// A Chain (src/chain.ts) held in memory, for tests of the facilitator's core without a devnet:
// one CEP-18 + CEP-3009 token laid out as Odra's CEP-3009 module (`amount` as U256 with u64
// windows, the CEP's `used_nonces` dictionary and revert codes), CSPR balances by public key, and blocks made
// only when the test calls `mine()`. A submitted transaction runs in the next block as the
// token's `transfer_with_authorization` would: it moves the amount and spends the nonce, or
// reverts with the CEP's code when the nonce is spent or the balance is short. `upgrade()` moves
// the package to a new contract and leaves the old one holding what it held.
import {
  CasperRpcError,
  decodeUnsigned,
  type ExecutionStatus,
  type TokenProfile,
} from '@x402-casper/shared';
import type { BlockView, Chain, GasFunds, ListedBlock, UsableProfile } from '../../src/chain.js';

const profileOf = (contractHash: string): UsableProfile => ({
  usable: true,
  contractHash,
  layout: 'amount-u64',
  nonces: { kind: 'used_nonces' },
  reverts: 'cep3009',
});

/** What a contract version held when its package moved on to a newer one. */
interface OldContract {
  tokens: Map<string, bigint>;
  spent: Set<string>;
}

interface Transaction {
  hash: string;
  args: Map<string, string>;
}

/** The argument's bytes (hex) from the node JSON of a TransactionV1's named runtime args. */
function argsOf(json: string): Transaction {
  const tx = JSON.parse(json) as {
    hash: string;
    payload: { fields: { args: { Named: Array<[string, { bytes: string }]> } } };
  };
  return {
    hash: tx.hash,
    args: new Map(tx.payload.fields.args.Named.map(([name, arg]) => [name, arg.bytes])),
  };
}

/** A Key of an account (tag 00 + its hash) as an x402 address: `00` + the account hash. */
const addressOfKey = (hex: string) => `00${hex.slice(2)}`;

export class FakeChain implements Chain {
  readonly blockIntervalMs = 0;
  /** Token balances by address (`00` + account hash). */
  readonly tokens = new Map<string, bigint>();
  /** CSPR (motes) by tagged public key hex. */
  readonly cspr = new Map<string, bigint>();
  /** Spent nonces, `address:nonce`. */
  readonly spent = new Set<string>();
  /** Every transaction submitted, in order (a resubmission counts again). */
  readonly submitted: string[] = [];
  /** Set to make the next submissions fail as a node refusing them would. */
  refuseSubmissions = false;
  private height = 1;
  private readonly pool: Transaction[] = [];
  private readonly executed = new Map<
    string,
    { blockHeight: number; errorMessage: string | null }
  >();
  private newest: BlockView | undefined;
  /** The package's current contract, and what its earlier contracts held when it moved on. */
  private contractHash = 'c0'.repeat(32);
  private readonly oldContracts = new Map<string, OldContract>();
  private seen: UsableProfile | undefined;

  constructor(private readonly now: () => number) {}

  private block(): BlockView {
    return {
      height: this.height,
      timestampMs: this.now(),
      stateRootHash: `${this.height}`.padStart(64, '0'),
    };
  }

  /** Makes a block, running every transaction waiting for one. */
  mine(): void {
    this.height += 1;
    for (const tx of this.pool.splice(0)) {
      this.executed.set(tx.hash, { blockHeight: this.height, errorMessage: this.run(tx) });
    }
  }

  private run(tx: Transaction): string | null {
    const from = addressOfKey(tx.args.get('from') ?? '');
    const to = addressOfKey(tx.args.get('to') ?? '');
    const amount = decodeUnsigned(tx.args.get('amount') ?? '', 256);
    const nonce = (tx.args.get('nonce') ?? '').slice(-64);
    if (this.spent.has(`${from}:${nonce}`)) return 'User error: 37000';
    const balance = this.tokens.get(from) ?? 0n;
    if (balance < amount) return 'User error: 60001';
    this.tokens.set(from, balance - amount);
    this.tokens.set(to, (this.tokens.get(to) ?? 0n) + amount);
    this.spent.add(`${from}:${nonce}`);
    return null;
  }

  newestSeen(): BlockView | undefined {
    return this.newest;
  }

  async view(): Promise<BlockView> {
    this.newest = this.block();
    return this.newest;
  }

  async newestListed(): Promise<ListedBlock> {
    const block = await this.view();
    const transactions = new Set<string>();
    for (const [hash, { blockHeight }] of this.executed) {
      if (blockHeight === block.height) transactions.add(hash.toLowerCase());
    }
    return { ...block, transactions };
  }

  async accountBalance(publicKeyHex: string): Promise<bigint> {
    return this.cspr.get(publicKeyHex) ?? 0n;
  }

  /** The balance now, as of the block read last (the fake does not charge gas). */
  async gasFunds(publicKeyHex: string, block: BlockView): Promise<GasFunds> {
    return { motes: await this.accountBalance(publicKeyHex), height: block.height };
  }

  /**
   * Moves the package to a new contract, which carries the token's state on; the old contract
   * keeps what it held, as a contract version no longer called does. Answers the new hash.
   */
  upgrade(): string {
    this.oldContracts.set(this.contractHash, {
      tokens: new Map(this.tokens),
      spent: new Set(this.spent),
    });
    this.contractHash = (BigInt(`0x${this.contractHash}`) + 1n).toString(16).padStart(64, '0');
    return this.contractHash;
  }

  async tokenBalance(contractHash: string, address: string): Promise<bigint> {
    const tokens = this.oldContracts.get(contractHash)?.tokens ?? this.tokens;
    return tokens.get(address) ?? 0n;
  }

  async nonceUsed(
    contractHash: string,
    _store: unknown,
    address: string,
    nonce: string,
  ): Promise<boolean> {
    const spent = this.oldContracts.get(contractHash)?.spent ?? this.spent;
    return spent.has(`${address}:${nonce}`);
  }

  profileSeen(): UsableProfile | undefined {
    return this.seen;
  }

  async tokenProfile(): Promise<TokenProfile> {
    const profile = profileOf(this.contractHash);
    this.seen = profile;
    return profile;
  }

  async submit(transactionJson: string): Promise<void> {
    const tx = argsOf(transactionJson);
    if (this.refuseSubmissions) {
      throw new CasperRpcError(
        'account_put_transaction',
        -32016,
        'Invalid transaction',
        'the node refused it (test)',
      );
    }
    this.submitted.push(tx.hash);
    if (!this.executed.has(tx.hash) && !this.pool.some((waiting) => waiting.hash === tx.hash)) {
      this.pool.push(tx);
    }
  }

  async execution(transactionHash: string): Promise<ExecutionStatus> {
    const done = this.executed.get(transactionHash);
    if (done) return { state: 'executed', ...done };
    return this.pool.some((tx) => tx.hash === transactionHash)
      ? { state: 'pending' }
      : { state: 'unknown' };
  }
}
