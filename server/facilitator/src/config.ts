// Facilitator configuration: a JSON file overlaid with X402_FACILITATOR_* environment
// variables, validated into a typed config. Every mistake stops start-up with an
// X402InputError naming the field (and the variable, when one set it).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
import { isPostgresUrl } from './sql.js';

export const ENV_PREFIX = 'X402_FACILITATOR_';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
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

type Kind = 'string' | 'integer' | 'list' | { object: Spec } | { array: Spec };
type Spec = Record<string, Kind>;

const ASSET_SPEC: Spec = {
  packageHash: 'string',
  domainName: 'string',
  name: 'string',
  version: 'string',
  decimals: 'integer',
  symbol: 'string',
  argLayout: 'string',
};

const NETWORK_SPEC: Spec = {
  network: 'string',
  chainName: 'string',
  rpcUrl: 'string',
  secretKeyPath: 'string',
  secretKeyPem: 'string',
  paymentMotes: 'string',
  secp256k1PaymentMotes: 'string',
  blockIntervalMs: 'integer',
  assets: { array: ASSET_SPEC },
};

const ROOT_SPEC: Spec = {
  host: 'string',
  port: 'integer',
  apiKeys: 'list',
  database: 'string',
  bodyLimit: 'integer',
  rateLimit: { object: { max: 'integer', windowMs: 'integer' } },
  settleTimeoutMs: 'integer',
  pollIntervalMs: 'integer',
  leaseMs: 'integer',
  rpcTimeoutMs: 'integer',
  settlementMarginSeconds: 'integer',
  logLevel: 'string',
  networks: { array: NETWORK_SPEC },
};

/** `rpcUrl` → `RPC_URL`. */
function envSegment(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The environment variable name of every setting, for documentation and error messages. */
export function envNames(): string[] {
  const names: string[] = [];
  const walk = (spec: Spec, prefix: string) => {
    for (const [key, kind] of Object.entries(spec)) {
      const name = prefix + envSegment(key);
      if (typeof kind === 'object' && 'object' in kind) walk(kind.object, `${name}_`);
      else if (typeof kind === 'object') {
        names.push(name);
        walk(kind.array, `${name}_<i>_`);
      } else names.push(name);
    }
  };
  walk(ROOT_SPEC, ENV_PREFIX);
  return names;
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
  spec: Spec,
  env: NodeJS.ProcessEnv,
  prefix: string,
  path: string,
  sources: Map<string, string>,
): Json {
  const out: Json = { ...target };
  for (const [key, kind] of Object.entries(spec)) {
    const name = prefix + envSegment(key);
    const fieldPath = path ? `${path}.${key}` : key;
    const value = env[name];
    if (typeof kind === 'object' && 'object' in kind) {
      const current = isObject(out[key]) ? (out[key] as Json) : {};
      const next = overlayEnv(current, kind.object, env, `${name}_`, fieldPath, sources);
      if (Object.keys(next).length > 0 || out[key] !== undefined) out[key] = next;
      continue;
    }
    if (typeof kind === 'object') {
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
          kind.array,
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
    if (kind === 'integer') out[key] = /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    else if (kind === 'list') {
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

class Reader {
  constructor(
    private readonly sources: Map<string, string>,
    private readonly baseDir: string,
  ) {}

  fail(path: string, reason: string): never {
    const source = this.sources.get(path);
    throw new X402InputError(path, source ? `${reason} (set by ${source})` : reason);
  }

  string(obj: Json, key: string, path: string, fallback?: string): string {
    const value = obj[key];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || value.trim() === '')
      this.fail(path, 'must be a non-empty string');
    return value.trim();
  }

  optionalString(obj: Json, key: string, path: string): string | undefined {
    return obj[key] === undefined ? undefined : this.string(obj, key, path);
  }

  integer(obj: Json, key: string, path: string, fallback: number, min: number, max: number) {
    const value = obj[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.fail(path, 'must be a whole number');
    }
    if (value < min || value > max) this.fail(path, `must be between ${min} and ${max}`);
    return value;
  }

  path(obj: Json, key: string, path: string, fallback?: string): string {
    return resolve(this.baseDir, this.string(obj, key, path, fallback));
  }
}

/** Refuses settings the spec does not know, so a misspelt name is not silently ignored. */
function checkKnown(reader: Reader, obj: Json, spec: Spec, path: string): void {
  for (const key of Object.keys(obj)) {
    if (!(key in spec)) reader.fail(path ? `${path}.${key}` : key, 'is not a known setting');
  }
}

function readAsset(reader: Reader, raw: unknown, path: string): AssetConfig {
  if (!isObject(raw)) reader.fail(path, 'must be an object');
  checkKnown(reader, raw, ASSET_SPEC, path);
  let packageHash: string;
  try {
    packageHash = parsePackageHash(
      reader.string(raw, 'packageHash', `${path}.packageHash`),
      `${path}.packageHash`,
    );
  } catch (error) {
    reader.fail(`${path}.packageHash`, (error as X402InputError).reason);
  }
  let argLayout: ArgLayout | undefined;
  const layoutText = reader.optionalString(raw, 'argLayout', `${path}.argLayout`);
  if (layoutText !== undefined) {
    try {
      argLayout = parseArgLayout(layoutText, `${path}.argLayout`);
    } catch (error) {
      reader.fail(`${path}.argLayout`, (error as X402InputError).reason);
    }
  }
  // `name` is the older spelling of `domainName`.
  if (raw.domainName !== undefined && raw.name !== undefined) {
    reader.fail(`${path}.name`, 'is the older name of domainName: set only domainName');
  }
  const domainName =
    raw.name !== undefined
      ? reader.string(raw, 'name', `${path}.name`)
      : reader.string(raw, 'domainName', `${path}.domainName`);
  if (domainName.length > 256) reader.fail(`${path}.domainName`, 'must be at most 256 characters');
  return {
    packageHash,
    domainName,
    version: reader.string(raw, 'version', `${path}.version`, '1'),
    decimals: reader.integer(raw, 'decimals', `${path}.decimals`, Number.NaN, 0, 36),
    symbol: reader.optionalString(raw, 'symbol', `${path}.symbol`),
    argLayout,
  };
}

function readSecretKey(reader: Reader, raw: Json, path: string): SecretKey {
  const hasPath = raw.secretKeyPath !== undefined;
  const hasPem = raw.secretKeyPem !== undefined;
  if (hasPath === hasPem) {
    reader.fail(`${path}.secretKeyPath`, 'set exactly one of secretKeyPath or secretKeyPem');
  }
  let pem: string;
  let field: string;
  if (hasPath) {
    field = `${path}.secretKeyPath`;
    const file = reader.path(raw, 'secretKeyPath', field);
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      reader.fail(field, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  } else {
    field = `${path}.secretKeyPem`;
    pem = reader.string(raw, 'secretKeyPem', field).replace(/\\n/g, '\n');
  }
  try {
    return secretKeyFromPem(pem);
  } catch (error) {
    const reason = error instanceof X402InputError ? error.reason : 'is not a usable PEM key';
    reader.fail(field, `does not hold a Casper secret key: ${reason}`);
  }
}

/** A gas payment in motes (a decimal string, or a number), at least what a node accepts. */
function readMotes(reader: Reader, raw: Json, key: string, path: string, fallback: string): bigint {
  const field = `${path}.${key}`;
  const value = raw[key];
  const text = typeof value === 'number' ? String(value) : (value ?? fallback);
  let motes: bigint;
  try {
    motes = parseUint(text as string, field, 64);
  } catch {
    reader.fail(field, 'must be a whole number of motes as a decimal string');
  }
  if (motes < MIN_PAYMENT_MOTES || motes > U64_MAX) {
    reader.fail(field, 'must be at least 2500000000 (2.5 CSPR)');
  }
  return motes;
}

function readNetwork(reader: Reader, raw: unknown, path: string): NetworkConfig {
  if (!isObject(raw)) reader.fail(path, 'must be an object');
  checkKnown(reader, raw, NETWORK_SPEC, path);
  const network = reader.string(raw, 'network', `${path}.network`);
  let chainName: string;
  try {
    chainName = chainNameOfNetwork(network);
  } catch {
    reader.fail(`${path}.network`, 'must be a CAIP-2 Casper network id like casper:casper-test');
  }
  const explicitChain = reader.optionalString(raw, 'chainName', `${path}.chainName`);
  if (explicitChain !== undefined) {
    try {
      networkOfChainName(explicitChain);
    } catch {
      reader.fail(`${path}.chainName`, 'must be 1–32 letters, digits, - or _');
    }
    chainName = explicitChain;
  }
  const rpcUrl = reader.string(raw, 'rpcUrl', `${path}.rpcUrl`);
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    reader.fail(`${path}.rpcUrl`, 'must be an http(s) URL such as http://127.0.0.1:11101/rpc');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    reader.fail(`${path}.rpcUrl`, 'must be an http(s) URL');
  }
  const paymentMotes = readMotes(reader, raw, 'paymentMotes', path, '10000000000');
  const secp256k1PaymentMotes = readMotes(
    reader,
    raw,
    'secp256k1PaymentMotes',
    path,
    '30000000000',
  );
  const rawAssets = raw.assets;
  if (!Array.isArray(rawAssets) || rawAssets.length === 0) {
    reader.fail(`${path}.assets`, 'must list at least one asset');
  }
  const assets = (rawAssets as unknown[]).map((asset, i) =>
    readAsset(reader, asset, `${path}.assets[${i}]`),
  );
  const seen = new Set<string>();
  assets.forEach((asset, i) => {
    if (seen.has(asset.packageHash)) {
      reader.fail(`${path}.assets[${i}].packageHash`, 'is listed twice');
    }
    seen.add(asset.packageHash);
  });
  return {
    network,
    chainName,
    rpcUrl,
    secretKey: readSecretKey(reader, raw, path),
    paymentMotes,
    secp256k1PaymentMotes,
    blockIntervalMs: reader.integer(
      raw,
      'blockIntervalMs',
      `${path}.blockIntervalMs`,
      8000,
      0,
      600_000,
    ),
    assets,
  };
}

/** A SQLite file (resolved against the config's folder) or a `postgres://` URL, kept as is. */
function readDatabase(reader: Reader, raw: Json): string {
  const database = reader.string(raw, 'database', 'database', './data/facilitator.sqlite');
  if (!isPostgresUrl(database)) return reader.path(raw, 'database', 'database', database);
  let url: URL | undefined;
  try {
    url = new URL(database);
  } catch {}
  if (!url?.hostname || url.pathname.length <= 1) {
    reader.fail('database', 'must be a file path or a URL like postgres://user@host:5432/db');
  }
  return database;
}

/** Validates a raw config object (file JSON with the environment already applied). */
export function parseConfig(
  raw: unknown,
  options: { baseDir?: string; sources?: Map<string, string> } = {},
): FacilitatorConfig {
  const reader: Reader = new Reader(options.sources ?? new Map(), options.baseDir ?? process.cwd());
  if (!isObject(raw)) throw new X402InputError('config', 'must be a JSON object');
  if (raw.chainCache !== undefined) {
    reader.fail(
      'chainCache',
      'is no longer a setting: chain reads are kept for one block (see networks[].blockIntervalMs)',
    );
  }
  checkKnown(reader, raw, ROOT_SPEC, '');
  const apiKeysRaw = raw.apiKeys ?? [];
  if (!Array.isArray(apiKeysRaw)) reader.fail('apiKeys', 'must be a list of strings');
  const apiKeys = (apiKeysRaw as unknown[]).map((key, i) => {
    if (typeof key !== 'string' || key.length < 16 || /\s/.test(key)) {
      reader.fail(`apiKeys[${i}]`, 'must be at least 16 characters without spaces');
    }
    return key;
  });
  const rateLimit: unknown = raw.rateLimit ?? {};
  if (!isObject(rateLimit)) reader.fail('rateLimit', 'must be an object {max, windowMs}');
  checkKnown(reader, rateLimit, { max: 'integer', windowMs: 'integer' }, 'rateLimit');
  const logLevel = reader.string(raw, 'logLevel', 'logLevel', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    reader.fail('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const rawNetworks = raw.networks;
  if (!Array.isArray(rawNetworks) || rawNetworks.length === 0) {
    reader.fail('networks', 'must list at least one network');
  }
  const networks = (rawNetworks as unknown[]).map((network, i) =>
    readNetwork(reader, network, `networks[${i}]`),
  );
  const seen = new Set<string>();
  networks.forEach((network, i) => {
    if (seen.has(network.network)) reader.fail(`networks[${i}].network`, 'is configured twice');
    seen.add(network.network);
  });
  const config: FacilitatorConfig = {
    host: reader.string(raw, 'host', 'host', '127.0.0.1'),
    port: reader.integer(raw, 'port', 'port', 4022, 0, 65_535),
    apiKeys,
    database: readDatabase(reader, raw),
    bodyLimit: reader.integer(raw, 'bodyLimit', 'bodyLimit', 65_536, 1024, 10_485_760),
    rateLimit: {
      max: reader.integer(rateLimit, 'max', 'rateLimit.max', 600, 1, 1_000_000),
      windowMs: reader.integer(
        rateLimit,
        'windowMs',
        'rateLimit.windowMs',
        60_000,
        1000,
        86_400_000,
      ),
    },
    settleTimeoutMs: reader.integer(raw, 'settleTimeoutMs', 'settleTimeoutMs', 30_000, 0, 600_000),
    pollIntervalMs: reader.integer(raw, 'pollIntervalMs', 'pollIntervalMs', 1000, 10, 60_000),
    leaseMs: reader.integer(raw, 'leaseMs', 'leaseMs', 30_000, 1000, 600_000),
    rpcTimeoutMs: reader.integer(raw, 'rpcTimeoutMs', 'rpcTimeoutMs', 10_000, 100, 120_000),
    settlementMarginSeconds: reader.integer(
      raw,
      'settlementMarginSeconds',
      'settlementMarginSeconds',
      30,
      0,
      3600,
    ),
    logLevel: logLevel as LogLevel,
    networks,
  };
  // A driver renews its lease every third of it, after a poll that may take rpcTimeoutMs.
  if (config.rpcTimeoutMs * 3 > config.leaseMs * 2) {
    reader.fail('rpcTimeoutMs', `must be at most two thirds of leaseMs (${config.leaseMs})`);
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
  const merged = overlayEnv(raw, ROOT_SPEC, env, ENV_PREFIX, '', sources);
  return parseConfig(merged, { baseDir, sources });
}
