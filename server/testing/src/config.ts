// A raw facilitator config, as a JSON file would hold it.
import { type SecretKey, secretKeyToPem } from '@x402-casper/shared';

export interface RawAsset {
  packageHash: string;
  /** The signing-domain name (`name` is its older spelling, still accepted). */
  domainName: string;
  version?: string;
  decimals: number;
  symbol?: string;
  argLayout?: string;
}

/** A raw facilitator config (what a JSON file would hold) for one network. */
export function rawConfig(options: {
  database: string;
  network: string;
  rpcUrl: string;
  feePayer: SecretKey;
  assets: RawAsset[];
  apiKeys?: string[];
  extra?: Record<string, unknown>;
  /** The devnet's block time; 0 (the default) for devnets that mine on demand. */
  blockIntervalMs?: number;
}): Record<string, unknown> {
  return {
    host: '127.0.0.1',
    port: 0,
    apiKeys: options.apiKeys ?? [],
    database: options.database,
    logLevel: 'silent',
    networks: [
      {
        network: options.network,
        rpcUrl: options.rpcUrl,
        secretKeyPem: secretKeyToPem(options.feePayer),
        blockIntervalMs: options.blockIntervalMs ?? 0,
        assets: options.assets,
      },
    ],
    ...options.extra,
  };
}
