// CLValues in the JSON form a node prints them: {cl_type, bytes (hex), parsed}.
import {
  addressToFormattedKey,
  bytesToHex,
  concatBytes,
  hexToBytes,
  u32LE,
  utf8ToBytes,
} from '@x402-casper/shared';

export interface CLValueJson {
  cl_type: unknown;
  bytes: string;
  parsed: unknown;
}

/** Casper's U128/U256/U512 encoding: one length byte, then the minimal little-endian bytes. */
function bigUintBytes(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0n) {
    bytes.push(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return new Uint8Array([bytes.length, ...bytes]);
}

function u64Bytes(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

const json = (cl_type: unknown, bytes: Uint8Array, parsed: unknown): CLValueJson => ({
  cl_type,
  bytes: bytesToHex(bytes),
  parsed,
});

export const cl = {
  u8: (value: number) => json('U8', new Uint8Array([value]), value),
  u64: (value: bigint) => json('U64', u64Bytes(value), Number(value)),
  u256: (value: bigint) => json('U256', bigUintBytes(value), value.toString()),
  u512: (value: bigint) => json('U512', bigUintBytes(value), value.toString()),
  bool: (value: boolean) => json('Bool', new Uint8Array([value ? 1 : 0]), value),
  /** `List<U8>`: how Odra stores a value in its `state` dictionary (the value's bytes). */
  byteList: (bytes: Uint8Array) =>
    json({ List: 'U8' }, concatBytes(u32LE(bytes.length), bytes), Array.from(bytes)),
  unit: () => json('Unit', new Uint8Array(), null),
  string: (value: string) => {
    const utf8 = utf8ToBytes(value);
    return json('String', concatBytes(u32LE(utf8.length), utf8), value);
  },
  /** A `Key` from a 66-hex address (`00` account hash or `01` hash). */
  key: (address: string) =>
    json('Key', hexToBytes(address, 'key', 33), addressToFormattedKey(address)),
};

/** `uref-<hex>-007`, the formatted URef with READ_ADD_WRITE access. */
export function formatURef(addr: string): string {
  return `uref-${addr}-007`;
}
