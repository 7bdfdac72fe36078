import {
  bytesToHex as nobleBytesToHex,
  hexToBytes as nobleHexToBytes,
} from '@noble/hashes/utils.js';
import { X402InputError } from './errors.js';

const HEX = /^[0-9a-fA-F]*$/;

/** Lower-case hex of bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  return nobleBytesToHex(bytes);
}

/**
 * Strict hex → bytes: even length, hex digits only, no `0x`; `length` (in bytes) when given.
 * Errors name `field`.
 */
export function hexToBytes(hex: string, field = 'hex', length?: number): Uint8Array {
  if (typeof hex !== 'string') throw new X402InputError(field, 'must be a hex string');
  if (!HEX.test(hex)) throw new X402InputError(field, 'must contain only hex digits');
  if (hex.length % 2 !== 0)
    throw new X402InputError(field, 'must have an even number of hex digits');
  if (length !== undefined && hex.length !== length * 2) {
    throw new X402InputError(field, `must be ${length} bytes (${length * 2} hex digits)`);
  }
  return nobleHexToBytes(hex);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Big-endian unsigned integer of `size` bytes; throws when it does not fit. */
export function uintToBytesBE(value: bigint, size: number, field = 'value'): Uint8Array {
  if (value < 0n) throw new X402InputError(field, 'must not be negative');
  if (value >= 1n << BigInt(size * 8))
    throw new X402InputError(field, `does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  let rest = value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding (RFC 4648 §4). */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += b === undefined ? '=' : B64[(n >> 6) & 63]!;
    out += c === undefined ? '=' : B64[n & 63]!;
  }
  return out;
}

/** Strict standard base64 with padding; rejects whitespace, url-safe letters and truncation. */
export function base64ToBytes(text: string, field = 'base64'): Uint8Array {
  if (typeof text !== 'string' || !B64_CANONICAL.test(text)) {
    throw new X402InputError(field, 'is not valid base64 (standard alphabet, padded)');
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const ch = text[i + j]!;
      n = (n << 6) | (ch === '=' ? 0 : B64.indexOf(ch));
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  // Reject non-canonical trailing bits (e.g. "QQ==" vs "QR=="), so one value has one encoding.
  if (bytesToBase64(out) !== text) {
    throw new X402InputError(field, 'is not canonical base64');
  }
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8ToBytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function bytesToUtf8(bytes: Uint8Array, field = 'text'): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new X402InputError(field, 'is not valid UTF-8');
  }
}

// Casper's bytesrepr primitives, the one copy for transactions, the devnet and its Wasm host.

/** u32 little-endian, as Casper's bytesrepr writes lengths. */
export function u32LE(value: number): Uint8Array {
  // Byte by byte: a DataView would give each small array a buffer of its own outside the heap.
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
}

/** u64 little-endian. */
export function u64LE(value: bigint, field = 'u64'): Uint8Array {
  if (value < 0n || value >= 1n << 64n) throw new X402InputError(field, 'does not fit in a u64');
  const low = Number(value & 0xffffffffn);
  const high = Number(value >> 32n);
  const out = new Uint8Array(8);
  out.set(u32LE(low));
  out.set(u32LE(high), 4);
  return out;
}

/** U128/U256/U512: one length byte, then the little-endian bytes without trailing zeros. */
export function bigUintLE(value: bigint, field = 'value'): Uint8Array {
  if (value < 0n) throw new X402InputError(field, 'must not be negative');
  const bytes: number[] = [];
  for (let rest = value; rest > 0n; rest >>= 8n) bytes.push(Number(rest & 0xffn));
  return Uint8Array.of(bytes.length, ...bytes);
}

/** Bytes behind their u32 length (a `List<U8>`, or a String's UTF-8). */
export const lengthPrefixed = (bytes: Uint8Array): Uint8Array =>
  concatBytes(u32LE(bytes.length), bytes);

/** A bytesrepr String: its UTF-8 behind its u32 length. */
export const stringBytes = (text: string): Uint8Array => lengthPrefixed(utf8ToBytes(text));
