import { describe, expect, it } from 'vitest';
import {
  CASPER_MAINNET,
  CASPER_TESTNET,
  defaultAssetOf,
  findKnownAsset,
  KNOWN_ASSETS,
  knownAssetsOf,
  parseAsset,
  parsePackageHash,
  usdAssetOf,
} from '../src/index.js';

const MAINNET_CSPRUSD = '23036be872bd574590a2c43d4a4eff76b18b4bca815790742841002fdab22cee';
const TESTNET_CSPRUSD = '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52';

describe('known assets', () => {
  it.each([
    [CASPER_MAINNET, MAINNET_CSPRUSD],
    [CASPER_TESTNET, TESTNET_CSPRUSD],
  ])('%s defaults to csprUSD (6 decimals, domain csprUSD version 1)', (network, packageHash) => {
    const expected = {
      network,
      packageHash,
      name: 'csprUSD',
      domainName: 'csprUSD',
      version: '1',
      decimals: 6,
      symbol: 'csprUSD',
      usd: true,
    };
    expect(defaultAssetOf(network)).toEqual(expected);
    expect(usdAssetOf(network)).toEqual(expected);
    expect(knownAssetsOf(network)).toEqual([expected]);
    expect(findKnownAsset(network, packageHash.toUpperCase())).toEqual(expected);
  });

  it('knows nothing of other networks, nor of a package on the wrong network', () => {
    for (const network of ['casper:casper-net-1', 'eip155:8453', '', 'constructor', '__proto__']) {
      expect(defaultAssetOf(network)).toBeUndefined();
      expect(knownAssetsOf(network)).toEqual([]);
      expect(usdAssetOf(network)).toBeUndefined();
    }
    expect(findKnownAsset(CASPER_TESTNET, MAINNET_CSPRUSD)).toBeUndefined();
    expect(findKnownAsset(CASPER_MAINNET, 'ab'.repeat(32))).toBeUndefined();
    expect(findKnownAsset(CASPER_MAINNET, 42 as unknown as string)).toBeUndefined();
  });

  it('is one frozen table: a caller cannot change what everyone else sees', () => {
    expect(Object.isFrozen(KNOWN_ASSETS)).toBe(true);
    expect(Object.isFrozen(KNOWN_ASSETS[CASPER_MAINNET])).toBe(true);
    expect(Object.isFrozen(defaultAssetOf(CASPER_MAINNET))).toBe(true);
    expect(Object.keys(KNOWN_ASSETS).sort()).toEqual([CASPER_MAINNET, CASPER_TESTNET]);
  });
});

describe('parsePackageHash', () => {
  const hash = 'ab'.repeat(32);
  it.each([
    hash,
    hash.toUpperCase(),
    `hash-${hash}`,
    `contract-package-${hash}`,
    `package-${hash}`,
    ` ${hash} `,
  ])('reads %s', (input) => {
    expect(parsePackageHash(input)).toBe(hash);
  });

  it.each([
    undefined,
    12,
    '',
    'ab'.repeat(31),
    `account-hash-${hash}`,
    `${hash}00`,
    'zz'.repeat(32),
  ])('refuses %j, naming the field', (input) => {
    expect(() => parsePackageHash(input, 'asset.packageHash')).toThrow(
      expect.objectContaining({ field: 'asset.packageHash' }),
    );
  });
});

describe('parseAsset', () => {
  const hash = 'cd'.repeat(32);
  it('fills the signing domain from name and "1", and lowercases the hash', () => {
    expect(parseAsset({ packageHash: hash.toUpperCase(), name: 'Tok', decimals: 6 }, 'a')).toEqual({
      packageHash: hash,
      name: 'Tok',
      domainName: 'Tok',
      version: '1',
      decimals: 6,
    });
    expect(
      parseAsset(
        {
          packageHash: hash,
          name: 'Tok',
          domainName: 'Tok2',
          version: '2',
          decimals: 0,
          symbol: 'T',
        },
        'a',
      ),
    ).toEqual({
      packageHash: hash,
      name: 'Tok',
      domainName: 'Tok2',
      version: '2',
      decimals: 0,
      symbol: 'T',
    });
  });

  it.each([
    [null, 'a'],
    [{ name: 'Tok', decimals: 6 }, 'a.packageHash'],
    [{ packageHash: hash, decimals: 6 }, 'a.name'],
    [{ packageHash: hash, name: 'Tok', domainName: '', decimals: 6 }, 'a.domainName'],
    [{ packageHash: hash, name: 'Tok', version: '', decimals: 6 }, 'a.version'],
    [{ packageHash: hash, name: 'Tok', decimals: 37 }, 'a.decimals'],
    [{ packageHash: hash, name: 'Tok', decimals: 1.5 }, 'a.decimals'],
    [{ packageHash: hash, name: 'Tok', decimals: '6' }, 'a.decimals'],
    [{ packageHash: hash, name: 'Tok', decimals: 6, symbol: 5 }, 'a.symbol'],
  ])('refuses %j, naming %s', (input, field) => {
    expect(() => parseAsset(input, 'a')).toThrow(expect.objectContaining({ field }));
  });
});
