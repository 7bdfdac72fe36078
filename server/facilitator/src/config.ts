// Facilitator configuration: a JSON file overlaid with X402_FACILITATOR_* environment
// variables, checked against FacilitatorConfigSchema (config-schema.ts: names, types, defaults,
// ranges) and then read into a typed config. Every mistake stops start-up with an
// X402InputError naming the field (and the variable, when one set it).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TObject, TSchema } from '@sinclair/typebox';
import {
  type ArgLayout,
  type Asset,
  chainNameOfNetwork,
  networkOfChainName,
  parseArgLayout,
  parsePackageHash,
  parseUint,
  type SecretKey,
  secretKeyFromPem,
  U64_MAX,
  X402InputError,
} from '@x402-casper/shared';
import {
  ENV_PREFIX,
  envSegment,
  FacilitatorConfigSchema,
  isArraySchema,
  isObjectSchema,
  type LOG_LEVELS,
  settingsOf,
} from './config-schema.js';
import { isPostgresUrl } from './sql.js';

export { ENV_PREFIX } from './config-schema.js';
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Casper nodes refuse a PaymentLimited transaction paying less than 2.5 CSPR. */
export const MIN_PAYMENT_MOTES = 2_500_000_000n;

/** A token the facilitator settles: the shared asset without its CEP-18 name, which it never needs. */
export interface AssetConfig extends Omit<Asset, 'name' | 'symbol'> {
  symbol: string | undefined;
  /** Overrides the argument layout read from the token's entry point on chain. */
  argLayout: ArgLayout | undefined;
}

export interface NetworkConfig {
  network: string;
  chainName: string;
  rpcUrl: string;
  secretKey: SecretKey;
  /** Gas payment per settlement of an ed25519 payer's authorization. */
  paymentMotes: bigint;
  /**
   * Gas payment per settlement of a secp256k1 payer's: tokens that check signatures inside
   * their Wasm (Cep18X402) spend about three times as much on secp256k1 as on ed25519.
   */
  secp256k1PaymentMotes: bigint;
  /**
   * How often the network makes a block (8 s on mainnet and testnet): the newest block, and
   * what changes only in blocks, is read again once the next one is due. 0: at every read.
   */
  blockIntervalMs: number;
  assets: AssetConfig[];
}

export interface FacilitatorConfig {
  host: string;
  port: number;
  apiKeys: string[];
  database: string;
  bodyLimit: number;
  rateLimit: { max: number; windowMs: number };
  /** How long /settle waits for the block before answering settlement_pending. */
  settleTimeoutMs: number;
  pollIntervalMs: number;
  /**
   * How long a replica's claim to follow a settlement lasts without renewal (renewed every
   * poll); rows of a replica that died are taken over by another after this, at the next sweep.
   */
  leaseMs: number;
  rpcTimeoutMs: number;
  /** Time a settlement needs before validBefore; shorter authorizations are refused. */
  settlementMarginSeconds: number;
  logLevel: LogLevel;
  networks: NetworkConfig[];
}

// ---- environment overlay -------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The environment variable name of every setting, for documentation and error messages. */
export function envNames(): string[] {
  return settingsOf(FacilitatorConfigSchema).map((setting) => setting.env);
}

function parseJsonVar(name: string, text: string, shape: 'array'): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new X402InputError(name, `must be JSON (a ${shape})`);
  }
  if (!Array.isArray(value)) throw new X402InputError(name, `must be a JSON ${shape}`);
  return value;
}

/**
 * Overlays `env` onto the raw config object (copying what it changes) and records which
 * variable set each path, so validation errors can name it.
 */
function overlayEnv(
  target: Json,
  schema: TObject,
  env: NodeJS.ProcessEnv,
  prefix: string,
  path: string,
  sources: Map<string, string>,
): Json {
  const out: Json = { ...target };
  for (const [key, property] of Object.entries(schema.properties)) {
    const name = prefix + envSegment(key);
    const fieldPath = path ? `${path}.${key}` : key;
    const value = env[name];
    if (isObjectSchema(property)) {
      const current = isObject(out[key]) ? (out[key] as Json) : {};
      const next = overlayEnv(current, property, env, `${name}_`, fieldPath, sources);
      if (Object.keys(next).length > 0 || out[key] !== undefined) out[key] = next;
      continue;
    }
    if (isArraySchema(property) && isObjectSchema(property.items)) {
      let items: unknown[] = Array.isArray(out[key]) ? [...(out[key] as unknown[])] : [];
      if (value !== undefined) {
        items = parseJsonVar(name, value, 'array');
        sources.set(fieldPath, name);
      }
      const indexPattern = new RegExp(`^${name}_(\\d+)_`);
      let count = items.length;
      for (const envName of Object.keys(env)) {
        const match = indexPattern.exec(envName);
        if (match) count = Math.max(count, Number(match[1]) + 1);
      }
      if (count > 64) throw new X402InputError(name, 'allows at most 64 entries');
      const touched = value !== undefined || count > 0 || out[key] !== undefined;
      for (let i = 0; i < count; i++) {
        const item = isObject(items[i]) ? (items[i] as Json) : {};
        if (items[i] !== undefined && !isObject(items[i])) {
          throw new X402InputError(`${fieldPath}[${i}]`, 'must be an object');
        }
        items[i] = overlayEnv(
          item,
          property.items,
          env,
          `${name}_${i}_`,
          `${fieldPath}[${i}]`,
          sources,
        );
      }
      if (touched) out[key] = items;
      continue;
    }
    if (value === undefined) continue;
    sources.set(fieldPath, name);
    if (property.type === 'integer') {
      out[key] = /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    } else if (isArraySchema(property)) {
      out[key] = value.trim().startsWith('[')
        ? parseJsonVar(name, value, 'array')
        : value
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean);
    } else out[key] = value;
  }
  return out;
}

// ---- validation ----------------------------------------------------------------------

type Fail = (path: string, reason: string) => never;

const isOptional = (parent: TObject, key: string) => !(parent.required ?? []).includes(key);

/**
 * Checks `value` against a schema of config-schema.ts and returns it with the schema's
 * defaults filled in. The messages are the ones the README promises: the first problem, at
 * its path (`networks[0].assets[1].decimals`).
 */
function checked(schema: TSchema, value: unknown, path: string, fail: Fail): unknown {
  if (isObjectSchema(schema)) {
    if (!isObject(value)) fail(path || 'config', 'must be an object');
    const out: Json = {};
    for (const key of Object.keys(value)) {
      if (!(key in schema.properties))
        fail(path ? `${path}.${key}` : key, 'is not a known setting');
    }
    for (const [key, property] of Object.entries(schema.properties)) {
      const field = path ? `${path}.${key}` : key;
      // `null` stands for "not set", as it did before settings had a schema.
      const given = value[key] ?? undefined;
      if (given === undefined && property.default !== undefined) {
        out[key] = checked(property, structuredClone(property.default), field, fail);
      } else if (given === undefined && isOptional(schema, key)) {
      } else {
        out[key] = checked(property, given, field, fail);
      }
    }
    return out;
  }
  if (isArraySchema(schema)) {
    if (!Array.isArray(value)) fail(path, schema.x402Empty ?? 'must be a list');
    if (value.length < (schema.minItems ?? 0)) fail(path, schema.x402Empty ?? 'is too short');
    if (value.length > (schema.maxItems ?? Number.POSITIVE_INFINITY)) {
      fail(path, `allows at most ${schema.maxItems} entries`);
    }
    return value.map((item, i) => checked(schema.items, item, `${path}[${i}]`, fail));
  }
  if (schema.x402Motes) return value; // read as a bigint with its own messages (readMotes)
  if (schema.anyOf) {
    const allowed = (schema.anyOf as TSchema[]).map((option) => option.const as string);
    const choice = typeof value === 'string' ? value.trim() : value;
    if (!allowed.includes(choice as string)) fail(path, `must be one of ${allowed.join(', ')}`);
    return choice;
  }
  if (schema.type === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'must be a whole number');
    if (value < schema.minimum || value > schema.maximum) {
      fail(path, `must be between ${schema.minimum} and ${schema.maximum}`);
    }
    return value;
  }
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'must be a non-empty string');
  const trimmed = value.trim();
  if (schema.maxLength !== undefined && trimmed.length > schema.maxLength) {
    fail(path, `must be at most ${schema.maxLength} characters`);
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    fail(path, schema.x402Pattern ?? `must match ${schema.pattern}`);
  }
  return trimmed;
}

/** A checked asset (AssetSchema) read into an AssetConfig. */
function readAsset(fail: Fail, raw: Json, path: string): AssetConfig {
  const read = <T>(field: string, parse: (field: string) => T): T => {
    try {
      return parse(`${path}.${field}`);
    } catch (error) {
      if (!(error instanceof X402InputError)) throw error;
      return fail(`${path}.${field}`, error.reason);
    }
  };
  // `name` is the older spelling of `domainName`.
  if (raw.domainName !== undefined && raw.name !== undefined) {
    fail(`${path}.name`, 'is the older name of domainName: set only domainName');
  }
  const domainName = (raw.domainName ?? raw.name) as string | undefined;
  if (domainName === undefined) fail(`${path}.domainName`, 'must be a non-empty string');
  return {
    packageHash: read('packageHash', (field) => parsePackageHash(raw.packageHash as string, field)),
    domainName,
    version: raw.version as string,
    decimals: raw.decimals as number,
    symbol: raw.symbol as string | undefined,
    argLayout:
      raw.argLayout === undefined
        ? undefined
        : read('argLayout', (field) => parseArgLayout(raw.argLayout as string, field)),
  };
}

function readSecretKey(fail: Fail, raw: Json, path: string, baseDir: string): SecretKey {
  const hasPath = raw.secretKeyPath !== undefined;
  if (hasPath === (raw.secretKeyPem !== undefined)) {
    fail(`${path}.secretKeyPath`, 'set exactly one of secretKeyPath or secretKeyPem');
  }
  let pem: string;
  const field = `${path}.${hasPath ? 'secretKeyPath' : 'secretKeyPem'}`;
  if (hasPath) {
    const file = resolve(baseDir, raw.secretKeyPath as string);
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      fail(field, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  } else {
    pem = (raw.secretKeyPem as string).replace(/\\n/g, '\n');
  }
  try {
    return secretKeyFromPem(pem);
  } catch (error) {
    const reason = error instanceof X402InputError ? error.reason : 'is not a usable PEM key';
    fail(field, `does not hold a Casper secret key: ${reason}`);
  }
}

/** A gas payment in motes (a decimal string, or a number), at least what a node accepts. */
function readMotes(fail: Fail, value: unknown, field: string): bigint {
  const text = typeof value === 'number' ? String(value) : value;
  let motes: bigint;
  try {
    motes = parseUint(text as string, field, 64);
  } catch {
    fail(field, 'must be a whole number of motes as a decimal string');
  }
  if (motes < MIN_PAYMENT_MOTES || motes > U64_MAX) {
    fail(field, 'must be at least 2500000000 (2.5 CSPR)');
  }
  return motes;
}

/** A checked network (NetworkSchema) read into a NetworkConfig. */
function readNetwork(fail: Fail, raw: Json, path: string, baseDir: string): NetworkConfig {
  const network = raw.network as string;
  let chainName: string;
  try {
    chainName = chainNameOfNetwork(network);
  } catch {
    fail(`${path}.network`, 'must be a CAIP-2 Casper network id like casper:casper-test');
  }
  if (raw.chainName !== undefined) {
    try {
      networkOfChainName(raw.chainName as string);
    } catch {
      fail(`${path}.chainName`, 'must be 1–32 letters, digits, - or _');
    }
    chainName = raw.chainName as string;
  }
  const rpcUrl = raw.rpcUrl as string;
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    fail(`${path}.rpcUrl`, 'must be an http(s) URL such as http://127.0.0.1:11101/rpc');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`${path}.rpcUrl`, 'must be an http(s) URL');
  }
  const assets = (raw.assets as Json[]).map((asset, i) =>
    readAsset(fail, asset, `${path}.assets[${i}]`),
  );
  const seen = new Set<string>();
  assets.forEach((asset, i) => {
    if (seen.has(asset.packageHash)) fail(`${path}.assets[${i}].packageHash`, 'is listed twice');
    seen.add(asset.packageHash);
  });
  return {
    network,
    chainName,
    rpcUrl,
    secretKey: readSecretKey(fail, raw, path, baseDir),
    paymentMotes: readMotes(fail, raw.paymentMotes, `${path}.paymentMotes`),
    secp256k1PaymentMotes: readMotes(
      fail,
      raw.secp256k1PaymentMotes,
      `${path}.secp256k1PaymentMotes`,
    ),
    blockIntervalMs: raw.blockIntervalMs as number,
    assets,
  };
}

/** A SQLite file (resolved against the config's folder) or a `postgres://` URL, kept as is. */
function readDatabase(fail: Fail, database: string, baseDir: string): string {
  if (!isPostgresUrl(database)) return resolve(baseDir, database);
  let url: URL | undefined;
  try {
    url = new URL(database);
  } catch {}
  if (!url?.hostname || url.pathname.length <= 1) {
    fail('database', 'must be a file path or a URL like postgres://user@host:5432/db');
  }
  return database;
}

/** Validates a raw config object (file JSON with the environment already applied). */
export function parseConfig(
  raw: unknown,
  options: { baseDir?: string; sources?: Map<string, string> } = {},
): FacilitatorConfig {
  const sources = options.sources ?? new Map<string, string>();
  const baseDir = options.baseDir ?? process.cwd();
  const fail: Fail = (path, reason) => {
    const source = sources.get(path);
    throw new X402InputError(path, source ? `${reason} (set by ${source})` : reason);
  };
  if (!isObject(raw)) throw new X402InputError('config', 'must be a JSON object');
  if (raw.chainCache !== undefined) {
    fail(
      'chainCache',
      'is no longer a setting: chain reads are kept for one block (see networks[].blockIntervalMs)',
    );
  }
  const settings = checked(FacilitatorConfigSchema, raw, '', fail) as Json;
  const networks = (settings.networks as Json[]).map((network, i) =>
    readNetwork(fail, network, `networks[${i}]`, baseDir),
  );
  const seen = new Set<string>();
  networks.forEach((network, i) => {
    if (seen.has(network.network)) fail(`networks[${i}].network`, 'is configured twice');
    seen.add(network.network);
  });
  const config: FacilitatorConfig = {
    host: settings.host as string,
    port: settings.port as number,
    apiKeys: settings.apiKeys as string[],
    database: readDatabase(fail, settings.database as string, baseDir),
    bodyLimit: settings.bodyLimit as number,
    rateLimit: settings.rateLimit as FacilitatorConfig['rateLimit'],
    settleTimeoutMs: settings.settleTimeoutMs as number,
    pollIntervalMs: settings.pollIntervalMs as number,
    leaseMs: settings.leaseMs as number,
    rpcTimeoutMs: settings.rpcTimeoutMs as number,
    settlementMarginSeconds: settings.settlementMarginSeconds as number,
    logLevel: settings.logLevel as LogLevel,
    networks,
  };
  // A driver renews its lease every third of it, after a poll that may take rpcTimeoutMs.
  if (config.rpcTimeoutMs * 3 > config.leaseMs * 2) {
    fail('rpcTimeoutMs', `must be at most two thirds of leaseMs (${config.leaseMs})`);
  }
  return config;
}

/**
 * Loads the config: the JSON file (optional when the environment sets everything), then the
 * X402_FACILITATOR_* variables on top. Relative paths are resolved against the file's folder
 * (or the working directory without a file).
 */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv): FacilitatorConfig {
  let raw: Json = {};
  let baseDir = process.cwd();
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new X402InputError(
        '--config',
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new X402InputError(
        '--config',
        `${file} is not valid JSON: ${(error as Error).message}`,
      );
    }
    if (!isObject(parsed)) throw new X402InputError('config', `${file} must hold a JSON object`);
    raw = parsed;
    baseDir = dirname(resolve(file));
  }
  const sources = new Map<string, string>();
  const merged = overlayEnv(raw, FacilitatorConfigSchema, env, ENV_PREFIX, '', sources);
  return parseConfig(merged, { baseDir, sources });
}
