// Casper's bytesrepr: the little-endian binary encoding contracts and the host exchange.
// Written from casper-network/casper-node types/src/bytesrepr.rs, cl_type.rs, cl_value.rs,
// key.rs, uref.rs, named_key.rs, addressable_entity/entry_points.rs and
// cl_value/jsonrepr.rs (branch feat-2.0): integers LE, U128/U256/U512 as a length byte and
// minimal LE bytes, String/List as u32 count + items, Option as 0/1 tag, CLValue as
// u32 length + bytes + CLType, Key as tag + payload, URef as 32 bytes + access rights byte.
import { bytesToHex, concatBytes, hexToBytes, stringBytes, u32LE } from '@x402-casper/shared';

/** A bytesrepr decoding failure; the host turns it into the node's deserialization error. */
export class BytesreprError extends Error {}

/** CLType in the JSON form a node prints it: `"U8"`, `{List: "U8"}`, `{ByteArray: 32}`, … */
export type CLType = string | Record<string, unknown>;

const SIMPLE_TYPES = [
  'Bool',
  'I32',
  'I64',
  'U8',
  'U32',
  'U64',
  'U128',
  'U256',
  'U512',
  'Unit',
  'String',
  'Key',
  'URef',
] as const;
const TAG_OPTION = 13;
const TAG_LIST = 14;
const TAG_BYTE_ARRAY = 15;
const TAG_RESULT = 16;
const TAG_MAP = 17;
const TAG_TUPLE1 = 18;
const TAG_ANY = 21;
const TAG_PUBLIC_KEY = 22;

/** Key tags (key.rs KeyTag) the devnet formats; others print as `key-<tag>-<hex>`. */
const KEY_PREFIXES: Record<number, string> = {
  0: 'account-hash-',
  1: 'hash-',
  6: 'balance-',
  9: 'dictionary-',
};

export class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  take(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.length) {
      throw new BytesreprError('early end of stream');
    }
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  u8(): number {
    return this.take(1)[0] as number;
  }

  u32(): number {
    const b = this.take(4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  u64(): bigint {
    const b = this.take(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  bigUint(maxBytes: number): bigint {
    const length = this.u8();
    if (length > maxBytes) throw new BytesreprError('formatting');
    let value = 0n;
    const b = this.take(length);
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(b[i]!);
    return value;
  }

  string(): string {
    const length = this.u32();
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.take(length));
    } catch (error) {
      if (error instanceof BytesreprError) throw error;
      throw new BytesreprError('invalid utf-8');
    }
  }

  bool(): boolean {
    const tag = this.u8();
    if (tag > 1) throw new BytesreprError('formatting');
    return tag === 1;
  }

  /** A CLType, as JSON. */
  clType(depth = 0): CLType {
    if (depth > 50) throw new BytesreprError('exceeded recursion depth');
    const tag = this.u8();
    if (tag < SIMPLE_TYPES.length) return SIMPLE_TYPES[tag] as string;
    switch (tag) {
      case TAG_OPTION:
        return { Option: this.clType(depth + 1) };
      case TAG_LIST:
        return { List: this.clType(depth + 1) };
      case TAG_BYTE_ARRAY:
        return { ByteArray: this.u32() };
      case TAG_RESULT:
        return { Result: { ok: this.clType(depth + 1), err: this.clType(depth + 1) } };
      case TAG_MAP:
        return { Map: { key: this.clType(depth + 1), value: this.clType(depth + 1) } };
      case TAG_TUPLE1:
        return { Tuple1: [this.clType(depth + 1)] };
      case TAG_TUPLE1 + 1:
        return { Tuple2: [this.clType(depth + 1), this.clType(depth + 1)] };
      case TAG_TUPLE1 + 2:
        return { Tuple3: [this.clType(depth + 1), this.clType(depth + 1), this.clType(depth + 1)] };
      case TAG_ANY:
        return 'Any';
      case TAG_PUBLIC_KEY:
        return 'PublicKey';
      default:
        throw new BytesreprError(`unknown CLType tag ${tag}`);
    }
  }

  /** A Key, formatted (`account-hash-…`, `hash-…`, `uref-…-007`, `dictionary-…`). */
  key(): string {
    const tag = this.u8();
    if (tag === 2) return this.urefAfterTag();
    const prefix = KEY_PREFIXES[tag];
    if (prefix) return `${prefix}${bytesToHex(this.take(32))}`;
    throw new BytesreprError(`the devnet does not handle Key tag ${tag}`);
  }

  /** A URef (32 bytes + access rights), formatted `uref-<hex>-<rights>`. */
  uref(): string {
    return this.urefAfterTag();
  }

  private urefAfterTag(): string {
    const addr = bytesToHex(this.take(32));
    const rights = this.u8();
    if (rights > 7) throw new BytesreprError('formatting');
    return `uref-${addr}-${rights.toString(8).padStart(3, '0')}`;
  }

  /** A CLValue: its CLType (JSON), the type's bytes and the value's bytes. */
  clValue(): StoredCLValue {
    const bytes = this.take(this.u32());
    const start = this.offset;
    this.clType();
    return { type: bytesToHex(this.bytes.subarray(start, this.offset)), bytes: bytesToHex(bytes) };
  }

  end(): void {
    if (this.remaining !== 0) throw new BytesreprError('left over bytes');
  }
}

/** A CLValue as the devnet stores it: hex of its CLType bytes and of its value bytes. */
export interface StoredCLValue {
  type: string;
  bytes: string;
}

export function clTypeBytes(type: CLType): Uint8Array {
  if (typeof type === 'string') {
    const simple = (SIMPLE_TYPES as readonly string[]).indexOf(type);
    if (simple >= 0) return new Uint8Array([simple]);
    if (type === 'Any') return new Uint8Array([TAG_ANY]);
    if (type === 'PublicKey') return new Uint8Array([TAG_PUBLIC_KEY]);
    throw new BytesreprError(`unknown CLType ${type}`);
  }
  const [variant, inner] = Object.entries(type)[0] as [string, unknown];
  switch (variant) {
    case 'Option':
      return concatBytes(new Uint8Array([TAG_OPTION]), clTypeBytes(inner as CLType));
    case 'List':
      return concatBytes(new Uint8Array([TAG_LIST]), clTypeBytes(inner as CLType));
    case 'ByteArray':
      return concatBytes(new Uint8Array([TAG_BYTE_ARRAY]), u32LE(inner as number));
    case 'Result': {
      const { ok, err } = inner as { ok: CLType; err: CLType };
      return concatBytes(new Uint8Array([TAG_RESULT]), clTypeBytes(ok), clTypeBytes(err));
    }
    case 'Map': {
      const { key, value } = inner as { key: CLType; value: CLType };
      return concatBytes(new Uint8Array([TAG_MAP]), clTypeBytes(key), clTypeBytes(value));
    }
    case 'Tuple1':
    case 'Tuple2':
    case 'Tuple3': {
      const items = inner as CLType[];
      return concatBytes(
        new Uint8Array([TAG_TUPLE1 + items.length - 1]),
        ...items.map(clTypeBytes),
      );
    }
    default:
      throw new BytesreprError(`unknown CLType ${variant}`);
  }
}

/** Key bytes of a formatted key. */
export function keyBytes(formatted: string): Uint8Array {
  const uref = /^uref-([0-9a-f]{64})-([0-7]{3})$/.exec(formatted);
  if (uref) {
    return concatBytes(
      new Uint8Array([2]),
      hexToBytes(uref[1]!),
      new Uint8Array([Number.parseInt(uref[2]!, 8)]),
    );
  }
  for (const [tag, prefix] of Object.entries(KEY_PREFIXES)) {
    if (formatted.startsWith(prefix)) {
      return concatBytes(
        new Uint8Array([Number(tag)]),
        hexToBytes(formatted.slice(prefix.length), 'key', 32),
      );
    }
  }
  throw new BytesreprError(`not a formatted key: ${formatted}`);
}

/** URef bytes (no key tag) of `uref-<hex>-<rights>`. */
export function urefBytes(formatted: string): Uint8Array {
  return keyBytes(formatted).subarray(1);
}

/** Serialized CLValue: u32 length ‖ bytes ‖ CLType bytes. */
export function clValueBytes(value: StoredCLValue): Uint8Array {
  const bytes = hexToBytes(value.bytes);
  return concatBytes(u32LE(bytes.length), bytes, hexToBytes(value.type));
}

export function clValue(type: CLType, bytes: Uint8Array): StoredCLValue {
  return { type: bytesToHex(clTypeBytes(type)), bytes: bytesToHex(bytes) };
}

export const UNIT: StoredCLValue = { type: '09', bytes: '' };

/** The type of a stored CLValue, as JSON. */
export function typeOf(value: StoredCLValue): CLType {
  return new Reader(hexToBytes(value.type)).clType();
}

/** `parsed` as a node prints it (cl_value/jsonrepr.rs); null when it cannot be rendered. */
export function parsedOf(value: StoredCLValue): unknown {
  try {
    const reader = new Reader(hexToBytes(value.bytes));
    const parsed = parseValue(reader, typeOf(value), 0);
    return reader.remaining === 0 ? parsed : null;
  } catch {
    return null;
  }
}

function parseValue(reader: Reader, type: CLType, depth: number): unknown {
  if (depth > 50) throw new BytesreprError('exceeded recursion depth');
  if (typeof type === 'string') {
    switch (type) {
      case 'Bool':
        return reader.bool();
      case 'I32': {
        const b = reader.take(4);
        return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
      }
      case 'I64': {
        const b = reader.take(8);
        return Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true));
      }
      case 'U8':
        return reader.u8();
      case 'U32':
        return reader.u32();
      case 'U64':
        return Number(reader.u64());
      case 'U128':
        return reader.bigUint(16).toString();
      case 'U256':
        return reader.bigUint(32).toString();
      case 'U512':
        return reader.bigUint(64).toString();
      case 'Unit':
        return null;
      case 'String':
        return reader.string();
      case 'Key':
        return reader.key();
      case 'URef':
        return reader.uref();
      case 'PublicKey':
        return publicKey(reader);
      default:
        throw new BytesreprError('unrenderable');
    }
  }
  const [variant, inner] = Object.entries(type)[0] as [string, unknown];
  switch (variant) {
    case 'Option':
      return reader.u8() === 0 ? null : parseValue(reader, inner as CLType, depth + 1);
    case 'List': {
      const count = reader.u32();
      return Array.from({ length: count }, () => parseValue(reader, inner as CLType, depth + 1));
    }
    case 'ByteArray':
      return bytesToHex(reader.take(inner as number));
    case 'Result': {
      const { ok, err } = inner as { ok: CLType; err: CLType };
      return reader.u8() === 1
        ? { Ok: parseValue(reader, ok, depth + 1) }
        : { Err: parseValue(reader, err, depth + 1) };
    }
    case 'Map': {
      const { key, value } = inner as { key: CLType; value: CLType };
      const count = reader.u32();
      return Array.from({ length: count }, () => ({
        key: parseValue(reader, key, depth + 1),
        value: parseValue(reader, value, depth + 1),
      }));
    }
    case 'Tuple1':
    case 'Tuple2':
    case 'Tuple3':
      return (inner as CLType[]).map((item) => parseValue(reader, item, depth + 1));
    default:
      throw new BytesreprError('unrenderable');
  }
}

/** A PublicKey (tag 0 system, 1 ed25519 + 32 bytes, 2 secp256k1 + 33 bytes) as tagged hex. */
export function publicKey(reader: Reader): string {
  const tag = reader.u8();
  const length = tag === 0 ? 0 : tag === 1 ? 32 : tag === 2 ? 33 : -1;
  if (length < 0) throw new BytesreprError('formatting');
  return `0${tag}${bytesToHex(reader.take(length))}`;
}

/** A Signature (tag + 64 bytes) as tagged hex. */
export function signature(reader: Reader): string {
  const tag = reader.u8();
  if (tag !== 1 && tag !== 2) throw new BytesreprError('formatting');
  return `0${tag}${bytesToHex(reader.take(64))}`;
}

/** RuntimeArgs: u32 count, then (String name, CLValue) pairs, in order. */
export function readRuntimeArgs(bytes: Uint8Array): Map<string, StoredCLValue> {
  const reader = new Reader(bytes);
  const args = new Map<string, StoredCLValue>();
  const count = reader.u32();
  for (let i = 0; i < count; i++) {
    const name = reader.string();
    args.set(name, reader.clValue());
  }
  reader.end();
  return args;
}

export function runtimeArgsBytes(args: Map<string, StoredCLValue>): Uint8Array {
  const parts: Uint8Array[] = [u32LE(args.size)];
  for (const [name, value] of args) parts.push(stringBytes(name), clValueBytes(value));
  return concatBytes(...parts);
}

/** An entry point as a contract declares it, in the node's JSON names. */
export interface EntryPointJson {
  name: string;
  args: Array<{ name: string; cl_type: CLType }>;
  ret: CLType;
  access: 'Public' | 'Template' | { Groups: string[] };
  entry_point_type: 'Caller' | 'Called' | 'Factory';
}

const ENTRY_POINT_TYPES: Record<number, EntryPointJson['entry_point_type']> = {
  0: 'Caller',
  1: 'Called',
  128: 'Factory',
};

function entryPoint(reader: Reader, withPayment: boolean): EntryPointJson {
  const name = reader.string();
  const argCount = reader.u32();
  const args = Array.from({ length: argCount }, () => ({
    name: reader.string(),
    cl_type: reader.clType(),
  }));
  const ret = reader.clType();
  const accessTag = reader.u8();
  let access: EntryPointJson['access'];
  if (accessTag === 1) access = 'Public';
  else if (accessTag === 2) {
    const count = reader.u32();
    access = { Groups: Array.from({ length: count }, () => reader.string()) };
  } else if (accessTag === 3) access = 'Template';
  else throw new BytesreprError(`unknown entry point access ${accessTag}`);
  const typeTag = reader.u8();
  const entry_point_type = ENTRY_POINT_TYPES[typeTag];
  if (!entry_point_type) throw new BytesreprError(`unknown entry point type ${typeTag}`);
  if (withPayment && reader.u8() > 2) throw new BytesreprError('unknown entry point payment');
  return { name, args, ret, access, entry_point_type };
}

/**
 * EntryPoints: a map name → EntryPoint. Casper 2.0's EntryPoint ends with an
 * `entry_point_payment` byte that 1.x contracts (built with casper-types 4) do not write;
 * both encodings are accepted, whichever reads the whole buffer.
 */
export function readEntryPoints(bytes: Uint8Array): EntryPointJson[] {
  let lastError: unknown;
  for (const withPayment of [true, false]) {
    try {
      const reader = new Reader(bytes);
      const count = reader.u32();
      const points: EntryPointJson[] = [];
      for (let i = 0; i < count; i++) {
        reader.string();
        points.push(entryPoint(reader, withPayment));
      }
      reader.end();
      return points;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** NamedKeys: a map name → Key, as [name, formatted key] pairs. */
export function readNamedKeys(bytes: Uint8Array): Array<[string, string]> {
  const reader = new Reader(bytes);
  const count = reader.u32();
  const keys: Array<[string, string]> = [];
  for (let i = 0; i < count; i++) keys.push([reader.string(), reader.key()]);
  reader.end();
  return keys;
}
