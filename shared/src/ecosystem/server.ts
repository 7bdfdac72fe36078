import { parsePackageHash } from '../casper/address.js';
import {
  type AssetInput,
  defaultAssetOf,
  findKnownAsset,
  type KnownAsset,
  parseAsset,
  usdAssetOf,
} from '../casper/assets.js';
import { isCasperNetwork } from '../casper/network.js';
import { X402InputError } from '../errors.js';
import { parseAmount } from '../exact/amount.js';
import { EXACT_SCHEME, parseDecimals, parseExactRequirements } from '../exact/requirements.js';
import { parseUint } from '../uint.js';
import type { AssetAmount, Network, Price, SchemeRequirements, SupportedKind } from './types.js';

/** A CEP-18 token with CEP-3009 a site charges in (the shared asset, as written). */
export type CasperAsset = AssetInput;

/** The `extra` of a Casper `exact` requirement: `name` is the signing-domain name. */
type Domain = { name: string; version: string; decimals: number; symbol?: string };

function checkAsset(input: CasperAsset, field: string): [string, Domain] {
  const asset = parseAsset(input, field);
  const domain: Domain = {
    name: asset.domainName,
    version: asset.version,
    decimals: asset.decimals,
  };
  if (asset.symbol !== undefined) domain.symbol = asset.symbol;
  return [asset.packageHash, domain];
}

/** The `extra` a known token's requirements carry. */
const domainOfKnown = (asset: KnownAsset): Domain => ({
  name: asset.domainName,
  version: asset.version,
  decimals: asset.decimals,
  symbol: asset.symbol,
});

/** The domain of `asset` as a facilitator's supported kind advertises it (our facilitator does). */
function advertisedDomain(kind: SupportedKind, asset: string): Partial<Domain> {
  const listed = kind?.extra?.assets;
  if (!Array.isArray(listed)) return {};
  const entry = listed.find(
    (item) => typeof item?.asset === 'string' && item.asset.toLowerCase() === asset.toLowerCase(),
  ) as Record<string, unknown> | undefined;
  if (!entry || typeof entry.name !== 'string' || typeof entry.version !== 'string') return {};
  let decimals: number | undefined;
  try {
    decimals = parseDecimals(entry.decimals, 'decimals');
  } catch {
    decimals = undefined;
  }
  return {
    name: entry.name,
    version: entry.version,
    ...(decimals !== undefined ? { decimals } : {}),
    ...(typeof entry.symbol === 'string' ? { symbol: entry.symbol } : {}),
  };
}

/**
 * The Casper `exact` scheme for @x402/core's `x402ResourceServer` (and so `@x402/express`,
 * `@x402/hono`): turns a route's price into Casper requirements. A price is
 * - token units (`"0.01"`, `0.01`) of the first listed asset, or of the network's default
 *   token (csprUSD on casper:casper and casper:casper-test) when none is listed;
 * - US dollars (`"$0.01"`), paid in the network's dollar stablecoin (csprUSD: 10000 units);
 * - `{amount, asset}` in atomic units of any asset.
 * An asset this scheme neither lists nor knows takes its signing domain from the
 * facilitator's `/supported`, when the facilitator advertises it.
 */
export class ExactCasperServerScheme {
  readonly scheme = EXACT_SCHEME;
  /** Casper `exact` has one way to move tokens, so it uses @x402/core's placeholder method. */
  readonly defaultAssetTransferMethod = 'default';
  readonly paymentFlows = {
    default: { supported: ['authorization'], default: 'authorization' },
  } as const;
  private readonly domains = new Map<string, Domain>();
  /** The asset plain token-unit prices are in: the first one listed, if any. */
  private readonly defaultAsset: string | undefined;

  constructor(options: { assets?: CasperAsset[] } = {}) {
    const assets = options?.assets ?? [];
    if (!Array.isArray(assets)) {
      throw new X402InputError('assets', 'must be a list of tokens');
    }
    const hashes = assets.map((asset, index) => {
      const [packageHash, domain] = checkAsset(asset, `assets[${index}]`);
      this.domains.set(packageHash, domain);
      return packageHash;
    });
    this.defaultAsset = hashes[0];
  }

  /** The signing domain of `asset` on `network`: as listed here, else as known. */
  private domainOf(asset: string, network: string): Domain | undefined {
    const listed = this.domains.get(asset);
    if (listed) return { ...listed };
    const known = findKnownAsset(network, asset);
    return known ? domainOfKnown(known) : undefined;
  }

  async parsePrice(price: Price, network: Network): Promise<AssetAmount> {
    if (!isCasperNetwork(network)) {
      throw new X402InputError('network', 'must be a Casper CAIP-2 id like casper:casper-test');
    }
    if (typeof price === 'object' && price !== null) {
      const asset = parsePackageHash(price.asset, 'price.asset');
      const amount = parseUint(price.amount, 'price.amount');
      if (amount === 0n) throw new X402InputError('price.amount', 'must be greater than zero');
      return {
        asset,
        amount: amount.toString(),
        extra: { ...this.domainOf(asset, network), ...price.extra },
      };
    }
    if (typeof price === 'string' && price.trim().startsWith('$')) {
      const usd = usdAssetOf(network);
      if (!usd) {
        throw new X402InputError(
          'price',
          `dollar prices are paid in a dollar stablecoin, and none is known on ${network}: give token units ("0.01") or {amount, asset}`,
        );
      }
      const domain = this.domainOf(usd.packageHash, network)!;
      const amount = parseAmount(price.trim().slice(1).trim(), domain.decimals, 'price');
      if (amount === 0n) throw new X402InputError('price', 'must be greater than zero');
      return { asset: usd.packageHash, amount: amount.toString(), extra: domain };
    }
    if (typeof price !== 'string' && !(typeof price === 'number' && Number.isFinite(price))) {
      throw new X402InputError(
        'price',
        'must be token units ("0.01"), dollars ("$0.01") or {amount, asset}',
      );
    }
    const asset = this.defaultAsset ?? defaultAssetOf(network)?.packageHash;
    const domain = asset === undefined ? undefined : this.domainOf(asset, network);
    if (asset === undefined || domain === undefined) {
      throw new X402InputError(
        'price',
        `no token to price in on ${network}: list one in assets, or give {amount, asset}`,
      );
    }
    const amount = parseAmount(String(price).trim(), domain.decimals, 'price');
    if (amount === 0n) throw new X402InputError('price', 'must be greater than zero');
    return { asset, amount: amount.toString(), extra: domain };
  }

  async enhancePaymentRequirements(
    requirements: SchemeRequirements,
    supportedKind: SupportedKind,
    _facilitatorExtensions: string[],
  ): Promise<SchemeRequirements> {
    const known = findKnownAsset(requirements.network, requirements.asset);
    const extra: Record<string, unknown> = {
      ...(known ? domainOfKnown(known) : {}),
      ...advertisedDomain(supportedKind, requirements.asset),
      ...requirements.extra,
    };
    if (typeof extra.name !== 'string' || typeof extra.version !== 'string') {
      throw new X402InputError(
        'requirements.extra.name',
        `asset ${requirements.asset} is not listed in ExactCasperServerScheme, not a known token, and the facilitator does not advertise its signing-domain name and version`,
      );
    }
    const exact = parseExactRequirements({ ...requirements, extra });
    if (exact.decimals !== undefined) extra.decimals = exact.decimals;
    return { ...requirements, asset: exact.asset, payTo: exact.payTo, extra };
  }
}
