import { describe, expect, it } from 'vitest';
import {
  describeReason,
  describeRefusal,
  FOREIGN_REASONS,
  INVALID_REASONS,
  NO_REASON,
  UNKNOWN_REASON,
} from '../src/index.js';

describe('describeReason', () => {
  it('says our own reasons as INVALID_REASONS does', () => {
    for (const [code, sentence] of Object.entries(INVALID_REASONS)) {
      expect(describeReason(code)).toBe(sentence);
    }
  });

  it.each([
    // The Go reference (make-software/casper-x402), as its code and its docs name them.
    'invalid_exact_casper_verification_failed',
    'invalid_exact_casper_build_deploy_failed',
    'invalid_exact_casper_sign_deploy_failed',
    'invalid_exact_casper_put_deploy_failed',
    'invalid_exact_casper_wait_deploy_failed',
    'invalid_exact_casper_insufficient_time_to_settle',
    'invalid_exact_casper_malformed_payload',
    'invalid_exact_casper_missing_token_name',
    'verification_failed',
    'build_deploy_failed',
    'sign_deploy_failed',
    'put_deploy_failed',
    'wait_deploy_failed',
    'insufficient_time',
    // The upstream x402 Go facilitator.
    'no_facilitator_for_network',
    'invalid_v2_payload',
    // @x402/casper.
    'invalid_exact_casper_facilitator_expired',
    'invalid_exact_casper_facilitator_authorization_used',
    'invalid_exact_casper_facilitator_insufficient_balance',
    'invalid_exact_casper_facilitator_non_canonical_signature',
    'invalid_exact_casper_facilitator_settle_failed',
    'invalid_exact_casper_facilitator_speculative_execution_failed',
  ])('says what %s means', (code) => {
    const sentence = describeReason(code);
    expect(sentence).toBe(FOREIGN_REASONS[code]);
    expect(sentence).toMatch(/^[A-Z].*\.$/);
  });

  it('gives a generic sentence for an unknown or missing code, never throwing', () => {
    for (const code of [
      'no_such_reason',
      'constructor',
      '__proto__',
      'toString',
      'x'.repeat(5000),
    ]) {
      expect(describeReason(code)).toBe(UNKNOWN_REASON);
    }
    for (const code of [undefined, null, '', '   ']) expect(describeReason(code)).toBe(NO_REASON);
    expect(describeReason('unsupported_version_3')).toMatch(/x402 version/);
    expect(describeReason(42 as unknown as string)).toBe(NO_REASON);
  });

  it('every foreign sentence is plain: one line, a capital, a full stop', () => {
    for (const sentence of Object.values(FOREIGN_REASONS)) {
      expect(sentence).toMatch(/^[A-Z][^\n]*\.$/);
    }
  });
});

describe('describeRefusal', () => {
  it('says a code, what it means and the message', () => {
    expect(describeRefusal('invalid_exact_casper_put_deploy_failed', 'PutTransaction failed')).toBe(
      `invalid_exact_casper_put_deploy_failed: ${FOREIGN_REASONS.invalid_exact_casper_put_deploy_failed} (PutTransaction failed)`,
    );
    expect(describeRefusal('insufficient_funds', undefined)).toBe(
      `insufficient_funds: ${INVALID_REASONS.insufficient_funds}`,
    );
    expect(describeRefusal('no_such_reason', '')).toBe(`no_such_reason: ${UNKNOWN_REASON}`);
  });

  it('quotes free text where a code should be, and keeps a message on one line', () => {
    expect(describeRefusal('settle request failed: Post "http://x": EOF', undefined)).toBe(
      `${UNKNOWN_REASON} (settle request failed: Post "http://x": EOF)`,
    );
    expect(describeRefusal(undefined, 'line one\nline two')).toBe(
      `${NO_REASON} (line one line two)`,
    );
    expect(describeRefusal('invalid_payload', 'x'.repeat(1000)).length).toBeLessThan(400);
  });
});
