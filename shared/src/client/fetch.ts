import { createPaymentPayload } from '../exact/create.js';
import type { PaymentSigner } from '../exact/signer.js';
import type { SettleContext } from '../x402/bodies.js';
import {
  decodePaymentRequired,
  decodePaymentResponse,
  encodePaymentSignature,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
} from '../x402/headers.js';
import { describeRefusal } from '../x402/reasons.js';
import type { PaymentPayload, PaymentRequired, SettleResponse } from '../x402/schemas.js';
import { chooseOption, type PaymentPolicy } from './policy.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Thrown when a 402 offers Casper options but none may (or can) be paid under the policy. */
export class PaymentRefusedError extends Error {
  override readonly name = 'PaymentRefusedError';
  constructor(
    message: string,
    readonly paymentRequired: PaymentRequired | undefined,
  ) {
    super(message);
  }
}

export interface PaymentEvent {
  paymentRequired: PaymentRequired;
  payload: PaymentPayload;
  /** The decoded PAYMENT-RESPONSE of the paid retry, when the server sent one. */
  receipt: SettleResponse | undefined;
  response: Response;
}

export interface FetchWithPaymentOptions {
  /** Called after every paid request, successful or not (once, after any resends below). */
  onPayment?: (event: PaymentEvent) => void;
  /**
   * How long the same payment is sent again while the server answers that its settlement is
   * pending (`settlement_pending`), as it asks: a new payment would pay twice. Default 60 s;
   * 0 returns the pending answer at once.
   */
  pendingPatienceMs?: number;
  /** The pause before each such resend; default 1 s. */
  pendingPauseMs?: number;
}

const PENDING = 'settlement_pending';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The decoded PAYMENT-RESPONSE of a response, or undefined when it has none (or a bad one).
 * `known.network` (the network paid on) fills a receipt that does not name its own.
 */
export function paymentReceiptOf(
  response: Response,
  known: SettleContext = {},
): SettleResponse | undefined {
  const header = response.headers.get(PAYMENT_RESPONSE_HEADER);
  if (!header) return undefined;
  try {
    return decodePaymentResponse(header, known);
  } catch {
    return undefined;
  }
}

/**
 * Why a settlement failed, in words (`<code>: <sentence> (<message>)`, see describeRefusal),
 * or undefined for a receipt that is missing or a success.
 */
export function settlementFailureOf(receipt: SettleResponse | undefined): string | undefined {
  if (!receipt || receipt.success) return undefined;
  return describeRefusal(receipt.errorReason, receipt.errorMessage);
}

/**
 * Wraps `fetch` so that a 402 with a Casper `exact` option the policy allows is paid once and
 * the request retried with PAYMENT-SIGNATURE (sent again, the same payment, while the server
 * says its settlement is pending). A 402 with no Casper option is returned as is;
 * one whose Casper options the policy refuses throws PaymentRefusedError saying why. The paid
 * retry's response is returned whatever its status; `paymentReceiptOf` decodes its receipt.
 */
export function fetchWithPayment(
  fetchImpl: FetchLike,
  signer: PaymentSigner,
  policy: PaymentPolicy,
  options: FetchWithPaymentOptions = {},
): FetchLike {
  return async (input, init) => {
    const request = new Request(input, init);
    const first = await fetchImpl(request.clone());
    if (first.status !== 402) return first;
    const header = first.headers.get(PAYMENT_REQUIRED_HEADER);
    if (!header) return first;
    let paymentRequired: PaymentRequired;
    try {
      paymentRequired = decodePaymentRequired(header);
    } catch (error) {
      throw new PaymentRefusedError(
        `the server's ${PAYMENT_REQUIRED_HEADER} header is invalid: ${(error as Error).message}`,
        undefined,
      );
    }
    const casperOptions = paymentRequired.accepts.filter((a) => a.network.startsWith('casper:'));
    if (casperOptions.length === 0) return first;
    const { chosen, refusals } = await chooseOption(casperOptions, policy);
    if (!chosen) {
      throw new PaymentRefusedError(
        `will not pay ${request.url}: ${refusals.join('; ')}`,
        paymentRequired,
      );
    }
    const payload = await createPaymentPayload(chosen, signer, {
      resource: paymentRequired.resource,
    });
    const paid = request.clone();
    paid.headers.set(PAYMENT_SIGNATURE_HEADER, encodePaymentSignature(payload));
    const { pendingPatienceMs = 60_000, pendingPauseMs = 1000 } = options;
    const until = Date.now() + pendingPatienceMs;
    const send = async () => {
      const response = await fetchImpl(paid.clone());
      return { response, receipt: paymentReceiptOf(response, { network: chosen.network }) };
    };
    let sent = await send();
    while (
      sent.receipt?.success === false &&
      sent.receipt.errorReason === PENDING &&
      Date.now() + pendingPauseMs <= until
    ) {
      await sent.response.body?.cancel();
      await sleep(pendingPauseMs);
      sent = await send();
    }
    options.onPayment?.({ paymentRequired, payload, ...sent });
    return sent.response;
  };
}
