import { X402InputError } from '../errors.js';
import { parsePackageHash } from './address.js';
import { CASPER_MAINNET, CASPER_TESTNET } from './network.js';

/** A CEP-18 token with CEP-3009: what a site charges in and a facilitator settles. */
export interface Asset {
  /** Contract package hash, 64 lower-case hex digits (the x402 `asset`). */
  packageHash: string;
  /** The token's CEP-18 name. */
  name: string;
  /**
   * The EIP-712 domain name the contract signs with: the requirements' `extra.name`. It may
   * differ from the CEP-18 name (the Cep18X402 proof of concept signs as `Cep18x402`).
   */
  domainName: string;
  /** The signing domain's version: the requirements' `extra.version`. */
  version: string;
  decimals: number;
  symbol?: string;
}

/** An asset as a person or a config writes it: the signing domain defaults to name and "1". */
export type AssetInput = Omit<Asset, 'domainName' | 'version'> &
  Partial<Pick<Asset, 'domainName' | 'version'>>;

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** Checks and normalizes an asset; errors name the field under `field` (`paywall.asset.…`). */
export function parseAsset(input: unknown, field: string): Asset {
  if (typeof input !== 'object' || input === null) {
    throw new X402InputError(field, 'must be an object with the token package hash and name');
  }
  const raw = input as Record<string, unknown>;
  const packageHash = parsePackageHash(raw.packageHash, `${field}.packageHash`);
  if (!nonEmpty(raw.name))
    throw new X402InputError(`${field}.name`, "must be the token's CEP-18 name");
  const domainName = raw.domainName ?? raw.name;
  if (!nonEmpty(domainName)) {
    throw new X402InputError(
      `${field}.domainName`,
      "must be the token's signing-domain name (the EIP-712 domain name), or left out to use name",
    );
  }
  const version = raw.version ?? '1';
  if (!nonEmpty(version)) {
    throw new X402InputError(`${field}.version`, 'must be the signing-domain version, e.g. "1"');
  }
  const { decimals, symbol } = raw;
  if (
    typeof decimals !== 'number' ||
    !Number.isInteger(decimals) ||
    decimals < 0 ||
    decimals > 36
  ) {
    throw new X402InputError(`${field}.decimals`, 'must be a whole number from 0 to 36');
  }
  if (symbol !== undefined && !nonEmpty(symbol)) {
    throw new X402InputError(`${field}.symbol`, 'must be a non-empty string');
  }
  return {
    packageHash,
    name: raw.name,
    domainName,
    version,
    decimals,
    ...(symbol === undefined ? {} : { symbol }),
  };
}

/** A token this product knows without being told. */
export interface KnownAsset extends Asset {
  /** CAIP-2 network the package lives on. */
  network: string;
  symbol: string;
  /** A US-dollar stablecoin: what a `"$0.01"` price is paid in. */
  usd: boolean;
}

const csprUsd = (network: string, packageHash: string): KnownAsset =>
  Object.freeze({
    network,
    packageHash,
    name: 'csprUSD',
    domainName: 'csprUSD',
    version: '1',
    decimals: 6,
    symbol: 'csprUSD',
    usd: true,
  });

/**
 * Known tokens per CAIP-2 network; the first of a network is its default (the token a site
 * charges in when it names none). csprUSD is the default of @x402/casper too.
 */
export const KNOWN_ASSETS: Readonly<Record<string, readonly KnownAsset[]>> = Object.freeze({
  [CASPER_MAINNET]: Object.freeze([
    csprUsd(CASPER_MAINNET, '23036be872bd574590a2c43d4a4eff76b18b4bca815790742841002fdab22cee'),
  ]),
  [CASPER_TESTNET]: Object.freeze([
    csprUsd(CASPER_TESTNET, '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52'),
  ]),
});

const own = (network: string): readonly KnownAsset[] =>
  typeof network === 'string' && Object.hasOwn(KNOWN_ASSETS, network) ? KNOWN_ASSETS[network]! : [];

/** The known tokens of `network` (none for a local network). */
export const knownAssetsOf = (network: string): readonly KnownAsset[] => own(network);

/** The token a site on `network` charges in when it names none: csprUSD on mainnet and testnet. */
export const defaultAssetOf = (network: string): KnownAsset | undefined => own(network)[0];

/** The known token with this package hash on `network`, if any (the hash in any case). */
export function findKnownAsset(network: string, packageHash: string): KnownAsset | undefined {
  if (typeof packageHash !== 'string') return undefined;
  const hash = packageHash.toLowerCase();
  return own(network).find((asset) => asset.packageHash === hash);
}

/** The US-dollar stablecoin of `network` that `"$…"` prices are paid in, if it has one. */
export const usdAssetOf = (network: string): KnownAsset | undefined =>
  own(network).find((asset) => asset.usd);
