// CLValues in the JSON form a node prints them: {cl_type, bytes (hex), parsed}.
import {
  addressToFormattedKey,
  bigUintLE,
  bytesToHex,
  hexToBytes,
  lengthPrefixed,
  stringBytes,
  u64LE,
} from '@x402-casper/shared';

export interface CLValueJson {
  cl_type: unknown;
  bytes: string;
  parsed: unknown;
}

const json = (cl_type: unknown, bytes: Uint8Array, parsed: unknown): CLValueJson => ({
  cl_type,
  bytes: bytesToHex(bytes),
  parsed,
});

export const cl = {
  u8: (value: number) => json('U8', new Uint8Array([value]), value),
  u64: (value: bigint) => json('U64', u64LE(value), Number(value)),
  u256: (value: bigint) => json('U256', bigUintLE(value), value.toString()),
  u512: (value: bigint) => json('U512', bigUintLE(value), value.toString()),
  bool: (value: boolean) => json('Bool', new Uint8Array([value ? 1 : 0]), value),
  /** `List<U8>`: how Odra stores a value in its `state` dictionary (the value's bytes). */
  byteList: (bytes: Uint8Array) => json({ List: 'U8' }, lengthPrefixed(bytes), Array.from(bytes)),
  unit: () => json('Unit', new Uint8Array(), null),
  string: (value: string) => json('String', stringBytes(value), value),
  /** A `Key` from a 66-hex address (`00` account hash or `01` hash). */
  key: (address: string) =>
    json('Key', hexToBytes(address, 'key', 33), addressToFormattedKey(address)),
};

/** `uref-<hex>-007`, the formatted URef with READ_ADD_WRITE access. */
export function formatURef(addr: string): string {
  return `uref-${addr}-007`;
}
