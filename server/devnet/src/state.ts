// The devnet's global state: accounts with CSPR purses and CEP-18 + CEP-3009 tokens, kept as
// plain JSON (amounts as decimal strings) so it can be hashed, copied and saved.
import {
  type ArgLayout,
  addressOfPublicKey,
  base64ToBytes,
  blake2b256,
  bytesToHex,
  CEP18X402_USED_NONCES_FIELD,
  concatBytes,
  hexToBytes,
  ODRA_STATE_DICTIONARY,
  odraNonceItemKey,
  parseArgLayout,
  usedNonceItemKey,
  utf8ToBytes,
} from '@x402-casper/shared';
import { type CLValueJson, cl } from './clvalue.js';
import type { Genesis, NonceStorage, TokenSpec } from './genesis.js';
import type { WasmState } from './wasm/store.js';

export interface AccountState {
  accountHash: string;
  /** Address of the main purse URef. */
  mainPurse: string;
  motes: string;
  /** Named keys (name → formatted key), e.g. the package an installed contract left. */
  namedKeys?: Record<string, string>;
}

/** The named keys every token contract holds, each a URef address. */
export const TOKEN_NAMED_KEYS = ['name', 'symbol', 'decimals', 'total_supply', 'balances'] as const;
/**
 * The named key of the dictionary that holds used nonces, by nonce storage; a `hidden` token
 * keeps its dictionary under no named key.
 */
export const NONCE_NAMED_KEY = {
  used_nonces: 'used_nonces',
  'odra-state': ODRA_STATE_DICTIONARY,
  hidden: undefined,
} as const;
export type TokenNamedKey =
  | (typeof TOKEN_NAMED_KEYS)[number]
  | NonNullable<(typeof NONCE_NAMED_KEY)[NonceStorage]>;
/** A token's named keys: the common ones, plus `used_nonces` or `state` by nonce storage. */
export type TokenURefs = Record<(typeof TOKEN_NAMED_KEYS)[number], string> &
  Partial<Record<TokenNamedKey, string>>;

/** One contract version of a token's package: its hash and its transfer_with_authorization layout. */
export interface ContractVersion {
  contractHash: string;
  argLayout: ArgLayout;
}

export interface TokenState {
  name: string;
  symbol: string;
  decimals: number;
  /** The current contract's layout. */
  argLayout: ArgLayout;
  /** The EIP-712 domain name transfer_with_authorization checks signatures under. */
  domainName: string;
  nonceStorage: NonceStorage;
  packageHash: string;
  /** The package's current contract: its newest version, the only enabled one. */
  contractHash: string;
  /**
   * The versions upgrades disabled, oldest first (version 1, 2, …; the current contract is the
   * next one). Absent until the token is first upgraded.
   */
  disabledVersions?: ContractVersion[];
  wasmHash: string;
  /** URef address of the package's access key. */
  accessKey: string;
  urefs: TokenURefs;
  totalSupply: string;
  /** Balance by 66-hex address; absent means 0. */
  balances: Record<string, string>;
  /**
   * Item keys (hex) set to true in the nonce dictionary: `used_nonces` item keys, or for
   * `odra-state` the hidden keys of `state` (see `nonceStorageKey`).
   */
  usedNonces: Record<string, true>;
}

export interface WorldState {
  accounts: Record<string, AccountState>;
  /** Tokens by package hash. */
  tokens: Record<string, TokenState>;
  /** Global state of Wasm contracts (absent until one is installed). */
  wasm?: WasmState;
}

const hashOf = (text: string) => bytesToHex(blake2b256(utf8ToBytes(text)));

export function newAccount(accountHash: string, motes: bigint): AccountState {
  return {
    accountHash,
    mainPurse: hashOf(`main purse of ${accountHash}`),
    motes: motes.toString(),
  };
}

/** A token with hashes derived from the chain name and the token's index on that chain. */
export function newToken(chainName: string, index: number, spec: TokenSpec): TokenState {
  const seed = `x402-casper devnet ${chainName} token ${index} ${spec.symbol}`;
  const contractHash = hashOf(`${seed} contract`);
  const nonceKey = NONCE_NAMED_KEY[spec.nonceStorage];
  const names = nonceKey === undefined ? TOKEN_NAMED_KEYS : [...TOKEN_NAMED_KEYS, nonceKey];
  const urefs = Object.fromEntries(
    names.map((name) => [name, hashOf(`${seed} uref ${name}`)]),
  ) as TokenURefs;
  return {
    name: spec.name,
    symbol: spec.symbol,
    decimals: spec.decimals,
    argLayout: spec.argLayout,
    domainName: spec.domainName,
    nonceStorage: spec.nonceStorage,
    packageHash: hashOf(`${seed} package`),
    contractHash,
    wasmHash: hashOf(`${seed} wasm`),
    accessKey: hashOf(`${seed} access key`),
    urefs,
    totalSupply: '0',
    balances: {},
    usedNonces: {},
  };
}

export function genesisState(chainName: string, genesis: Genesis): WorldState {
  const state: WorldState = { accounts: {}, tokens: {} };
  for (const account of genesis.accounts) {
    const accountHash = addressOfPublicKey(account.publicKey).slice(2);
    const existing = BigInt(state.accounts[accountHash]?.motes ?? '0');
    state.accounts[accountHash] = newAccount(accountHash, existing + account.motes);
  }
  genesis.tokens.forEach((spec, index) => {
    const token = newToken(chainName, index, spec);
    for (const { address, amount } of spec.balances) mint(token, address, amount);
    state.tokens[token.packageHash] = token;
  });
  return state;
}

export function balanceOf(token: TokenState, address: string): bigint {
  return BigInt(token.balances[address] ?? '0');
}

export function setBalance(token: TokenState, address: string, amount: bigint): void {
  token.balances[address] = amount.toString();
}

export function mint(token: TokenState, address: string, amount: bigint): void {
  setBalance(token, address, balanceOf(token, address) + amount);
  token.totalSupply = (BigInt(token.totalSupply) + amount).toString();
}

/** A token's contract versions, oldest first, numbered from 1; only the last is enabled. */
export function versionsOf(
  token: TokenState,
): Array<ContractVersion & { version: number; disabled: boolean }> {
  const disabled = token.disabledVersions ?? [];
  return [...disabled, { contractHash: token.contractHash, argLayout: token.argLayout }].map(
    (contract, index) => ({ ...contract, version: index + 1, disabled: index < disabled.length }),
  );
}

/** The token whose package holds the contract `contractHash`, current or disabled, and that version. */
export function tokenByContractHash(
  state: WorldState,
  contractHash: string,
): { token: TokenState; contract: ReturnType<typeof versionsOf>[number] } | undefined {
  for (const token of Object.values(state.tokens)) {
    const contract = versionsOf(token).find((v) => v.contractHash === contractHash);
    if (contract) return { token, contract };
  }
  return undefined;
}

/**
 * `token` upgraded as a node upgrades a package: a new contract version whose
 * transfer_with_authorization takes `argLayout`, the current one disabled; named keys and
 * state (balances, used nonces) carry over.
 */
export function upgradedToken(token: TokenState, argLayout: ArgLayout): TokenState {
  const disabledVersions = [
    ...(token.disabledVersions ?? []),
    { contractHash: token.contractHash, argLayout: token.argLayout },
  ];
  return {
    ...token,
    argLayout,
    contractHash: hashOf(`${token.packageHash} contract version ${disabledVersions.length + 1}`),
    disabledVersions,
  };
}

/**
 * The URef address of the dictionary a token keeps used nonces in; a `hidden` token's follows
 * from its package hash and is under none of its named keys.
 */
export function nonceDictionary(token: TokenState): string {
  const name = NONCE_NAMED_KEY[token.nonceStorage];
  return name === undefined
    ? hashOf(`${token.packageHash} hidden used nonces`)
    : (token.urefs[name] as string);
}

/**
 * The item key a token stores a used nonce under: the CEP's `used_nonces` item key (also in
 * a `hidden` token's dictionary), or, in Odra's `state` dictionary, the key Cep18X402 really
 * writes (shared's odraNonceItemKey).
 */
export function nonceStorageKey(token: TokenState, from: string, nonceHex: string): string {
  return token.nonceStorage === 'odra-state'
    ? odraNonceItemKey(CEP18X402_USED_NONCES_FIELD, from, nonceHex)
    : usedNonceItemKey(from, nonceHex);
}

/** The value a used nonce's item holds: a bool, or Odra's bool serialized into a List<U8>. */
export function usedNonceValue(token: TokenState): CLValueJson {
  return token.nonceStorage === 'odra-state' ? cl.byteList(new Uint8Array([1])) : cl.bool(true);
}

/**
 * A token as saved by an older devnet, brought to the current shape: no `domainName` (the
 * CEP-18 name was the domain), no `nonceStorage` (`used_nonces`), layout names `cep3009` /
 * `legacy-u256` (now aliases). Tokens already in the current shape come back unchanged.
 */
export function upgradeTokenState(token: TokenState): TokenState {
  const saved = token as Omit<TokenState, 'domainName' | 'nonceStorage'> &
    Partial<Pick<TokenState, 'domainName' | 'nonceStorage'>>;
  return {
    ...saved,
    argLayout: parseArgLayout(saved.argLayout, `state.tokens.${saved.packageHash}.argLayout`),
    domainName: saved.domainName ?? saved.name,
    nonceStorage: saved.nonceStorage ?? 'used_nonces',
  };
}

/** Casper's dictionary item address: blake2b-256(seed URef address ‖ item key bytes). */
export function dictionaryAddress(seedURef: string, itemKey: string): string {
  return bytesToHex(blake2b256(concatBytes(hexToBytes(seedURef), utf8ToBytes(itemKey))));
}

/** The 66-hex address a `balances` item key (base64 of Key bytes) names, if it is one. */
export function addressOfBalancesItemKey(itemKey: string): string | undefined {
  try {
    const bytes = base64ToBytes(itemKey);
    if (bytes.length !== 33 || (bytes[0] !== 0 && bytes[0] !== 1)) return undefined;
    return bytesToHex(bytes);
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted, so equal states hash equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function stateRootOf(state: WorldState): string {
  return hashOf(JSON.stringify(canonical(state)));
}

export function cloneState(state: WorldState): WorldState {
  return structuredClone(state);
}
