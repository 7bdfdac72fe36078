import {
  type Asset,
  CASPER_MAINNET,
  CASPER_TESTNET,
  isCasperNetwork,
  KNOWN_ASSETS,
  parsePackageHash,
  X402InputError,
} from '@x402-casper/shared';
import { readArea, Serial, writeArea } from './store.js';
import { siteText } from './text.js';

export type NetworkKind = 'mainnet' | 'testnet' | 'local';
export const NETWORK_KINDS: readonly NetworkKind[] = ['mainnet', 'testnet', 'local'];

export interface Network {
  kind: NetworkKind;
  /** CAIP-2 id, e.g. `casper:casper-test`; only the local network's can be changed. */
  id: string;
  name: string;
  rpcUrl: string;
}

/** A CEP-18 token the person trusts: amounts of it are shown with these decimals and symbol. */
export type Token = Pick<Asset, 'packageHash' | 'name' | 'decimals'> & { symbol: string };

export interface Settings {
  autoLockMinutes: number;
  activeNetwork: NetworkKind;
  /** Public key of the account that pays; null before the first key exists. */
  activeAccount: string | null;
}

export const DEFAULT_AUTO_LOCK_MINUTES = 15;
export const MAX_AUTO_LOCK_MINUTES = 24 * 60;

export const DEFAULT_NETWORKS: Record<NetworkKind, Network> = {
  mainnet: {
    kind: 'mainnet',
    id: CASPER_MAINNET,
    name: 'Casper Mainnet',
    rpcUrl: 'https://node.mainnet.casper.network/rpc',
  },
  testnet: {
    kind: 'testnet',
    id: CASPER_TESTNET,
    name: 'Casper Testnet',
    rpcUrl: 'https://node.testnet.casper.network/rpc',
  },
  local: {
    kind: 'local',
    id: 'casper:casper-net-1',
    name: 'Local network',
    rpcUrl: 'http://127.0.0.1:11101/rpc',
  },
};

/**
 * Tokens known out of the box: the known tokens of `@x402-casper/shared` (csprUSD on mainnet
 * and testnet), and the token of `x402-casper devnet`'s default genesis, whose package hash
 * is fixed by that genesis and its chain name (casper-net-1).
 */
export const DEFAULT_TOKENS: Record<string, Token[]> = {
  ...Object.fromEntries(
    Object.entries(KNOWN_ASSETS).map(([network, assets]) => [
      network,
      assets.map(({ packageHash, name, symbol, decimals }) => ({
        packageHash,
        name,
        symbol,
        decimals,
      })),
    ]),
  ),
  'casper:casper-net-1': [
    {
      packageHash: '5eba9288cf7c8319df066e805ecc2b3ab6d0138ac4c01d36629f06e8545a1c88',
      name: 'Casper x402 Token',
      symbol: 'CX402',
      decimals: 6,
    },
  ],
};

/**
 * Token lists are saved per network once edited; a network with no saved list has its default
 * list. So a wallet that added a token on one network still gets the defaults of the others
 * (csprUSD included, for wallets older than it), and an edit (a default removed) sticks.
 */
const savedTokens = () => readArea<Record<string, Token[]>>('local', 'tokens', {});

function tokensOf(saved: Record<string, Token[]>, networkId: string): Token[] {
  // Names saved before they were cleaned are cleaned as they are read.
  if (Object.hasOwn(saved, networkId)) {
    return (saved[networkId] ?? []).map((t) => ({ ...t, name: siteText(t.name, 65) || t.symbol }));
  }
  return Object.hasOwn(DEFAULT_TOKENS, networkId) ? (DEFAULT_TOKENS[networkId] ?? []) : [];
}

const DEFAULT_SETTINGS: Settings = {
  autoLockMinutes: DEFAULT_AUTO_LOCK_MINUTES,
  activeNetwork: 'testnet',
  activeAccount: null,
};

export function checkRpcUrl(value: unknown): string {
  if (typeof value !== 'string') throw new X402InputError('rpcUrl', 'must be a URL');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new X402InputError('rpcUrl', 'must be a URL like http://127.0.0.1:11101/rpc');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new X402InputError('rpcUrl', 'must start with http:// or https://');
  }
  if (url.username || url.password) {
    throw new X402InputError('rpcUrl', 'must not contain a user name or password');
  }
  return url.href;
}

export function checkToken(value: unknown): Token {
  const input = (value ?? {}) as Record<string, unknown>;
  const hash = parsePackageHash(input.packageHash);
  // Typed by the person or read from a contract: cleaned like a site's text (bidi controls
  // and invisible characters out), so a name cannot read as another.
  const name = siteText(input.name, 65);
  if (name.length < 1 || name.length > 64) {
    throw new X402InputError('name', 'must be 1–64 characters');
  }
  const symbol = typeof input.symbol === 'string' ? input.symbol.trim() : '';
  // Letters and digits, and dots inside (bridged tokens: USDC.e).
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9.]{0,10}[A-Za-z0-9])?$/.test(symbol)) {
    throw new X402InputError('symbol', 'must be 1–12 letters or digits (dots inside allowed)');
  }
  const decimals = input.decimals;
  if (
    typeof decimals !== 'number' ||
    !Number.isInteger(decimals) ||
    decimals < 0 ||
    decimals > 30
  ) {
    throw new X402InputError('decimals', 'must be a whole number from 0 to 30');
  }
  return { packageHash: hash, name, symbol, decimals };
}

/** Networks, known tokens and preferences, in `storage.local`. */
export class SettingsStore {
  private readonly serial = new Serial();

  async settings(): Promise<Settings> {
    return { ...DEFAULT_SETTINGS, ...(await readArea<Partial<Settings>>('local', 'settings', {})) };
  }

  update(patch: Partial<Settings>): Promise<Settings> {
    return this.serial.run(async () => {
      const next = { ...(await this.settings()) };
      if (patch.autoLockMinutes !== undefined) {
        const minutes = patch.autoLockMinutes;
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_AUTO_LOCK_MINUTES) {
          throw new X402InputError(
            'autoLockMinutes',
            `must be a whole number of minutes from 1 to ${MAX_AUTO_LOCK_MINUTES}`,
          );
        }
        next.autoLockMinutes = minutes;
      }
      if (patch.activeNetwork !== undefined) {
        if (!NETWORK_KINDS.includes(patch.activeNetwork)) {
          throw new X402InputError('activeNetwork', 'must be mainnet, testnet or local');
        }
        next.activeNetwork = patch.activeNetwork;
      }
      if (patch.activeAccount !== undefined) next.activeAccount = patch.activeAccount;
      await writeArea('local', 'settings', next);
      return next;
    });
  }

  async networks(): Promise<Record<NetworkKind, Network>> {
    const saved = await readArea<Partial<Record<NetworkKind, Network>>>('local', 'networks', {});
    return { ...DEFAULT_NETWORKS, ...saved };
  }

  async activeNetwork(): Promise<Network> {
    return (await this.networks())[(await this.settings()).activeNetwork];
  }

  /** Changes a network's RPC URL; the local network's id can change too. */
  updateNetwork(kind: NetworkKind, patch: { rpcUrl?: string; id?: string }): Promise<Network> {
    return this.serial.run(async () => {
      if (!NETWORK_KINDS.includes(kind)) {
        throw new X402InputError('kind', 'must be mainnet, testnet or local');
      }
      const networks = await this.networks();
      const next = { ...networks[kind] };
      if (patch.rpcUrl !== undefined) next.rpcUrl = checkRpcUrl(patch.rpcUrl);
      if (patch.id !== undefined && patch.id !== next.id) {
        if (kind !== 'local') {
          throw new X402InputError('id', 'only the local network id can be changed');
        }
        if (!isCasperNetwork(patch.id)) {
          throw new X402InputError(
            'id',
            'must look like casper:<chain name>, e.g. casper:casper-net-1',
          );
        }
        if (patch.id === CASPER_MAINNET || patch.id === CASPER_TESTNET) {
          throw new X402InputError('id', 'is already the id of mainnet or testnet');
        }
        next.id = patch.id;
      }
      await writeArea('local', 'networks', { ...networks, [kind]: next });
      return next;
    });
  }

  /** Known tokens per network id. */
  async tokens(networkId: string): Promise<Token[]> {
    return tokensOf(await savedTokens(), networkId);
  }

  addToken(networkId: string, token: unknown): Promise<Token> {
    return this.serial.run(async () => {
      if (!isCasperNetwork(networkId))
        throw new X402InputError('network', 'is not a Casper network');
      const checked = checkToken(token);
      const saved = await savedTokens();
      const list = tokensOf(saved, networkId).filter((t) => t.packageHash !== checked.packageHash);
      await writeArea('local', 'tokens', { ...saved, [networkId]: [...list, checked] });
      return checked;
    });
  }

  removeToken(networkId: string, packageHash: string): Promise<void> {
    return this.serial.run(async () => {
      const saved = await savedTokens();
      const list = tokensOf(saved, networkId).filter((t) => t.packageHash !== packageHash);
      await writeArea('local', 'tokens', { ...saved, [networkId]: list });
    });
  }
}
