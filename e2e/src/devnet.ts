import { startDevnet } from '@x402-casper/devnet';
import { balancesItemKey, parseAmount } from '@x402-casper/shared';
import { newAccount, type TestAccount } from './accounts.js';

/** How the worker's devnet starts (`test.use({ devnetOptions })`, worker-scoped). */
export interface DevnetOptions {
  /** Milliseconds between blocks; default 500. */
  blockTimeMs?: number;
  /** A genesis of your own instead of the default one (its token "Casper x402 Token"). */
  genesis?: GenesisOptions;
  /**
   * The chain name; default `casper-net-1`. `casper-test` (or `casper`) makes the network id
   * testnet's (mainnet's): the wallet then reads this devnet as its testnet (mainnet) network,
   * as it shows explorer links for those.
   */
  chainName?: string;
  /**
   * A name of the suite's own: tests whose devnet options differ never share a devnet (Playwright
   * gives them other workers). Give one to a suite that moves the clock or stops the facilitator.
   */
  name?: string;
}

/**
 * A genesis of your own. Its accounts are one named `installer` (a fresh key, `devnet.installer`)
 * holding `installerMotes`; every other account is funded with `devnet.fund`. `tokens` are the
 * genesis file's `tokens[]` entries: JS tokens (`{name, symbol, decimals, argLayout?,
 * domainName?, nonceStorage?, balances: {}}`) or Wasm contracts (`{wasm: <absolute path>,
 * installer: 'installer', args}`).
 */
export interface GenesisOptions {
  tokens: Record<string, unknown>[];
  /** Default 1,000,000 CSPR. */
  installerMotes?: string;
  /** Makes the first Wasm contract the genesis installed `devnet.token`, named as given. */
  wasmToken?: { name: string; symbol: string; decimals: number };
}

export interface TestToken {
  name: string;
  symbol: string;
  decimals: number;
  packageHash: string;
  contractHash: string;
}

/** Amounts in whole units: CSPR, and tokens of `token` (default `devnet.token`). */
export interface Funds {
  cspr?: string;
  tokens?: string;
  token?: TestToken;
}

/** An account, by public key hex or anything carrying one. */
export type AccountRef = string | { publicKey: string };
/** An account address (`00` + account hash), or anything carrying one. */
export type AddressRef = string | { address: string };

export interface TestDevnet {
  /** JSON-RPC endpoint, `http://127.0.0.1:<port>/rpc`. */
  rpcUrl: string;
  /** CAIP-2 id, e.g. `casper:casper-net-1`. */
  network: string;
  chainName: string;
  /** The token payments use: the genesis' first token (or `genesis.wasmToken`). */
  token: TestToken;
  tokens: TestToken[];
  /** The genesis account that installed the Wasm contracts (with `genesis` only). */
  installer: TestAccount | undefined;
  /** One JSON-RPC call; throws with the node's message on an error. */
  rpc<T = Record<string, unknown>>(method: string, params?: object): Promise<T>;
  /** Adds CSPR and/or tokens to an account (in a new block). */
  fund(account: AccountRef, funds: Funds): Promise<void>;
  /** A fresh account, funded when `funds` are given. */
  newAccount(funds?: Funds): Promise<TestAccount>;
  /** Makes blocks now (they execute pending transactions). */
  mine(blocks?: number): Promise<void>;
  /** Moves the chain's clock forward (block time; the wall clock stays). */
  increaseTime(seconds: number): Promise<void>;
  /** Token balance in atomic units, read from the token's `balances` dictionary. */
  tokenBalance(account: AddressRef, token?: TestToken): Promise<bigint>;
  /** CSPR balance in motes. */
  csprBalance(account: AccountRef): Promise<bigint>;
  close(): Promise<void>;
}

const MOTES_DECIMALS = 9;
const publicKeyOf = (account: AccountRef) =>
  typeof account === 'string' ? account : account.publicKey;
const addressOf = (account: AddressRef) =>
  typeof account === 'string' ? account : account.address;

async function rpcCall<T>(url: string, method: string, params: object = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as {
    result?: unknown;
    error?: { code: number; message: string; data?: unknown };
  };
  if (body.error) {
    throw new Error(`${method}: ${body.error.message} ${JSON.stringify(body.error.data ?? '')}`);
  }
  return body.result as T;
}

function genesisDocument(genesis: GenesisOptions, installer: TestAccount) {
  return {
    accounts: [
      {
        name: 'installer',
        publicKey: installer.publicKey,
        motes: genesis.installerMotes ?? '1000000000000000',
      },
    ],
    tokens: genesis.tokens,
  };
}

/** Starts a devnet in this process on a free port. */
export async function startTestDevnet(options: DevnetOptions = {}): Promise<TestDevnet> {
  const installer = options.genesis ? newAccount() : undefined;
  const devnet = await startDevnet({
    port: 0,
    blockTimeMs: options.blockTimeMs ?? 500,
    ...(options.chainName ? { chainName: options.chainName } : {}),
    ...(options.genesis && installer
      ? { genesis: genesisDocument(options.genesis, installer) }
      : {}),
  });
  const tokens: TestToken[] = devnet.tokens.map(
    ({ name, symbol, decimals, packageHash, contractHash }) => ({
      name,
      symbol,
      decimals,
      packageHash,
      contractHash,
    }),
  );
  const named = options.genesis?.wasmToken;
  if (named) {
    const contract = devnet.contracts[0];
    if (!contract) throw new Error('devnetOptions.genesis installed no Wasm contract');
    tokens.unshift({
      ...named,
      packageHash: contract.packageHash,
      contractHash: contract.contractHash,
    });
  }
  const token = tokens[0];
  if (!token) throw new Error('the devnet has no token');
  const rpc = <T>(method: string, params?: object) => rpcCall<T>(devnet.rpcUrl, method, params);

  const fund = async (account: AccountRef, funds: Funds) => {
    const paid = funds.token ?? token;
    await rpc('devnet_fund', {
      account: publicKeyOf(account),
      ...(funds.cspr !== undefined
        ? { motes: parseAmount(funds.cspr, MOTES_DECIMALS, 'cspr').toString() }
        : {}),
      ...(funds.tokens !== undefined
        ? {
            token: {
              package_hash: paid.packageHash,
              amount: parseAmount(funds.tokens, paid.decimals, 'tokens').toString(),
            },
          }
        : {}),
    });
  };

  return {
    rpcUrl: devnet.rpcUrl,
    network: devnet.network,
    chainName: devnet.chainName,
    token,
    tokens,
    installer,
    rpc,
    fund,
    async newAccount(funds) {
      const account = newAccount();
      if (funds) await fund(account, funds);
      return account;
    },
    async mine(blocks = 1) {
      await rpc('devnet_mine', { blocks });
    },
    async increaseTime(seconds) {
      await rpc('devnet_increaseTime', { seconds });
    },
    async tokenBalance(account, of = token) {
      const { state_root_hash } = await rpc<{ state_root_hash: string }>(
        'chain_get_state_root_hash',
      );
      try {
        const item = await rpc<{ stored_value: { CLValue: { parsed: string } } }>(
          'state_get_dictionary_item',
          {
            state_root_hash,
            dictionary_identifier: {
              ContractNamedKey: {
                key: `hash-${of.contractHash}`,
                dictionary_name: 'balances',
                dictionary_item_key: balancesItemKey(addressOf(account)),
              },
            },
          },
        );
        return BigInt(item.stored_value.CLValue.parsed);
      } catch (error) {
        // No item: the account never held the token.
        if (/dictionary|not found|No such/i.test(String(error))) return 0n;
        throw error;
      }
    },
    async csprBalance(account) {
      const { balance } = await rpc<{ balance: string }>('query_balance', {
        purse_identifier: { main_purse_under_public_key: publicKeyOf(account) },
      });
      return BigInt(balance);
    },
    close: () => devnet.close(),
  };
}
