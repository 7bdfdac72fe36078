// The shapes @x402/core 2.x gives its scheme plug-ins, written out here so that `shared`
// satisfies them structurally without depending on any @x402 package.

/** A CAIP-2 network id (`casper:casper-test`), typed as @x402/core types it. */
export type Network = `${string}:${string}`;

/** PaymentRequirements as @x402/core passes them to a scheme: `extra` is always present. */
export type SchemeRequirements = {
  scheme: string;
  network: Network;
  asset: string;
  amount: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown>;
};

/** An amount in atomic units of an asset, with the extra fields the requirements need. */
export type AssetAmount = {
  asset: string;
  amount: string;
  extra?: Record<string, unknown>;
};

/** A route's price: token units (`"0.01"`, `0.01`) or an explicit AssetAmount. */
export type Price = string | number | AssetAmount;

/** One entry of a facilitator's `/supported` kinds. */
export type SupportedKind = {
  x402Version: number;
  scheme: string;
  network: Network;
  extra?: Record<string, unknown>;
};
