// The devnet's global state: accounts with CSPR purses and CEP-18 + CEP-3009 tokens, kept as
// plain JSON (amounts as decimal strings) so it can be hashed, copied and saved.
import {
  addressOfPublicKey,
  base64ToBytes,
  blake2b256,
  bytesToHex,
  concatBytes,
  hexToBytes,
  u32LE,
  utf8ToBytes,
} from '@x402-casper/shared';
import type { ArgLayout, Genesis } from './genesis.js';

export interface AccountState {
  accountHash: string;
  /** Address of the main purse URef. */
  mainPurse: string;
  motes: string;
}

/** The named keys a token contract holds, each a URef address. */
export const TOKEN_NAMED_KEYS = [
  'name',
  'symbol',
  'decimals',
  'total_supply',
  'balances',
  'used_nonces',
] as const;
export type TokenNamedKey = (typeof TOKEN_NAMED_KEYS)[number];

export interface TokenState {
  name: string;
  symbol: string;
  decimals: number;
  argLayout: ArgLayout;
  packageHash: string;
  contractHash: string;
  wasmHash: string;
  /** URef address of the package's access key. */
  accessKey: string;
  urefs: Record<TokenNamedKey, string>;
  totalSupply: string;
  /** Balance by 66-hex address; absent means 0. */
  balances: Record<string, string>;
  /** `used_nonces` item keys (hex) that are set to true. */
  usedNonces: Record<string, true>;
}

export interface WorldState {
  accounts: Record<string, AccountState>;
  /** Tokens by package hash. */
  tokens: Record<string, TokenState>;
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
export function newToken(
  chainName: string,
  index: number,
  spec: { name: string; symbol: string; decimals: number; argLayout: ArgLayout },
): TokenState {
  const seed = `x402-casper devnet ${chainName} token ${index} ${spec.symbol}`;
  const contractHash = hashOf(`${seed} contract`);
  const urefs = Object.fromEntries(
    TOKEN_NAMED_KEYS.map((name) => [name, hashOf(`${seed} uref ${name}`)]),
  ) as Record<TokenNamedKey, string>;
  return {
    ...spec,
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

export function tokenByContractHash(state: WorldState, contractHash: string) {
  return Object.values(state.tokens).find((token) => token.contractHash === contractHash);
}

/** `used_nonces` item key: hex(blake2b-256(Key bytes ‖ u32-LE(nonce length) ‖ nonce)). */
export function nonceItemKey(address: string, nonce: Uint8Array): string {
  return bytesToHex(
    blake2b256(concatBytes(hexToBytes(address, 'from', 33), u32LE(nonce.length), nonce)),
  );
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
