import { hexToBytes } from '../bytes.js';
import { CasperRpcUnavailableError } from './rpc.js';

// CLValue bytes as a node answers them (`stored_value.CLValue.bytes`), decoded where readers of
// the chain need them; malformed bytes are the node answering something unusable.

/** A CLValue bool's bytes: `00` or `01`. */
export function decodeBool(hex: string): boolean {
  if (hex !== '00' && hex !== '01') throw new CasperRpcUnavailableError(`malformed bool ${hex}`);
  return hex === '01';
}

/** A CLValue `List<U8>`'s bytes (u32-LE length, then the bytes) → the inner bytes as hex. */
export function decodeByteList(hex: string): string {
  const bytes = hexToBytes(hex, 'List<U8>');
  const malformed = () => new CasperRpcUnavailableError(`malformed List<U8> ${hex}`);
  if (bytes.length < 4) throw malformed();
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (bytes.length !== 4 + length) throw malformed();
  return hex.slice(8);
}

/**
 * An unsigned CLValue's bytes (U128, U256, U512: a length byte, then that many little-endian
 * bytes) → the number; refused beyond `bits` or when the length byte disagrees with the bytes.
 */
export function decodeUnsigned(hex: string, bits: 128 | 256 | 512): bigint {
  const bytes = hexToBytes(hex, `U${bits}`);
  const length = bytes[0];
  if (length === undefined || length > bits / 8 || bytes.length !== length + 1) {
    throw new CasperRpcUnavailableError(`malformed U${bits} ${hex}`);
  }
  let value = 0n;
  for (let i = length; i >= 1; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** A CLValue U8's bytes. */
export function decodeU8(hex: string): number {
  const bytes = hexToBytes(hex, 'U8');
  if (bytes.length !== 1) throw new CasperRpcUnavailableError(`malformed U8 ${hex}`);
  return bytes[0]!;
}

/** A CLValue String's bytes (u32-LE length, then UTF-8). */
export function decodeString(hex: string): string {
  const inner = hexToBytes(decodeByteList(hex), 'String');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(inner);
  } catch {
    throw new CasperRpcUnavailableError(`malformed String ${hex}`);
  }
}
