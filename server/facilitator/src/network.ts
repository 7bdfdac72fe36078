// One configured Casper network at run time: its config, its chain and the fee payer key.
import { addressOfPublicKey } from '@x402-casper/shared';
import { BlockWatcher } from './blocks.js';
import { type Chain, ChainClient } from './chain.js';
import type { AssetConfig, FacilitatorConfig, NetworkConfig } from './config.js';
import { type SigningKey, signingKeyOf } from './transaction.js';

export interface NetworkContext {
  config: NetworkConfig;
  chain: Chain;
  /** Wakes settlements waiting for their transaction when a block comes. */
  blocks: BlockWatcher;
  signingKey: SigningKey;
  /** The fee payer's tagged public key hex and its address (`00` + account hash). */
  feePayer: { publicKey: string; address: string };
}

/** How the core reaches a network: `nodeChains(config)` for real nodes, a fake in tests. */
export type ChainOf = (network: NetworkConfig) => Chain;

/** Each network's node, at its `rpcUrl`, through a ChainClient. */
export const nodeChains =
  (config: FacilitatorConfig): ChainOf =>
  (network) =>
    new ChainClient(network.rpcUrl, config.rpcTimeoutMs, network.blockIntervalMs);

export function networkContexts(
  config: FacilitatorConfig,
  chainOf: ChainOf,
): Map<string, NetworkContext> {
  return new Map(
    config.networks.map((network) => {
      const chain = chainOf(network);
      return [
        network.network,
        {
          config: network,
          chain,
          blocks: new BlockWatcher(chain, config.pollIntervalMs),
          signingKey: signingKeyOf(network.secretKey),
          feePayer: {
            publicKey: network.secretKey.publicKey.hex,
            address: addressOfPublicKey(network.secretKey.publicKey),
          },
        },
      ];
    }),
  );
}

/** The gas payment for settling an authorization signed by `publicKeyHex` (tagged hex). */
export function paymentFor(config: NetworkConfig, publicKeyHex: string): bigint {
  return publicKeyHex.startsWith('02') ? config.secp256k1PaymentMotes : config.paymentMotes;
}

/** The most one settlement can cost: what every pending settlement is counted at. */
export function maxPayment(config: NetworkConfig): bigint {
  const { paymentMotes, secp256k1PaymentMotes } = config;
  // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
  return secp256k1PaymentMotes > paymentMotes ? secp256k1PaymentMotes : paymentMotes;
}

export function assetOf(context: NetworkContext, packageHash: string): AssetConfig | undefined {
  const hash = packageHash.toLowerCase();
  return context.config.assets.find((asset) => asset.packageHash === hash);
}
