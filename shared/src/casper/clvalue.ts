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
