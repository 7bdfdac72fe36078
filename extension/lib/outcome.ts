import {
  decodePaymentRequired,
  decodePaymentResponse,
  describeReason,
  type SettleResponse,
  UNKNOWN_REASON,
} from '@x402-casper/shared';

/** What the page saw when it retried the request with the payment. */
export interface RetryReport {
  /** HTTP status of the retried request; 0 when it failed at the network level. */
  status: number;
  paymentResponse?: string;
  paymentRequired?: string;
}

/**
 * What the site says happened. Everything here is the site's word: the wallet shows it as
 * reported by the site, and keeps only what has the shape it should (a code, a hash).
 */
export interface Outcome {
  status: 'paid' | 'failed';
  message: string;
  /** Settlement transaction hash (64 hex digits), as the site reported it. */
  transaction?: string;
  /** The site's reason code, when it gave one in the shape of a code. */
  reason?: string;
}

/** A reason code a site may send; anything else is not shown to the person. */
const REASON_CODE = /^[a-z0-9_]{1,64}$/;
const HASH = /^[0-9a-f]{64}$/i;

const FACILITATOR_DOWN = 'The site reported that its payment service (facilitator) is unavailable.';

const WORDS: Record<string, string> = {
  insufficient_funds:
    'The site reported insufficient funds (not enough of this token); the wallet checks your balance on chain.',
  invalid_exact_casper_payload_expired:
    'The site reported that the payment authorization expired before it could settle it.',
  invalid_exact_casper_not_yet_valid:
    "The site reported that the payment authorization was not valid yet. Check your computer's clock.",
  invalid_network:
    'The site reported the wrong network: it does not accept payments on this network.',
  invalid_exact_casper_invalid_signature:
    "The site reported it could not verify the wallet's signature.",
  invalid_exact_casper_public_key_mismatch:
    "The site reported it could not verify the wallet's signature.",
  invalid_exact_casper_nonce_used: 'The site reported this payment authorization as already used.',
  invalid_exact_casper_unknown_asset:
    'The site reported that its payment service does not support this token.',
  invalid_exact_casper_facilitator_unfunded:
    'The site reported that its payment service cannot pay the network fee right now.',
  invalid_transaction_state: 'The site reported that the settlement transaction failed.',
  unexpected_verify_error: FACILITATOR_DOWN,
  unexpected_settle_error: FACILITATOR_DOWN,
  facilitator_unavailable: FACILITATOR_DOWN,
};

/**
 * The reason code in what a site says: a bare code (`insufficient_funds`), or the paywall's
 * `insufficient_funds: balance 0 …` / `settlement failed: <code>: …`.
 */
export function reasonCode(text: string): string {
  const rest = text.trim().replace(/^settlement failed:\s*/i, '');
  const match = /^([a-z0-9_]+)(?::|$)/.exec(rest);
  return match ? match[1]! : rest;
}

/** A reason code from the site or facilitator, in words a person understands. */
export function reasonInWords(text: string | undefined): string {
  if (!text) return 'The site refused the payment without saying why.';
  const reason = reasonCode(text);
  const words = WORDS[reason];
  if (words) return words;
  if (/unavailable|unreachable|timeout/i.test(reason)) return FACILITATOR_DOWN;
  // Our facilitator's codes and other facilitators' (the Go reference's, @x402/casper's), as
  // shared describes them.
  const described = REASON_CODE.test(reason) ? describeReason(reason) : UNKNOWN_REASON;
  if (described !== UNKNOWN_REASON) return `The site refused the payment: ${described}`;
  // Free text from the site is never shown: it could say anything, in the wallet's voice.
  return REASON_CODE.test(reason)
    ? `The site refused the payment (${reason}).`
    : 'The site refused the payment, with a reason the wallet does not know.';
}

/** The reason code in what the site said, when it has the shape of one. */
function codeOf(text: string | undefined): { reason?: string } {
  const code = text ? reasonCode(text) : '';
  return REASON_CODE.test(code) ? { reason: code } : {};
}

function fromSettlement(settle: SettleResponse): Outcome {
  // The payer is not taken from the site: the wallet knows which account signed.
  const reported = HASH.test(settle.transaction) ? { transaction: settle.transaction } : {};
  if (settle.success)
    return { status: 'paid', message: 'The site reported it was paid.', ...reported };
  return {
    status: 'failed',
    message: reasonInWords(settle.errorReason),
    ...reported,
    ...codeOf(settle.errorReason),
  };
}

/** Reads what the site answered to the paid request and says what happened. */
export function describeOutcome(report: RetryReport): Outcome {
  if (report.paymentResponse) {
    try {
      return fromSettlement(decodePaymentResponse(report.paymentResponse));
    } catch {
      return {
        status: 'failed',
        message: 'The site sent a payment receipt the wallet cannot read.',
      };
    }
  }
  if (report.status === 0) {
    return { status: 'failed', message: 'The site could not be reached with the payment.' };
  }
  if (report.status >= 200 && report.status < 400) {
    return { status: 'paid', message: 'The site reported it accepted the payment (no receipt).' };
  }
  if (report.status === 402) {
    if (report.paymentRequired) {
      try {
        const error = decodePaymentRequired(report.paymentRequired).error;
        return { status: 'failed', message: reasonInWords(error), ...codeOf(error) };
      } catch {
        // fall through: an unreadable 402 says no more than a bare one
      }
    }
    return { status: 'failed', message: 'The site refused the payment without saying why.' };
  }
  if (report.status === 502 || report.status === 503 || report.status === 504) {
    return { status: 'failed', message: FACILITATOR_DOWN };
  }
  if (report.status >= 500) {
    return {
      status: 'failed',
      message: `The site reported a failure while taking the payment (HTTP ${report.status}).`,
    };
  }
  return { status: 'failed', message: `The site answered the payment with HTTP ${report.status}.` };
}
