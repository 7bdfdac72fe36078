// Reading the world state the way a node's global state answers: by formatted Key, by
// path through named keys, and dictionary items by any of the identifiers a node accepts.
import { balancesItemKey } from '@x402-casper/shared';
import { type CLValueJson, cl } from './clvalue.js';
import { invalidParams, rpcError } from './errors.js';
import { accountValue, contractValue, namedKeyValue, packageValue } from './results.js';
import {
  addressOfBalancesItemKey,
  dictionaryAddress,
  nonceDictionary,
  type TokenState,
  tokenByContractHash,
  usedNonceValue,
  type WorldState,
} from './state.js';
import { clValueJson, storedValueJson } from './wasm/json.js';
import { wasmValue } from './wasm/store.js';

const HEX64 = '([0-9a-f]{64})';
const KEY_FORMS: Array<[RegExp, string]> = [
  [new RegExp(`^account-hash-${HEX64}$`), 'account'],
  [new RegExp(`^hash-${HEX64}$`), 'hash'],
  [new RegExp(`^uref-${HEX64}-[0-7]{3}$`), 'uref'],
  [new RegExp(`^dictionary-${HEX64}$`), 'dictionary'],
  [new RegExp(`^balance-${HEX64}$`), 'balance'],
];

/** Splits a formatted Key; throws Invalid params for text that is not a Key. */
export function parseKey(key: unknown, field = 'key'): { kind: string; addr: string } {
  if (typeof key === 'string') {
    for (const [pattern, kind] of KEY_FORMS) {
      const match = pattern.exec(key);
      if (match) return { kind, addr: match[1] as string };
    }
  }
  throw invalidParams(
    field,
    'is not a formatted Key (account-hash-…, hash-…, uref-…, dictionary-…, balance-…)',
  );
}

export type StoredValue = Record<string, unknown>;

interface DictionaryItem {
  address: string;
  value: CLValueJson;
}

/** Every item of a token's `balances` dictionary and of its nonce dictionary. */
function dictionaryItems(token: TokenState): Map<string, CLValueJson> {
  const items = new Map<string, CLValueJson>();
  for (const [address, amount] of Object.entries(token.balances)) {
    items.set(
      dictionaryAddress(token.urefs.balances, balancesItemKey(address)),
      cl.u256(BigInt(amount)),
    );
  }
  for (const itemKey of Object.keys(token.usedNonces)) {
    items.set(dictionaryAddress(nonceDictionary(token), itemKey), usedNonceValue(token));
  }
  return items;
}

function wasmDictionaryItem(state: WorldState, address: string): DictionaryItem | undefined {
  const entry = wasmValue(state, `dictionary-${address}`);
  return entry && 'Dictionary' in entry
    ? { address, value: clValueJson(entry.Dictionary.value) }
    : undefined;
}

function itemInSeed(state: WorldState, seed: string, itemKey: string): DictionaryItem | undefined {
  const address = dictionaryAddress(seed, itemKey);
  const wasmItem = wasmDictionaryItem(state, address);
  if (wasmItem) return wasmItem;
  for (const token of Object.values(state.tokens)) {
    if (seed === token.urefs.balances) {
      const owner = addressOfBalancesItemKey(itemKey);
      const amount = owner === undefined ? undefined : token.balances[owner];
      return amount === undefined ? undefined : { address, value: cl.u256(BigInt(amount)) };
    }
    if (seed === nonceDictionary(token)) {
      return token.usedNonces[itemKey] ? { address, value: usedNonceValue(token) } : undefined;
    }
  }
  return undefined;
}

/** Contract Wasm bytes by blob hash, for ContractWasm values (set by the chain). */
export type BlobReader = (hash: string) => Uint8Array | undefined;
const noBlobs: BlobReader = () => undefined;

function valueAt(
  state: WorldState,
  kind: string,
  addr: string,
  blob: BlobReader = noBlobs,
): StoredValue | undefined {
  if (kind !== 'account') {
    const entry = wasmValue(state, `${kind === 'uref' ? 'uref' : kind}-${addr}`);
    if (entry) return storedValueJson(entry, blob);
  }
  switch (kind) {
    case 'account': {
      const account = state.accounts[addr];
      return account && accountValue(account);
    }
    case 'hash': {
      const pkg = state.tokens[addr];
      if (pkg) return packageValue(pkg);
      const found = tokenByContractHash(state, addr);
      return found && contractValue(found.token, found.contract.argLayout);
    }
    case 'uref': {
      for (const token of Object.values(state.tokens)) {
        const name = Object.entries(token.urefs).find(([, uref]) => uref === addr)?.[0];
        if (name) return { CLValue: namedKeyValue(token, name) };
      }
      return undefined;
    }
    case 'dictionary': {
      for (const token of Object.values(state.tokens)) {
        const value = dictionaryItems(token).get(addr);
        if (value) return { CLValue: value };
      }
      return undefined;
    }
    case 'balance': {
      const account = Object.values(state.accounts).find((a) => a.mainPurse === addr);
      return account && { CLValue: cl.u512(BigInt(account.motes)) };
    }
    default:
      return undefined;
  }
}

const notFound = () => rpcError('queryFailed', 'value was not found in the global state');

/** query_global_state: the value under `key`, then down `path` through named keys. */
export function queryGlobalState(
  state: WorldState,
  key: unknown,
  path: unknown,
  blob: BlobReader = noBlobs,
): StoredValue {
  const parsed = parseKey(key);
  if (path !== undefined && (!Array.isArray(path) || path.some((p) => typeof p !== 'string'))) {
    throw invalidParams('path', 'must be an array of strings');
  }
  let value = valueAt(state, parsed.kind, parsed.addr, blob);
  for (const name of (path ?? []) as string[]) {
    const holder = (value?.Contract ?? value?.Account) as
      | { named_keys: Array<{ name: string; key: string }> }
      | undefined;
    const next = holder?.named_keys.find((namedKey) => namedKey.name === name);
    if (!next) throw notFound();
    const nextKey = parseKey(next.key);
    value = valueAt(state, nextKey.kind, nextKey.addr, blob);
  }
  if (!value) throw notFound();
  return value;
}

const dictionaryUrefError = (reason: string) => rpcError('failedToGetDictionaryURef', reason);

function field(identifier: Record<string, unknown>, name: string, where: string): string {
  const value = identifier[name];
  if (typeof value !== 'string')
    throw invalidParams(`dictionary_identifier.${where}.${name}`, 'must be a string');
  return value;
}

/** state_get_dictionary_item for ContractNamedKey, AccountNamedKey, EntityNamedKey, URef and Dictionary. */
export function dictionaryItem(state: WorldState, identifier: unknown): DictionaryItem {
  if (
    typeof identifier !== 'object' ||
    identifier === null ||
    Object.keys(identifier).length !== 1
  ) {
    throw invalidParams('dictionary_identifier', 'must name exactly one identifier variant');
  }
  const [variant, body] = Object.entries(identifier)[0] as [string, unknown];
  if (variant === 'Dictionary') {
    const key = parseKey(body, 'dictionary_identifier.Dictionary');
    if (key.kind !== 'dictionary')
      throw invalidParams('dictionary_identifier.Dictionary', 'must be a dictionary-… key');
    const wasmItem = wasmDictionaryItem(state, key.addr);
    if (wasmItem) return wasmItem;
    for (const token of Object.values(state.tokens)) {
      const value = dictionaryItems(token).get(key.addr);
      if (value) return { address: key.addr, value };
    }
    throw notFound();
  }
  if (typeof body !== 'object' || body === null) {
    throw invalidParams(`dictionary_identifier.${variant}`, 'must be an object');
  }
  const fields = body as Record<string, unknown>;
  let seed: string;
  if (variant === 'URef') {
    const uref = parseKey(
      field(fields, 'seed_uref', variant),
      'dictionary_identifier.URef.seed_uref',
    );
    if (uref.kind !== 'uref')
      throw invalidParams('dictionary_identifier.URef.seed_uref', 'must be a uref-… key');
    seed = uref.addr;
  } else if (
    variant === 'ContractNamedKey' ||
    variant === 'AccountNamedKey' ||
    variant === 'EntityNamedKey'
  ) {
    const holder = field(fields, 'key', variant);
    const name = field(fields, 'dictionary_name', variant);
    const parsed =
      variant === 'EntityNamedKey'
        ? undefined
        : parseKey(holder, `dictionary_identifier.${variant}.key`);
    const stored = parsed && valueAt(state, parsed.kind, parsed.addr);
    if (!stored) throw notFound();
    const holderValue = (stored.Contract ?? stored.Account) as
      | { named_keys: Array<{ name: string; key: string }> }
      | undefined;
    if (!holderValue || (variant === 'AccountNamedKey') !== Boolean(stored.Account)) {
      throw dictionaryUrefError(
        `the provided dictionary key points at an unexpected type: ${Object.keys(stored)[0]}`,
      );
    }
    const namedKey = holderValue.named_keys.find((candidate) => candidate.name === name);
    if (!namedKey) throw dictionaryUrefError("the provided dictionary name doesn't exist");
    seed = parseKey(namedKey.key).addr;
  } else {
    throw invalidParams('dictionary_identifier', `unknown variant ${variant}`);
  }
  const item = itemInSeed(state, seed, field(fields, 'dictionary_item_key', variant));
  if (!item) throw notFound();
  return item;
}
