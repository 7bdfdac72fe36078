// The caller's idempotency key of a /settle: the `Idempotency-Key` header, else the id of x402's
// `payment-identifier` extension in the payment payload (`extensions["payment-identifier"].info.id`).
// It ties the one `success: true` of a settlement to the request that was answered it, so a
// resource server whose connection dropped can ask again and get the same answer.
import { type PaymentPayload, X402InputError } from '@x402-casper/shared';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const PAYMENT_IDENTIFIER = 'payment-identifier';

/** Printable ASCII without spaces, 1–128 characters. */
const HEADER_KEY = /^[\x21-\x7e]{1,128}$/;
/** The extension's id: 16–128 letters, digits, `_` or `-`. */
const PAYMENT_ID = /^[A-Za-z0-9_-]{16,128}$/;

/** The payload's payment-identifier id; undefined when absent, an error when malformed. */
export function paymentIdentifierOf(payload: PaymentPayload): string | undefined {
  const extension = payload.extensions?.[PAYMENT_IDENTIFIER] as
    | { info?: { id?: unknown } }
    | undefined;
  const id = extension?.info?.id;
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || !PAYMENT_ID.test(id)) {
    throw new X402InputError(
      `paymentPayload.extensions.${PAYMENT_IDENTIFIER}.info.id`,
      'must be 16–128 letters, digits, _ or -',
    );
  }
  return id;
}

/**
 * The delivery key of a settle request: which caller (an API key's index, or the client
 * address without keys) and which of its requests. Keys of different callers never meet.
 */
export function deliveryKeyOf(
  caller: string,
  header: string | string[] | undefined,
  payload: PaymentPayload,
): string | undefined {
  if (Array.isArray(header)) {
    throw new X402InputError('Idempotency-Key', 'must be sent once');
  }
  if (header !== undefined && !HEADER_KEY.test(header)) {
    throw new X402InputError('Idempotency-Key', 'must be 1–128 printable ASCII characters');
  }
  const key = header ?? paymentIdentifierOf(payload);
  return key === undefined ? undefined : `${caller}|${key}`;
}
