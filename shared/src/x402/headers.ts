import type { TSchema } from '@sinclair/typebox';
import { base64ToBytes, bytesToBase64, bytesToUtf8, utf8ToBytes } from '../bytes.js';
import { X402InputError } from '../errors.js';
import { parseSettleResponse, type SettleContext } from './bodies.js';
import {
  type PaymentPayload,
  PaymentPayloadSchema,
  type PaymentRequired,
  PaymentRequiredSchema,
  type SettleResponse,
} from './schemas.js';
import { checkSchema } from './validate.js';

export const PAYMENT_REQUIRED_HEADER = 'PAYMENT-REQUIRED';
export const PAYMENT_SIGNATURE_HEADER = 'PAYMENT-SIGNATURE';
export const PAYMENT_RESPONSE_HEADER = 'PAYMENT-RESPONSE';
/** The v1 name stock middleware still accepts for the payment header. */
export const LEGACY_PAYMENT_HEADER = 'X-PAYMENT';

/** Longest header value we decode, in characters (Node refuses headers over 16 KiB in all). */
export const MAX_HEADER_LENGTH = 12_288;

function encodeHeader(value: unknown): string {
  return bytesToBase64(utf8ToBytes(JSON.stringify(value)));
}

/** The JSON value a header carries as base64, checked for size and a `__proto__` key. */
function decodeHeaderJson(header: unknown, name: string): unknown {
  if (typeof header !== 'string') throw new X402InputError(name, 'header is missing');
  const text = header.trim();
  if (text.length === 0) throw new X402InputError(name, 'header is empty');
  if (text.length > MAX_HEADER_LENGTH) {
    throw new X402InputError(name, `header is longer than ${MAX_HEADER_LENGTH} characters`);
  }
  const json = bytesToUtf8(base64ToBytes(text, name), name);
  let value: unknown;
  let forbidden = false;
  try {
    // A "__proto__" key becomes an own property with JSON.parse, and other parsers (Fastify's
    // among them) refuse it: refuse it here, at the boundary, so it never travels further.
    value = JSON.parse(json, (key, item) => {
      if (key === '__proto__') forbidden = true;
      return item;
    });
  } catch {
    throw new X402InputError(name, 'header is not base64 of JSON');
  }
  if (forbidden) throw new X402InputError(name, 'header JSON must not contain a "__proto__" key');
  return value;
}

function decodeHeader<S extends TSchema>(header: unknown, name: string, schema: S) {
  return checkSchema(schema, decodeHeaderJson(header, name), name);
}

export const encodePaymentRequired = (value: PaymentRequired): string => encodeHeader(value);
export const decodePaymentRequired = (header: unknown): PaymentRequired =>
  decodeHeader(header, PAYMENT_REQUIRED_HEADER, PaymentRequiredSchema);

export const encodePaymentSignature = (value: PaymentPayload): string => encodeHeader(value);
export const decodePaymentSignature = (header: unknown): PaymentPayload =>
  decodeHeader(header, PAYMENT_SIGNATURE_HEADER, PaymentPayloadSchema);

export const encodePaymentResponse = (value: SettleResponse): string => encodeHeader(value);
/**
 * A PAYMENT-RESPONSE as servers send it: a failed settlement may leave out `transaction` and
 * `network`, a success its network when `known` gives it (see parseSettleResponse).
 */
export const decodePaymentResponse = (header: unknown, known: SettleContext = {}): SettleResponse =>
  parseSettleResponse(
    decodeHeaderJson(header, PAYMENT_RESPONSE_HEADER),
    known,
    PAYMENT_RESPONSE_HEADER,
  );
