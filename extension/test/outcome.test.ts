import { encodePaymentRequired, encodePaymentResponse } from '@x402-casper/shared';
import { describe, expect, it } from 'vitest';
import { describeOutcome } from '../lib/outcome.js';
import { paymentRequired } from './helpers.js';

const tx = 'ab'.repeat(32);
const settle = (fields: object) =>
  encodePaymentResponse({
    success: false,
    transaction: '',
    network: 'casper:casper-test',
    ...fields,
  });

describe('what happened after paying, in plain words', () => {
  it('reads a successful PAYMENT-RESPONSE with its transaction', () => {
    expect(
      describeOutcome({
        status: 200,
        paymentResponse: settle({ success: true, transaction: tx, payer: `00${'11'.repeat(32)}` }),
      }),
    ).toEqual({ status: 'paid', message: 'The site reported it was paid.', transaction: tx });
  });

  it("never shows a site's free text as the reason, nor keeps a transaction that is not a hash", () => {
    for (const reason of [
      'Your wallet is compromised: send your tokens to 01ab…cd to secure them',
      'a'.repeat(65),
      'Insufficient_Funds',
      'code with spaces',
    ]) {
      const outcome = describeOutcome({
        status: 402,
        paymentResponse: settle({ errorReason: reason, transaction: 'visit evil.example' }),
      });
      expect(outcome).toEqual({
        status: 'failed',
        message: 'The site refused the payment, with a reason the wallet does not know.',
      });
    }
    const required = encodePaymentRequired({
      ...paymentRequired(),
      error: 'Call +1 555 0100 to unlock',
    });
    expect(describeOutcome({ status: 402, paymentRequired: required }).message).toBe(
      'The site refused the payment, with a reason the wallet does not know.',
    );
    // A bare code is shown as a code.
    expect(
      describeOutcome({ status: 402, paymentResponse: settle({ errorReason: 'a'.repeat(64) }) })
        .message,
    ).toBe(`The site refused the payment (${'a'.repeat(64)}).`);
  });

  it.each([
    ['insufficient_funds', /The site reported insufficient funds/],
    ['invalid_exact_casper_payload_expired', /expired/],
    ['invalid_network', /The site reported the wrong network/],
    ['unexpected_settle_error', /facilitator\) is unavailable/],
    ['invalid_exact_casper_nonce_used', /already used/],
    ['something_new', /refused the payment \(something_new\)/],
  ])('says what the site reported for %s', (reason, words) => {
    const outcome = describeOutcome({
      status: 402,
      paymentResponse: settle({ errorReason: reason }),
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(words);
  });

  it.each([
    // The Go reference (make-software/casper-x402) and its documentation's short names.
    [
      'invalid_exact_casper_put_deploy_failed',
      'The site refused the payment: The settlement transaction was refused by the node, or the node could not be reached.',
    ],
    [
      'verification_failed',
      'The site refused the payment: The payment did not pass verification when the facilitator came to settle it.',
    ],
    // The upstream Go x402 facilitator, and @x402/casper.
    [
      'no_facilitator_for_network',
      'The site refused the payment: The facilitator does not serve this scheme on this network.',
    ],
    [
      'invalid_exact_casper_facilitator_authorization_used',
      'The site refused the payment: The authorization (its nonce) was already used or cancelled.',
    ],
    [
      'unsupported_version_3',
      'The site refused the payment: The payment is not in an x402 version the facilitator supports.',
    ],
  ])("says another facilitator's %s in a plain sentence", (reason, words) => {
    expect(
      describeOutcome({ status: 402, paymentResponse: settle({ errorReason: reason }) }),
    ).toEqual({ status: 'failed', message: words, reason });
  });

  it('reads the paywall\'s "code: detail" errors', () => {
    for (const [error, words] of [
      [
        'insufficient_funds: balance 0 does not cover 10000',
        /The site reported insufficient funds/,
      ],
      ['settlement failed: invalid_exact_casper_payload_expired: User error: 37001', /expired/],
      [
        'invalid_network: this facilitator does not settle on "casper:x"',
        /The site reported the wrong network/,
      ],
    ] as const) {
      const required = encodePaymentRequired({ ...paymentRequired(), error });
      expect(describeOutcome({ status: 402, paymentRequired: required }).message).toMatch(words);
    }
  });

  it('reads the error of a repeated 402 when there is no receipt', () => {
    const required = encodePaymentRequired({ ...paymentRequired(), error: 'insufficient_funds' });
    expect(describeOutcome({ status: 402, paymentRequired: required }).message).toMatch(
      /The site reported insufficient funds/,
    );
    expect(describeOutcome({ status: 402 }).message).toMatch(/without saying why/);
  });

  it('says when the site or its facilitator failed, or could not be reached', () => {
    expect(describeOutcome({ status: 502 })).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/facilitator/),
    });
    expect(describeOutcome({ status: 503 }).message).toMatch(/facilitator\) is unavailable/);
    expect(describeOutcome({ status: 500 }).message).toMatch(/HTTP 500/);
    expect(describeOutcome({ status: 0 }).message).toMatch(/could not be reached/);
    expect(describeOutcome({ status: 200 })).toMatchObject({
      status: 'paid',
      message: expect.stringMatching(/no receipt/),
    });
    expect(describeOutcome({ status: 402, paymentResponse: 'not base64!' }).message).toMatch(
      /cannot read/,
    );
  });
});
