// A local Casper network for development and tests: `startDevnet()` runs one in-process.
//
// JSON-RPC at POST /rpc, answering like a Casper 2.0 node (sidecar): info_get_status,
// chain_get_state_root_hash, chain_get_block, account_put_transaction, info_get_transaction,
// query_global_state, state_get_dictionary_item, query_balance. Test controls:
// devnet_fund {account, motes?, token?: {package_hash, amount}} (applied in a new block, which
// also executes pooled transactions; a JS token mints, a Wasm token runs the contract's own
// `transfer` from the account holding its package's named key), devnet_deployToken {name, symbol, decimals, arg_layout?,
// domain_name?, nonce_storage?}, devnet_upgradeToken {package_hash, arg_layout} (a new
// contract version of a JS token, the old one disabled),
// devnet_increaseTime {seconds}, devnet_mine {blocks?}, devnet_snapshot → {id},
// devnet_revert {id}. Transactions are checked against the wall clock like a node; blocks
// carry the chain clock (wall clock + devnet_increaseTime), which the token's windows use.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type ArgLayout, X402InputError } from '@x402-casper/shared';
import { Chain, type GenesisContract } from './chain.js';
import {
  DEFAULT_TOKEN,
  defaultGenesis,
  loadGenesisFile,
  type NonceStorage,
  parseGenesis,
} from './genesis.js';
import { createRpcServer } from './rpc.js';

export type { ArgLayout } from '@x402-casper/shared';
export { type DevAccount, defaultDevAccounts, devAccount, devSecretKey } from './accounts.js';
export type { GenesisContract } from './chain.js';
export { devnetCommand } from './command.js';
export { NONCE_STORAGES, type NonceStorage } from './genesis.js';
export { TOKEN_ERRORS } from './token.js';
export { DEFAULT_TOKEN };

export interface DevnetOptions {
  /** 0 picks a free port. Default 11101. */
  port?: number;
  host?: string;
  /** Milliseconds between blocks; 0 = blocks only on `devnet_mine`. Default 1000. */
  blockTimeMs?: number;
  /** Default `casper-net-1`. */
  chainName?: string;
  /** A genesis file path, or a genesis document (see `parseGenesis`). */
  genesis?: string | Record<string, unknown>;
  /** Load the chain from this file if it exists; save it there on `close()`. */
  statePath?: string;
  /** Where log lines go (default: nowhere). */
  log?: (line: string) => void;
}

export interface DevnetToken {
  name: string;
  symbol: string;
  decimals: number;
  packageHash: string;
  contractHash: string;
  /** How transfer_with_authorization names its amount and types its window. */
  argLayout: ArgLayout;
  /** The EIP-712 domain name the token signs with; its CEP-18 `name` unless set apart. */
  domainName: string;
  /**
   * `used_nonces` (a readable dictionary), `odra-state` (no `used_nonces` named key) or
   * `hidden` (its nonces under no named key at all).
   */
  nonceStorage: NonceStorage;
}

export interface Devnet {
  rpcUrl: string;
  chainName: string;
  /** CAIP-2 id, e.g. `casper:casper-net-1`. */
  network: string;
  tokens: DevnetToken[];
  accounts: Array<{ name: string; publicKey: string; accountHash: string }>;
  /** Wasm contracts the genesis file installed (`tokens[].wasm`), in order. */
  contracts: GenesisContract[];
  close(): Promise<void>;
}

function openChain(options: DevnetOptions): Chain {
  const chainName = options.chainName ?? 'casper-net-1';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(chainName)) {
    throw new X402InputError('chainName', 'must be 1–64 letters, digits, ".", "_" or "-"');
  }
  if (options.statePath && existsSync(options.statePath)) {
    const chain = Chain.fromSaved(readFileSync(options.statePath, 'utf8'));
    if (options.chainName && options.chainName !== chain.chainName) {
      throw new X402InputError(
        'chainName',
        `is ${options.chainName} but ${options.statePath} holds chain ${chain.chainName}`,
      );
    }
    return chain;
  }
  const genesis =
    options.genesis === undefined
      ? defaultGenesis()
      : typeof options.genesis === 'string'
        ? loadGenesisFile(options.genesis)
        : parseGenesis(options.genesis);
  return Chain.fromGenesis(chainName, genesis);
}

export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const log = options.log ?? (() => {});
  const blockTimeMs = options.blockTimeMs ?? 1000;
  if (!Number.isSafeInteger(blockTimeMs) || blockTimeMs < 0) {
    throw new X402InputError('blockTimeMs', 'must be a whole number ≥ 0');
  }
  const chain = openChain(options);
  chain.log = log;
  const app = createRpcServer(chain, log);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 11101, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const timer = blockTimeMs > 0 ? setInterval(() => chain.mine(1), blockTimeMs) : undefined;
  let closed: Promise<void> | undefined;
  return {
    rpcUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}/rpc`,
    chainName: chain.chainName,
    network: chain.network,
    tokens: chain.tokens().map((token) => ({
      name: token.name,
      symbol: token.symbol,
      decimals: token.decimals,
      packageHash: token.packageHash,
      contractHash: token.contractHash,
      argLayout: token.argLayout,
      domainName: token.domainName,
      nonceStorage: token.nonceStorage,
    })),
    accounts: chain.namedAccounts.map((account) => ({ ...account })),
    contracts: chain.genesisContracts.map((contract) => ({ ...contract })),
    close() {
      closed ??= (async () => {
        if (timer) clearInterval(timer);
        await app.close();
        if (options.statePath) {
          const partial = `${options.statePath}.partial`;
          writeFileSync(partial, chain.save());
          renameSync(partial, options.statePath);
          log(`state saved to ${options.statePath}`);
        }
      })();
      return closed;
    },
  };
}
