// Runtime args written in JSON (genesis files): `{name, type, value}` encoded to CLValues
// with the bytesrepr rules of casper-network/casper-node types/src/bytesrepr.rs.
import {
  bigUintLE,
  concatBytes,
  hexToBytes,
  normalizeAddress,
  parsePublicKey,
  parseUint,
  stringBytes,
  u32LE,
  u64LE,
  X402InputError,
} from '@x402-casper/shared';
import { type CLType, clValue, keyBytes, type StoredCLValue } from './bytesrepr.js';

/** The CL types a JSON arg may name. */
export const JSON_ARG_TYPES = [
  'Bool',
  'U8',
  'U32',
  'U64',
  'U128',
  'U256',
  'U512',
  'String',
  'Key',
  'PublicKey',
  'Bytes',
] as const;

export interface JsonArg {
  name: string;
  type: (typeof JSON_ARG_TYPES)[number];
  value: unknown;
}

function keyOf(value: string, field: string): Uint8Array {
  if (/^(account-hash|hash|uref|dictionary|balance)-/.test(value)) return keyBytes(value);
  return hexToBytes(normalizeAddress(value, field), field, 33);
}

/** Encodes one JSON arg; throws X402InputError naming `field` for a bad one. */
export function encodeJsonArg(arg: JsonArg, field: string): StoredCLValue {
  const text = typeof arg.value === 'number' ? String(arg.value) : arg.value;
  const uint = (bits: number) => parseUint(text as string, `${field}.value`, bits);
  let type: CLType = arg.type;
  let bytes: Uint8Array;
  switch (arg.type) {
    case 'Bool':
      if (typeof arg.value !== 'boolean')
        throw new X402InputError(`${field}.value`, 'must be true or false');
      bytes = new Uint8Array([arg.value ? 1 : 0]);
      break;
    case 'U8':
      bytes = new Uint8Array([Number(uint(8))]);
      break;
    case 'U32':
      bytes = u32LE(Number(uint(32)));
      break;
    case 'U64':
      bytes = u64LE(uint(64));
      break;
    case 'U128':
      bytes = bigUintLE(uint(128));
      break;
    case 'U256':
      bytes = bigUintLE(uint(256));
      break;
    case 'U512':
      bytes = bigUintLE(uint(512));
      break;
    case 'String':
      if (typeof arg.value !== 'string')
        throw new X402InputError(`${field}.value`, 'must be a string');
      bytes = stringBytes(arg.value);
      break;
    case 'Key':
      if (typeof arg.value !== 'string')
        throw new X402InputError(`${field}.value`, 'must be a key');
      bytes = keyOf(arg.value, `${field}.value`);
      break;
    case 'PublicKey':
      bytes = hexToBytes(parsePublicKey(String(arg.value), `${field}.value`).hex);
      break;
    case 'Bytes': {
      const raw = hexToBytes(String(arg.value), `${field}.value`);
      type = { List: 'U8' };
      bytes = concatBytes(u32LE(raw.length), raw);
      break;
    }
    default:
      throw new X402InputError(`${field}.type`, `must be one of ${JSON_ARG_TYPES.join(', ')}`);
  }
  return clValue(type, bytes);
}

export function parseJsonArgs(input: unknown, field: string): Map<string, StoredCLValue> {
  if (!Array.isArray(input)) {
    throw new X402InputError(field, 'must be an array of {name, type, value}');
  }
  const args = new Map<string, StoredCLValue>();
  input.forEach((entry, i) => {
    const at = `${field}[${i}]`;
    if (typeof entry !== 'object' || entry === null)
      throw new X402InputError(at, 'must be an object');
    const arg = entry as JsonArg;
    if (typeof arg.name !== 'string' || arg.name.length === 0) {
      throw new X402InputError(`${at}.name`, 'must be a non-empty string');
    }
    if (!(JSON_ARG_TYPES as readonly string[]).includes(arg.type)) {
      throw new X402InputError(`${at}.type`, `must be one of ${JSON_ARG_TYPES.join(', ')}`);
    }
    if (args.has(arg.name)) throw new X402InputError(`${at}.name`, 'is used twice');
    args.set(arg.name, encodeJsonArg(arg, at));
  });
  return args;
}
