import { bytesToBase64, bytesToHex, concatBytes, hexToBytes, u32LE } from '../bytes.js';
import { X402InputError } from '../errors.js';
import { accountHashOf, blake2b256, type PublicKey } from './keys.js';

/** Tag bytes of a Casper `Key` used as an x402 address. */
export const ADDRESS_TAG = { account: '00', contract: '01' } as const;

const HASH = /^[0-9a-f]{64}$/;

/** A contract package hash as the x402 wire carries it (`asset`): 64 lower-case hex digits. */
export const PACKAGE_HASH = HASH;

/**
 * A contract package hash typed by a person or written in a config: any case, with or
 * without a `hash-`, `package-` or `contract-package-` prefix → 64 lower-case hex digits.
 */
export function parsePackageHash(input: unknown, field = 'packageHash'): string {
  const hash =
    typeof input === 'string'
      ? input
          .trim()
          .toLowerCase()
          .replace(/^(hash-|package-|contract-package-)/, '')
      : '';
  if (!HASH.test(hash)) {
    throw new X402InputError(field, 'must be the token package hash: 64 hex digits');
  }
  return hash;
}

/**
 * Normalises a Casper address to 66 lower-case hex characters: `00` + account hash or
 * `01` + package hash. Also accepts `account-hash-<hex>` and `hash-<hex>`.
 */
export function normalizeAddress(input: string, field = 'address'): string {
  if (typeof input !== 'string') throw new X402InputError(field, 'must be a string');
  const text = input.toLowerCase();
  let tag: string;
  let hash: string;
  if (text.startsWith('account-hash-')) {
    tag = ADDRESS_TAG.account;
    hash = text.slice('account-hash-'.length);
  } else if (text.startsWith('hash-')) {
    tag = ADDRESS_TAG.contract;
    hash = text.slice('hash-'.length);
  } else {
    tag = text.slice(0, 2);
    hash = text.slice(2);
    if (text.length !== 66 || (tag !== ADDRESS_TAG.account && tag !== ADDRESS_TAG.contract)) {
      throw new X402InputError(
        field,
        'must be 00 or 01 followed by 64 hex digits (or account-hash-… / hash-…)',
      );
    }
  }
  if (!HASH.test(hash)) throw new X402InputError(field, 'hash must be 64 hex digits');
  return tag + hash;
}

/** The account address (`00` + account hash) of a public key. */
export function addressOfPublicKey(publicKey: PublicKey | string): string {
  return ADDRESS_TAG.account + accountHashOf(publicKey);
}

/** The 33 bytes of a Casper `Key` for an address. */
export function addressToKeyBytes(address: string, field = 'address'): Uint8Array {
  return hexToBytes(normalizeAddress(address, field), field, 33);
}

/** `account-hash-…` or `hash-…` form of an address, as casper-js-sdk and RPC identifiers use. */
export function addressToFormattedKey(address: string): string {
  const normalized = normalizeAddress(address);
  const prefix = normalized.startsWith(ADDRESS_TAG.account) ? 'account-hash-' : 'hash-';
  return prefix + normalized.slice(2);
}

/** CEP-18 `balances` dictionary item key: standard base64 of the Key bytes. */
export function balancesItemKey(address: string): string {
  return bytesToBase64(addressToKeyBytes(address));
}

/**
 * CEP-3009 `used_nonces` dictionary item key:
 * hex(blake2b-256(Key bytes ‖ u32-LE(nonce length) ‖ nonce)).
 */
export function usedNonceItemKey(address: string, nonceHex: string): string {
  const nonce = hexToBytes(nonceHex, 'nonce', 32);
  return bytesToHex(
    blake2b256(concatBytes(addressToKeyBytes(address), u32LE(nonce.length), nonce)),
  );
}

/** Odra's storage dictionary: the named key under which Odra contracts keep their state. */
export const ODRA_STATE_DICTIONARY = 'state';

/** The module field index of Cep18X402's `used_nonces` mapping (observed running the binary). */
export const CEP18X402_USED_NONCES_FIELD = 2;

/**
 * The item key under which an Odra contract keeps one entry of a `Mapping<(Address, Bytes), _>`
 * in its `state` dictionary: hex(blake2b-256(u32-BE(the mapping's field index in the module) ‖
 * Key bytes ‖ u32-LE(nonce length) ‖ nonce)). Observed by running the Cep18X402 binary, whose
 * `used_nonces` mapping is field 2.
 */
export function odraNonceItemKey(fieldIndex: number, address: string, nonceHex: string): string {
  if (!Number.isInteger(fieldIndex) || fieldIndex < 0 || fieldIndex > 0xffff_ffff) {
    throw new RangeError('an Odra field index is a u32');
  }
  const index = new Uint8Array(4);
  new DataView(index.buffer).setUint32(0, fieldIndex, false);
  const nonce = hexToBytes(nonceHex, 'nonce', 32);
  return bytesToHex(
    blake2b256(concatBytes(index, addressToKeyBytes(address), u32LE(nonce.length), nonce)),
  );
}
