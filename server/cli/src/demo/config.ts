import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import {
  checkSchema,
  defaultAssetOf,
  isCasperNetwork,
  normalizeAddress,
  X402InputError,
} from '@x402-casper/shared';

export const DemoAssetSchema = Type.Object(
  {
    packageHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    /** The token's CEP-18 name; also its signing-domain name unless domainName is set. */
    name: Type.String({ minLength: 1 }),
    /** The EIP-712 domain name the contract signs with (`extra.name`); default `name`. */
    domainName: Type.Optional(Type.String({ minLength: 1 })),
    version: Type.String({ minLength: 1 }),
    decimals: Type.Integer({ minimum: 0, maximum: 36 }),
    symbol: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type DemoAsset = Static<typeof DemoAssetSchema>;

export const DemoConfigSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    facilitatorUrl: Type.String({ pattern: '^https?://' }),
    /** Sent as `Authorization: Bearer <key>` (an x402-casper facilitator's API key). */
    facilitatorApiKey: Type.Optional(Type.String()),
    /** Sent verbatim as `Authorization` (a CSPR.cloud access token). */
    facilitatorAuthorization: Type.Optional(Type.String()),
    network: Type.String(),
    payTo: Type.String(),
    /** Optional on casper:casper and casper:casper-test: csprUSD there. */
    asset: Type.Optional(DemoAssetSchema),
  },
  { additionalProperties: false },
);
export type DemoConfig = Static<typeof DemoConfigSchema>;

/** Environment variables that override the file, as `X402_DEMO_` + the field in upper snake case. */
export const DEMO_ENV_PREFIX = 'X402_DEMO_';
const ENV_FIELDS = [
  'host',
  'port',
  'facilitatorUrl',
  'facilitatorApiKey',
  'facilitatorAuthorization',
  'network',
  'payTo',
] as const;

/** `facilitatorApiKey` → `X402_DEMO_FACILITATOR_API_KEY`. */
export const demoEnvName = (field: string): string =>
  DEMO_ENV_PREFIX + field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** The token a demo on `network` charges in, with its display symbol. */
export function demoAssetOf(config: DemoConfig): DemoAsset {
  if (config.asset) return config.asset;
  const known = defaultAssetOf(config.network);
  if (!known) {
    throw new X402InputError(
      'config.asset',
      `is required on ${config.network}: only casper:casper and casper:casper-test have a default token (csprUSD)`,
    );
  }
  return {
    packageHash: known.packageHash,
    name: known.name,
    domainName: known.domainName,
    version: known.version,
    decimals: known.decimals,
    symbol: known.symbol,
  };
}

/**
 * Reads and checks the demo site's JSON config, with `X402_DEMO_*` variables of `env` on top
 * (`X402_DEMO_FACILITATOR_AUTHORIZATION`, `X402_DEMO_FACILITATOR_API_KEY`, `X402_DEMO_PORT`,
 * …); errors name the field (`config.asset.decimals`) and the variable that set it.
 */
export function loadDemoConfig(
  path: string,
  env: Record<string, string | undefined> = {},
): DemoConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new X402InputError('config', `cannot read ${path} as JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new X402InputError('config', `${path} must hold a JSON object`);
  }
  const merged: Record<string, unknown> = { host: '127.0.0.1', ...(raw as object) };
  const fromEnv = new Map<string, string>();
  for (const field of ENV_FIELDS) {
    const name = demoEnvName(field);
    const value = env[name];
    if (value === undefined || value === '') continue;
    merged[field] = field === 'port' && /^[0-9]{1,5}$/.test(value) ? Number(value) : value;
    fromEnv.set(`config.${field}`, name);
  }
  const named = <T>(check: () => T): T => {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof X402InputError)) throw error;
      const variable = fromEnv.get(error.field);
      throw variable
        ? new X402InputError(error.field, `${error.reason} (set by ${variable})`)
        : error;
    }
  };
  return named(() => {
    const config = checkSchema(DemoConfigSchema, merged, 'config');
    if (!isCasperNetwork(config.network))
      throw new X402InputError('config.network', 'must be a Casper CAIP-2 id');
    if (config.facilitatorApiKey && config.facilitatorAuthorization) {
      throw new X402InputError(
        'config.facilitatorAuthorization',
        'give facilitatorAuthorization (sent as it is) or facilitatorApiKey (sent as Bearer), not both',
      );
    }
    for (const field of ['facilitatorApiKey', 'facilitatorAuthorization'] as const) {
      if (/[\r\n\0]/.test(config[field] ?? '')) {
        throw new X402InputError(`config.${field}`, 'must not contain line breaks (CR, LF) or NUL');
      }
    }
    demoAssetOf(config);
    return { ...config, payTo: normalizeAddress(config.payTo, 'config.payTo') };
  });
}
