// The facilitator's settings as one TypeBox schema: names, types, defaults, ranges and what
// each means. It drives the environment overlay (which variables exist and how each is read),
// the checks and their error messages (config.ts), and the README's configuration table
// (`configTable`, checked against the README by a test).
import { type TArray, type TObject, type TSchema, Type } from '@sinclair/typebox';

/** What a setting's error says when it is missing or empty, where the type alone says too little. */
interface Messages {
  /** For an array that must not be empty, e.g. "must list at least one network". */
  x402Empty?: string;
  /** For a string that fails its pattern. */
  x402Pattern?: string;
  /** README: what the default is when it is not a plain value ("from `network`", "required"). */
  x402Default?: string;
}

const text = (
  description: string,
  options: Messages & { default?: string; maxLength?: number; pattern?: string } = {},
) => Type.String({ minLength: 1, description, ...options });
const whole = (description: string, minimum: number, maximum: number, fallback?: number) =>
  Type.Integer({
    description,
    minimum,
    maximum,
    ...(fallback === undefined ? {} : { default: fallback }),
  });
/** Motes: a decimal string (or a JSON number), read as a bigint by config.ts. */
const motes = (description: string, fallback: string) =>
  Type.Union([Type.String(), Type.Integer()], { description, default: fallback, x402Motes: true });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const AssetSchema = Type.Object(
  {
    packageHash: text(
      "the token's contract package hash: 64 hex digits, any case, `hash-` prefix allowed",
      { x402Default: 'required' },
    ),
    // Optional only because `name` may stand for it (config.ts requires one of the two).
    domainName: Type.Optional(
      text(
        "the EIP-712 signing domain's name the contract signs with; must equal the requirements' `extra.name`. It need not be the CEP-18 name (the Cep18X402 proof of concept signs as `Cep18x402`)",
        { maxLength: 256, x402Default: 'required' },
      ),
    ),
    name: Type.Optional(
      text('the older spelling of `domainName`', { maxLength: 256, x402Default: '—' }),
    ),
    version: text("the signing domain's version; must equal the requirements' `extra.version`", {
      default: '1',
    }),
    decimals: whole('decimals of the token, shown in `/supported`', 0, 36),
    symbol: Type.Optional(text('symbol of the token, shown in `/supported`', { x402Default: '—' })),
    argLayout: Type.Optional(
      text(
        "overrides the layout read from the token's `transfer_with_authorization` entry point: `amount-u64` (Odra's CEP-3009 module), `value-u64` (the CEP-3009 text), `amount-u256` (the Cep18X402 proof of concept); `cep3009` and `legacy-u256` are aliases of the first and last",
        { x402Default: 'read from the chain' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const NetworkSchema = Type.Object(
  {
    network: text(
      'CAIP-2 id (`casper:casper`, `casper:casper-test`, …); several networks per process',
      { x402Default: 'required' },
    ),
    chainName: Type.Optional(
      text("set it when the node's chain name differs from the network's", {
        x402Default: 'from `network`',
      }),
    ),
    rpcUrl: text("the node's JSON-RPC endpoint, an http(s) URL", { x402Default: 'required' }),
    secretKeyPath: Type.Optional(
      text("the fee payer's key file (PKCS#8 or SEC1 PEM); set this or `secretKeyPem`", {
        x402Default: 'one of the two',
      }),
    ),
    secretKeyPem: Type.Optional(
      text(
        "the fee payer's key as PEM text; in environment variables `\\n` may stand for newlines",
        {
          x402Default: 'one of the two',
        },
      ),
    ),
    paymentMotes: motes(
      "gas payment per settlement of an ed25519 payer's authorization (10 CSPR), at least 2.5 CSPR. It must cover the token's own execution: the Cep18X402 proof of concept checks signatures inside its Wasm and meters about 6.8 CSPR on the devnet's approximate costs (the Go reference pays 14). A settlement that runs out of gas changes nothing on chain and is kept for a retry once the payment is raised",
      '10000000000',
    ),
    secp256k1PaymentMotes: motes(
      "gas payment per settlement of a secp256k1 payer's authorization (30 CSPR), at least 2.5 CSPR: the Cep18X402 proof of concept meters about 22 CSPR for one",
      '30000000000',
    ),
    blockIntervalMs: whole(
      "how often the network makes a block: the newest block (its time and state root), and what changes only in blocks (a package's current contract, balances), are read once per block, again once the next one is due. `0`: at every request (a devnet that mines on demand)",
      0,
      600_000,
      8000,
    ),
    assets: Type.Array(AssetSchema, {
      description: 'the CEP-3009 tokens settled on this network',
      minItems: 1,
      maxItems: 64,
      x402Empty: 'must list at least one asset',
      x402Default: 'required',
    }),
  },
  { additionalProperties: false },
);

export const FacilitatorConfigSchema = Type.Object(
  {
    host: text('listen address', { default: '127.0.0.1' }),
    port: whole('listen port (`0` picks a free port)', 0, 65_535, 4022),
    apiKeys: Type.Array(
      text('', {
        pattern: '^\\S{16,}$',
        x402Pattern: 'must be at least 16 characters without spaces',
      }),
      {
        description:
          "API keys (≥ 16 characters, no spaces); with keys set every route but `/health` and `/openapi.json` needs `Authorization: Bearer <key>` (an unknown path is a 404 either way), or the bare key `Authorization: <key>` as the Go reference's resource servers send it (compared in constant time)",
        maxItems: 256,
        default: [],
        x402Default: '`[]` (no auth)',
      },
    ),
    database: text(
      'the ledger (one row per authorization: reserved → submitted → confirmed | failed): an SQLite file (its folder is created) for one process, or `postgres://user@host:5432/db` shared by replicas',
      { default: './data/facilitator.sqlite' },
    ),
    bodyLimit: whole('largest request body, bytes', 1024, 10_485_760, 65_536),
    rateLimit: Type.Object(
      {
        max: whole(
          'requests per API key (or client address without keys) per window',
          1,
          1_000_000,
          600,
        ),
        windowMs: whole('the rate limit window, ms', 1000, 86_400_000, 60_000),
      },
      { additionalProperties: false, default: {} },
    ),
    settleTimeoutMs: whole(
      'how long `/settle` waits for the block before answering `settlement_pending`',
      0,
      600_000,
      30_000,
    ),
    pollIntervalMs: whole(
      'how often a submitted transaction is checked, at most',
      10,
      60_000,
      1000,
    ),
    leaseMs: whole(
      "how long a replica's claim to follow a settlement lasts unless renewed (every third of it); a dead replica's settlements are taken over this long after its last renewal, at the next sweep",
      1000,
      600_000,
      30_000,
    ),
    rpcTimeoutMs: whole(
      'time limit of one node call; at most two thirds of `leaseMs`',
      100,
      120_000,
      10_000,
    ),
    settlementMarginSeconds: whole(
      'authorizations expiring sooner than this are refused',
      0,
      3600,
      30,
    ),
    logLevel: Type.Union(
      LOG_LEVELS.map((level) => Type.Literal(level)),
      {
        description: `JSON lines on stderr, never keys or signatures: ${LOG_LEVELS.join(', ')}`,
        default: 'info',
      },
    ),
    networks: Type.Array(NetworkSchema, {
      description: 'the networks settled on',
      minItems: 1,
      maxItems: 64,
      x402Empty: 'must list at least one network',
      x402Default: 'required',
    }),
  },
  { additionalProperties: false },
);

export const ENV_PREFIX = 'X402_FACILITATOR_';

/** `rpcUrl` → `RPC_URL`. */
export function envSegment(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export const isObjectSchema = (schema: TSchema): schema is TObject => schema.type === 'object';
export const isArraySchema = (schema: TSchema): schema is TArray => schema.type === 'array';

/**
 * One setting as the file and the environment name it: `field` its path (`networks[].rpcUrl`),
 * `env` its variable. `whole` marks an array of objects, which is also set as one JSON variable
 * before its entries' own settings follow.
 */
export interface Setting {
  field: string;
  env: string;
  schema: TSchema;
  whole?: true;
}

/** Every setting of `schema`, in its order: the one walk the table and the variable list share. */
export function settingsOf(schema: TObject, field = '', env = ENV_PREFIX): Setting[] {
  return Object.entries(schema.properties).flatMap(([key, property]): Setting[] => {
    const path = field ? `${field}.${key}` : key;
    const name = `${env}${envSegment(key)}`;
    if (isObjectSchema(property)) return settingsOf(property, path, `${name}_`);
    if (isArraySchema(property) && isObjectSchema(property.items)) {
      return [
        { field: path, env: name, schema: property, whole: true },
        ...settingsOf(property.items, `${path}[]`, `${name}_<i>_`),
      ];
    }
    return [{ field: path, env: name, schema: property }];
  });
}

/** The README's configuration table, one row per setting, in the schema's order. */
export function configTable(): string[][] {
  return [
    ['setting', 'environment variable', 'default', 'meaning'],
    ...settingsOf(FacilitatorConfigSchema)
      .filter((setting) => !setting.whole)
      .map(({ field, env, schema }) => [
        `\`${field}\``,
        `\`${env}\``,
        schema.x402Default ??
          (schema.default === undefined ? 'required' : `\`${JSON.stringify(schema.default)}\``),
        schema.description ?? '',
      ]),
  ];
}
