import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, hexToBytes, uintToBytesBE, utf8ToBytes } from './bytes.js';
import { addressToKeyBytes } from './casper/address.js';
import { parseUint } from './uint.js';

/** The signing domain of a CEP-3009 token (casper-eip-712's Casper domain). */
export const DOMAIN_TYPE =
  'EIP712Domain(string name,string version,string chain_name,bytes32 contract_package_hash)';
export const TRANSFER_WITH_AUTHORIZATION_TYPE =
  'TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)';

const DOMAIN_TYPE_HASH = keccak_256(utf8ToBytes(DOMAIN_TYPE));
export const TRANSFER_WITH_AUTHORIZATION_TYPE_HASH = keccak_256(
  utf8ToBytes(TRANSFER_WITH_AUTHORIZATION_TYPE),
);

export interface TransferWithAuthorizationInput {
  /** The signing domain's name: what the contract signs with (need not be its CEP-18 name). */
  name: string;
  /** The signing-domain version, usually "1". */
  version: string;
  /** The CAIP-2 network id, e.g. `casper:casper-test`. */
  chainName: string;
  /** The token's contract package hash, 64 hex digits. */
  contractPackageHash: string;
  /** 66-hex Casper addresses (`00`/`01` + 32 bytes). */
  from: string;
  to: string;
  value: string | bigint;
  validAfter: string | bigint;
  validBefore: string | bigint;
  /** 32 bytes as 64 hex digits. */
  nonce: string;
}

const keccakString = (text: string) => keccak_256(utf8ToBytes(text));
const word = (value: string | bigint, field: string) =>
  uintToBytesBE(parseUint(value, field), 32, field);

export function domainSeparator(
  name: string,
  version: string,
  chainName: string,
  packageHash: string,
) {
  return keccak_256(
    concatBytes(
      DOMAIN_TYPE_HASH,
      keccakString(name),
      keccakString(version),
      keccakString(chainName),
      hexToBytes(packageHash, 'contractPackageHash', 32),
    ),
  );
}

/** Domain separators already computed, by their inputs: a payment service sees few tokens. */
const separators = new Map<string, Uint8Array>();
const MAX_SEPARATORS = 256;

function cachedDomainSeparator(
  name: string,
  version: string,
  chainName: string,
  packageHash: string,
): Uint8Array {
  const key = JSON.stringify([name, version, chainName, packageHash.toLowerCase()]);
  let separator = separators.get(key);
  if (!separator) {
    separator = domainSeparator(name, version, chainName, packageHash);
    if (separators.size >= MAX_SEPARATORS) separators.clear();
    separators.set(key, separator);
  }
  return separator;
}

/**
 * The EIP-712 digest a CEP-3009 `transfer_with_authorization` signature covers:
 * keccak256(0x19 0x01 ‖ domain separator ‖ struct hash). Addresses enter as keccak256 of
 * their 33 bytes, integers as 32-byte big-endian words.
 */
export function transferWithAuthorizationDigest(input: TransferWithAuthorizationInput): Uint8Array {
  const structHash = keccak_256(
    concatBytes(
      TRANSFER_WITH_AUTHORIZATION_TYPE_HASH,
      keccak_256(addressToKeyBytes(input.from, 'from')),
      keccak_256(addressToKeyBytes(input.to, 'to')),
      word(input.value, 'value'),
      word(input.validAfter, 'validAfter'),
      word(input.validBefore, 'validBefore'),
      hexToBytes(input.nonce, 'nonce', 32),
    ),
  );
  const domain = cachedDomainSeparator(
    input.name,
    input.version,
    input.chainName,
    input.contractPackageHash,
  );
  return keccak_256(concatBytes(new Uint8Array([0x19, 0x01]), domain, structHash));
}

export const CANCEL_AUTHORIZATION_TYPE = 'CancelAuthorization(address authorizer,bytes32 nonce)';
export const CANCEL_AUTHORIZATION_TYPE_HASH = keccak_256(utf8ToBytes(CANCEL_AUTHORIZATION_TYPE));

export interface CancelAuthorizationInput {
  /** The signing domain's name: what the contract signs with (need not be its CEP-18 name). */
  name: string;
  /** The signing-domain version, usually "1". */
  version: string;
  /** The CAIP-2 network id, e.g. `casper:casper-test`. */
  chainName: string;
  /** The token's contract package hash, 64 hex digits. */
  contractPackageHash: string;
  /** 66-hex Casper address of the account whose authorization is cancelled. */
  authorizer: string;
  /** 32 bytes as 64 hex digits: the nonce of the authorization to cancel. */
  nonce: string;
}

/**
 * The EIP-712 digest a CEP-3009 `cancel_authorization` signature covers, under the same
 * Casper domain as {@link transferWithAuthorizationDigest}: struct hash =
 * keccak256(type hash ‖ keccak256(authorizer's 33 bytes) ‖ nonce).
 */
export function cancelAuthorizationDigest(input: CancelAuthorizationInput): Uint8Array {
  const structHash = keccak_256(
    concatBytes(
      CANCEL_AUTHORIZATION_TYPE_HASH,
      keccak_256(addressToKeyBytes(input.authorizer, 'authorizer')),
      hexToBytes(input.nonce, 'nonce', 32),
    ),
  );
  const domain = cachedDomainSeparator(
    input.name,
    input.version,
    input.chainName,
    input.contractPackageHash,
  );
  return keccak_256(concatBytes(new Uint8Array([0x19, 0x01]), domain, structHash));
}
