// The genesis of a devnet: funded accounts and CEP-18 + CEP-3009 tokens.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type ArgLayout,
  addressOfPublicKey,
  normalizeAddress,
  parseArgLayout,
  parsePublicKey,
  parseUint,
  X402InputError,
} from '@x402-casper/shared';
import { DEFAULT_ACCOUNTS, devAccount } from './accounts.js';
import { parseJsonArgs } from './wasm/args.js';
import type { StoredCLValue } from './wasm/bytesrepr.js';

/**
 * Where a token keeps used nonces: `used_nonces` is the CEP-3009 dictionary of that name, which
 * anyone can read; `odra-state` is Odra's own `state` dictionary at item keys the outside
 * cannot derive (the Cep18X402 proof of concept), so the token has no `used_nonces` named key;
 * `hidden` is a dictionary under none of the token's named keys, so nothing outside can read
 * its nonces at all (the CEP's entry points and revert codes otherwise).
 */
export const NONCE_STORAGES = ['used_nonces', 'odra-state', 'hidden'] as const;
export type NonceStorage = (typeof NONCE_STORAGES)[number];

/** The layout a token gets when none is given: Odra's CEP-3009 module (`amount`, u64 windows). */
export const DEFAULT_ARG_LAYOUT: ArgLayout = 'amount-u64';

/** What a token is, as genesis files and devnet_deployToken give it. */
export interface TokenSpec {
  name: string;
  symbol: string;
  decimals: number;
  argLayout: ArgLayout;
  /** The EIP-712 domain name the token signs with (often, not always, its CEP-18 name). */
  domainName: string;
  nonceStorage: NonceStorage;
}

export interface GenesisAccount {
  name: string;
  publicKey: string;
  motes: bigint;
}

export interface GenesisToken extends TokenSpec {
  /** Initial balances by 66-hex address. */
  balances: Array<{ address: string; amount: bigint }>;
}

/** A contract binary installed at genesis by a named genesis account, as a session would. */
export interface GenesisWasmToken {
  /** The file it was read from, as written in the genesis document. */
  path: string;
  wasm: Uint8Array;
  /** The name of the genesis account that installs it. */
  installer: string;
  /** Its install args (for Odra: odra_cfg_* and the init args). */
  args: Map<string, StoredCLValue>;
}

export interface Genesis {
  accounts: GenesisAccount[];
  tokens: GenesisToken[];
  /** `tokens[]` entries with `wasm`: installed in the genesis block, in order. */
  wasmTokens?: GenesisWasmToken[];
}

export const DEFAULT_TOKEN = {
  name: 'Casper x402 Token',
  symbol: 'CX402',
  decimals: 6,
  argLayout: DEFAULT_ARG_LAYOUT,
  domainName: 'Casper x402 Token',
  nonceStorage: 'used_nonces',
} as const satisfies TokenSpec;

export function defaultGenesis(): Genesis {
  const accounts = DEFAULT_ACCOUNTS.map((account) => ({
    name: account.name,
    publicKey: devAccount(account.name).publicKey,
    motes: account.motes,
  }));
  const balances = DEFAULT_ACCOUNTS.filter((account) => account.tokens > 0n).map((account) => ({
    address: addressOfPublicKey(devAccount(account.name).publicKey),
    amount: account.tokens,
  }));
  return { accounts, tokens: [{ ...DEFAULT_TOKEN, balances }] };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function text(value: unknown, field: string, max = 64): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new X402InputError(field, `must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

/** Longest signing-domain name accepted (the name is hashed, so only sanity bounds it). */
export const MAX_DOMAIN_NAME = 128;

/**
 * A token spec's optional fields, each named as its caller spells it: the arg layout (a name
 * or alias, default `amount-u64`), the domain name (default: the CEP-18 name) and the nonce
 * storage (default `used_nonces`).
 */
export function tokenSpec(
  base: { name: string; symbol: string; decimals: number },
  options: { argLayout?: unknown; domainName?: unknown; nonceStorage?: unknown },
  fields: { argLayout: string; domainName: string; nonceStorage: string },
): TokenSpec {
  return {
    ...base,
    argLayout:
      options.argLayout === undefined
        ? DEFAULT_ARG_LAYOUT
        : parseArgLayout(options.argLayout, fields.argLayout),
    domainName:
      options.domainName === undefined
        ? base.name
        : text(options.domainName, fields.domainName, MAX_DOMAIN_NAME),
    nonceStorage:
      options.nonceStorage === undefined
        ? 'used_nonces'
        : parseNonceStorage(options.nonceStorage, fields.nonceStorage),
  };
}

export function parseNonceStorage(value: unknown, field: string): NonceStorage {
  if (!(NONCE_STORAGES as readonly unknown[]).includes(value)) {
    throw new X402InputError(field, `must be one of ${NONCE_STORAGES.join(', ')}`);
  }
  return value as NonceStorage;
}

export function parseDecimals(value: unknown, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 255) {
    throw new X402InputError(field, 'must be a whole number from 0 to 255');
  }
  return value as number;
}

/**
 * An owner as a public key (`01…`/`02…`), an account address (`00…`, `account-hash-…`) or a
 * contract address (`hash-…`). A 66-hex string starting `01` is an ed25519 public key, never a
 * bare `01` package address: write those as `hash-…`.
 */
export function parseOwner(value: unknown, field: string): { address: string; publicKey?: string } {
  const owner = text(value, field, 140).toLowerCase();
  if (/^0[12][0-9a-f]+$/.test(owner)) {
    const publicKey = parsePublicKey(owner, field).hex;
    return { address: addressOfPublicKey(publicKey), publicKey };
  }
  return { address: normalizeAddress(owner, field) };
}

function ownerAddress(value: unknown, field: string, accounts: GenesisAccount[]): string {
  const named = accounts.find((account) => account.name === value);
  return named ? addressOfPublicKey(named.publicKey) : parseOwner(value, field).address;
}

/**
 * Validates a genesis document:
 * `{accounts: [{name, publicKey, motes}], tokens: [{name, symbol, decimals, argLayout?,
 * domainName?, nonceStorage?, balances: {<account name | public key | address>: amount}}]}`.
 * A token entry with `wasm` (a path, relative to the genesis file) is a contract binary
 * instead: `{wasm, installer: <account name>, args: [{name, type, value}]}`, installed in the
 * genesis block by that account as an install session would.
 */
export function parseGenesis(input: unknown, baseDir = process.cwd()): Genesis {
  if (!isRecord(input)) throw new X402InputError('genesis', 'must be a JSON object');
  if (!Array.isArray(input.accounts)) throw new X402InputError('accounts', 'must be an array');
  if (!Array.isArray(input.tokens)) throw new X402InputError('tokens', 'must be an array');
  const accounts: GenesisAccount[] = input.accounts.map((entry, i) => {
    const field = `accounts[${i}]`;
    if (!isRecord(entry)) throw new X402InputError(field, 'must be an object');
    return {
      name: text(entry.name, `${field}.name`),
      publicKey: parsePublicKey(
        text(entry.publicKey, `${field}.publicKey`, 68),
        `${field}.publicKey`,
      ).hex,
      motes: parseUint(entry.motes as string, `${field}.motes`, 512),
    };
  });
  const names = new Set<string>();
  for (const [i, account] of accounts.entries()) {
    if (names.has(account.name)) throw new X402InputError(`accounts[${i}].name`, 'is used twice');
    names.add(account.name);
  }
  const wasmTokens: GenesisWasmToken[] = [];
  const jsTokens = input.tokens.flatMap((entry, i) => {
    const field = `tokens[${i}]`;
    if (!isRecord(entry)) throw new X402InputError(field, 'must be an object');
    if (entry.wasm === undefined) return [{ entry, field }];
    wasmTokens.push(wasmToken(entry, field, accounts, baseDir));
    return [];
  });
  const tokens: GenesisToken[] = jsTokens.map(({ entry, field }) => {
    const balances = entry.balances ?? {};
    if (!isRecord(balances)) {
      throw new X402InputError(`${field}.balances`, 'must be an object of owner → amount');
    }
    const spec = tokenSpec(
      {
        name: text(entry.name, `${field}.name`),
        symbol: text(entry.symbol, `${field}.symbol`, 16),
        decimals: parseDecimals(entry.decimals, `${field}.decimals`),
      },
      entry,
      {
        argLayout: `${field}.argLayout`,
        domainName: `${field}.domainName`,
        nonceStorage: `${field}.nonceStorage`,
      },
    );
    return {
      ...spec,
      balances: Object.entries(balances).map(([owner, amount]) => ({
        address: ownerAddress(owner, `${field}.balances.${owner}`, accounts),
        amount: parseUint(amount as string, `${field}.balances.${owner}`),
      })),
    };
  });
  return wasmTokens.length > 0 ? { accounts, tokens, wasmTokens } : { accounts, tokens };
}

function wasmToken(
  entry: Record<string, unknown>,
  field: string,
  accounts: GenesisAccount[],
  baseDir: string,
): GenesisWasmToken {
  const path = text(entry.wasm, `${field}.wasm`, 4096);
  let wasm: Uint8Array;
  try {
    wasm = new Uint8Array(readFileSync(resolve(baseDir, path)));
  } catch (error) {
    throw new X402InputError(`${field}.wasm`, `cannot read ${path}: ${(error as Error).message}`);
  }
  const installer = text(entry.installer, `${field}.installer`);
  if (!accounts.some((account) => account.name === installer)) {
    throw new X402InputError(`${field}.installer`, 'must name a genesis account');
  }
  return { path, wasm, installer, args: parseJsonArgs(entry.args ?? [], `${field}.args`) };
}

export function loadGenesisFile(path: string): Genesis {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new X402InputError('genesis', `cannot read ${path}: ${(error as Error).message}`);
  }
  return parseGenesis(json, dirname(resolve(path)));
}
