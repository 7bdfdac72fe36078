import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import {
  checkSchema,
  isCasperNetwork,
  normalizeAddress,
  X402InputError,
} from '@x402-casper/shared';

export const DemoConfigSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    facilitatorUrl: Type.String({ pattern: '^https?://' }),
    facilitatorApiKey: Type.Optional(Type.String()),
    network: Type.String(),
    payTo: Type.String(),
    asset: Type.Object({
      packageHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      name: Type.String({ minLength: 1 }),
      version: Type.String({ minLength: 1 }),
      decimals: Type.Integer({ minimum: 0, maximum: 36 }),
      symbol: Type.String({ minLength: 1 }),
    }),
  },
  { additionalProperties: false },
);
export type DemoConfig = Static<typeof DemoConfigSchema>;

/** Reads and checks the demo site's JSON config; errors name the field (`config.asset.decimals`). */
export function loadDemoConfig(path: string): DemoConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new X402InputError('config', `cannot read ${path} as JSON: ${(error as Error).message}`);
  }
  const config = checkSchema(DemoConfigSchema, { host: '127.0.0.1', ...(raw as object) }, 'config');
  if (!isCasperNetwork(config.network))
    throw new X402InputError('config.network', 'must be a Casper CAIP-2 id');
  return { ...config, payTo: normalizeAddress(config.payTo, 'config.payTo') };
}
