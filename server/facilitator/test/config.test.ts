import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecretKey, secretKeyToPem, X402InputError } from '@x402-casper/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envNames, loadConfig } from '../src/config.js';

const PACKAGE = 'ab'.repeat(32);
const key = generateSecretKey('ed25519');
let dir: string;

function baseConfig(overrides: Record<string, unknown> = {}) {
  return {
    apiKeys: ['0123456789abcdef-key'],
    database: './ledger.sqlite',
    networks: [
      {
        network: 'casper:casper-test',
        rpcUrl: 'http://127.0.0.1:11101/rpc',
        secretKeyPath: './fee-payer.pem',
        assets: [{ packageHash: PACKAGE, name: 'Casper x402 Token', decimals: 6 }],
      },
    ],
    ...overrides,
  };
}

function writeConfig(value: unknown, name = 'config.json'): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

function errorOf(run: () => unknown): X402InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof X402InputError) return error;
    throw error;
  }
  throw new Error('expected an X402InputError');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'facilitator-config-'));
  writeFileSync(join(dir, 'fee-payer.pem'), secretKeyToPem(key));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('reads the file, fills defaults and resolves paths against its folder', () => {
    const config = loadConfig(writeConfig(baseConfig()), {});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(4022);
    expect(config.database).toBe(join(dir, 'ledger.sqlite'));
    const [network] = config.networks;
    expect(network!.chainName).toBe('casper-test');
    expect(network!.paymentMotes).toBe(10_000_000_000n);
    expect(network!.secp256k1PaymentMotes).toBe(30_000_000_000n);
    expect(network!.secretKey.publicKey.hex).toBe(key.publicKey.hex);
    expect(network!.assets[0]).toEqual({
      packageHash: PACKAGE,
      domainName: 'Casper x402 Token',
      version: '1',
      decimals: 6,
      symbol: undefined,
      // Read from the token's entry point on chain unless set.
      argLayout: undefined,
    });
  });

  it('lets environment variables override and extend every field', () => {
    const file = writeConfig(baseConfig());
    const config = loadConfig(file, {
      X402_FACILITATOR_PORT: '5000',
      X402_FACILITATOR_API_KEYS: 'first-key-0123456789, second-key-0123456789',
      X402_FACILITATOR_RATE_LIMIT_MAX: '7',
      X402_FACILITATOR_NETWORKS_0_BLOCK_INTERVAL_MS: '500',
      X402_FACILITATOR_LEASE_MS: '5000',
      X402_FACILITATOR_RPC_TIMEOUT_MS: '3000',
      X402_FACILITATOR_NETWORKS_0_RPC_URL: 'https://node.testnet.example/rpc',
      X402_FACILITATOR_NETWORKS_0_ASSETS_0_ARG_LAYOUT: 'legacy-u256',
      X402_FACILITATOR_NETWORKS_1_NETWORK: 'casper:casper-net-1',
      X402_FACILITATOR_NETWORKS_1_CHAIN_NAME: 'casper-net-1',
      X402_FACILITATOR_NETWORKS_1_RPC_URL: 'http://127.0.0.1:11102/rpc',
      X402_FACILITATOR_NETWORKS_1_SECRET_KEY_PEM: secretKeyToPem(key).replace(/\n/g, '\\n'),
      X402_FACILITATOR_NETWORKS_1_ASSETS: JSON.stringify([
        { packageHash: `hash-${'CD'.repeat(32)}`, name: 'Other', decimals: 2, symbol: 'OT' },
      ]),
    });
    expect(config.port).toBe(5000);
    expect(config.apiKeys).toEqual(['first-key-0123456789', 'second-key-0123456789']);
    expect(config.rateLimit).toEqual({ max: 7, windowMs: 60_000 });
    expect(config.networks[0]!.blockIntervalMs).toBe(500);
    expect(config.networks[1]!.blockIntervalMs).toBe(8000);
    expect(config.leaseMs).toBe(5000);
    expect(config.networks[0]!.rpcUrl).toBe('https://node.testnet.example/rpc');
    expect(config.networks[0]!.assets[0]!.argLayout).toBe('amount-u256');
    expect(config.networks[1]!.network).toBe('casper:casper-net-1');
    expect(config.networks[1]!.secretKey.publicKey.hex).toBe(key.publicKey.hex);
    expect(config.networks[1]!.assets[0]!.packageHash).toBe('cd'.repeat(32));
  });

  it('takes the signing-domain name as domainName (name is its older spelling)', () => {
    const asset = { packageHash: PACKAGE, domainName: 'Cep18x402', decimals: 2 };
    const base = baseConfig();
    base.networks[0]!.assets = [asset as never];
    const config = loadConfig(writeConfig(base), {
      X402_FACILITATOR_NETWORKS_0_ASSETS_0_ARG_LAYOUT: 'value-u64',
    });
    expect(config.networks[0]!.assets[0]).toMatchObject({
      domainName: 'Cep18x402',
      argLayout: 'value-u64',
    });
  });

  it('reads null as not set, and trims a chosen value as it trims every string', () => {
    const config = loadConfig(
      writeConfig(baseConfig({ port: null, rateLimit: null, apiKeys: null, logLevel: ' debug ' })),
      { X402_FACILITATOR_HOST: ' 0.0.0.0 ' },
    );
    expect(config).toMatchObject({
      port: 4022,
      rateLimit: { max: 600, windowMs: 60_000 },
      apiKeys: [],
      logLevel: 'debug',
      host: '0.0.0.0',
    });
  });

  it('runs from the environment alone, relative paths against the working directory', () => {
    const config = loadConfig(undefined, {
      X402_FACILITATOR_NETWORKS: JSON.stringify(baseConfig().networks).replace(
        './fee-payer.pem',
        join(dir, 'fee-payer.pem'),
      ),
      X402_FACILITATOR_DATABASE: 'data/x.sqlite',
    });
    expect(config.database).toBe(join(process.cwd(), 'data/x.sqlite'));
    expect(config.networks).toHaveLength(1);
  });

  it.each([
    [{ port: 70_000 }, 'port', 'between 0 and 65535'],
    [{ apiKeys: ['short'] }, 'apiKeys[0]', 'at least 16 characters'],
    [{ networks: [] }, 'networks', 'at least one network'],
    [{ rateLimit: { max: 0 } }, 'rateLimit.max', 'between'],
    [{ logLevel: 'loud' }, 'logLevel', 'one of'],
    [{ chainCache: { nonceMs: 1000 } }, 'chainCache', 'kept for one block'],
    [{ leaseMs: 999 }, 'leaseMs', 'between 1000 and 600000'],
    [{ leaseMs: 6000, rpcTimeoutMs: 4001 }, 'rpcTimeoutMs', 'two thirds of leaseMs (6000)'],
    [{ database: 'postgres://' }, 'database', 'postgres://user@host:5432/db'],
    [{ prot: 1 }, 'prot', 'not a known setting'],
  ])('names the field of a bad top-level setting %j', (overrides, field, reason) => {
    const error = errorOf(() => loadConfig(writeConfig(baseConfig(overrides)), {}));
    expect(error.field).toBe(field);
    expect(error.reason).toContain(reason);
  });

  it.each([
    [{ network: 'casper-test' }, 'networks[0].network', 'CAIP-2'],
    [{ chainName: 'bad name!' }, 'networks[0].chainName', 'letters'],
    [{ rpcUrl: 'ftp://node' }, 'networks[0].rpcUrl', 'http(s) URL'],
    [{ rpcUrl: 'not a url' }, 'networks[0].rpcUrl', 'http(s) URL'],
    [{ paymentMotes: '100' }, 'networks[0].paymentMotes', '2.5 CSPR'],
    [{ paymentMotes: '3e9' }, 'networks[0].paymentMotes', 'decimal string'],
    [{ blockIntervalMs: -1 }, 'networks[0].blockIntervalMs', 'between 0 and 600000'],
    [{ secp256k1PaymentMotes: '100' }, 'networks[0].secp256k1PaymentMotes', '2.5 CSPR'],
    [{ secp256k1PaymentMotes: 'lots' }, 'networks[0].secp256k1PaymentMotes', 'decimal string'],
    [{ secretKeyPath: './missing.pem' }, 'networks[0].secretKeyPath', 'ENOENT'],
    [{ secretKeyPem: 'x' }, 'networks[0].secretKeyPath', 'exactly one'],
    [{ assets: [] }, 'networks[0].assets', 'at least one asset'],
    [
      { assets: [{ packageHash: 'ab', name: 'T', decimals: 6 }] },
      'networks[0].assets[0].packageHash',
      '64 hex',
    ],
    [
      { assets: [{ packageHash: PACKAGE, name: 'T' }] },
      'networks[0].assets[0].decimals',
      'whole number',
    ],
    [
      { assets: [{ packageHash: PACKAGE, decimals: 6 }] },
      'networks[0].assets[0].domainName',
      'non-empty',
    ],
    [
      { assets: [{ packageHash: PACKAGE, domainName: 'T', name: 'T', decimals: 6 }] },
      'networks[0].assets[0].name',
      'set only domainName',
    ],
    [
      { assets: [{ packageHash: PACKAGE, domainName: 'x'.repeat(257), decimals: 6 }] },
      'networks[0].assets[0].domainName',
      'at most 256',
    ],
    [
      { assets: [{ packageHash: PACKAGE, name: 'T', decimals: 6, argLayout: 'v9' }] },
      'networks[0].assets[0].argLayout',
      'amount-u64, value-u64, amount-u256, cep3009, legacy-u256',
    ],
    [
      {
        assets: [
          { packageHash: PACKAGE, name: 'T', decimals: 6 },
          { packageHash: PACKAGE.toUpperCase(), name: 'U', decimals: 6 },
        ],
      },
      'networks[0].assets[1].packageHash',
      'twice',
    ],
    [{ rpcURL: 'http://x' }, 'networks[0].rpcURL', 'not a known setting'],
  ])('names the field of a bad network setting %j', (change, field, reason) => {
    const config = baseConfig();
    Object.assign(config.networks[0]!, change);
    const error = errorOf(() => loadConfig(writeConfig(config), {}));
    expect(error.field).toBe(field);
    expect(error.reason).toContain(reason);
  });

  it('refuses a PEM that holds no secret key', () => {
    writeFileSync(
      join(dir, 'public.pem'),
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
    );
    const config = baseConfig();
    config.networks[0]!.secretKeyPath = './public.pem';
    const error = errorOf(() => loadConfig(writeConfig(config), {}));
    expect(error.field).toBe('networks[0].secretKeyPath');
    expect(error.reason).toContain('does not hold a Casper secret key');
  });

  it('refuses the same network twice', () => {
    const config = baseConfig();
    config.networks.push({ ...config.networks[0]! });
    const error = errorOf(() => loadConfig(writeConfig(config), {}));
    expect(error.field).toBe('networks[1].network');
  });

  it('names the environment variable that set a bad value', () => {
    const file = writeConfig(baseConfig());
    const error = errorOf(() => loadConfig(file, { X402_FACILITATOR_PORT: 'eighty' }));
    expect(error.field).toBe('port');
    expect(error.reason).toContain('set by X402_FACILITATOR_PORT');
    const nested = errorOf(() =>
      loadConfig(file, { X402_FACILITATOR_NETWORKS_0_ASSETS_0_DECIMALS: '-1' }),
    );
    expect(nested.field).toBe('networks[0].assets[0].decimals');
    expect(nested.reason).toContain('X402_FACILITATOR_NETWORKS_0_ASSETS_0_DECIMALS');
    const json = errorOf(() => loadConfig(file, { X402_FACILITATOR_NETWORKS: '{oops' }));
    expect(json.field).toBe('X402_FACILITATOR_NETWORKS');
  });

  it('reports an unreadable or malformed file', () => {
    expect(errorOf(() => loadConfig(join(dir, 'nope.json'), {})).reason).toContain('cannot read');
    expect(errorOf(() => loadConfig(writeConfig('{"port":', 'broken.json'), {})).reason).toContain(
      'not valid JSON',
    );
    expect(errorOf(() => loadConfig(writeConfig('[]', 'array.json'), {})).field).toBe('config');
  });

  it('lists the environment variable names it reads', () => {
    expect(envNames()).toEqual(
      expect.arrayContaining([
        'X402_FACILITATOR_HOST',
        'X402_FACILITATOR_API_KEYS',
        'X402_FACILITATOR_RATE_LIMIT_WINDOW_MS',
        'X402_FACILITATOR_NETWORKS',
        'X402_FACILITATOR_NETWORKS_<i>_SECRET_KEY_PEM',
        'X402_FACILITATOR_NETWORKS_<i>_ASSETS_<i>_PACKAGE_HASH',
      ]),
    );
  });
});
