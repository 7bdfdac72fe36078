// Facilitator answers as real peers send them (the Go reference on the upstream x402 Go
// types, @x402/casper), normalised to the strict shapes our own facilitator answers with.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  encodePaymentResponse,
  parseSettleResponse,
  parseSupportedResponse,
  parseVerifyResponse,
  SettleResponseSchema,
  SupportedResponseSchema,
  VerifyResponseSchema,
  X402InputError,
} from '../src/index.js';

const TX = 'cd'.repeat(32);
const PAYER = `00${'ab'.repeat(32)}`;

function inputError(act: () => unknown): X402InputError {
  try {
    act();
  } catch (error) {
    if (error instanceof X402InputError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('a /supported answer', () => {
  const kinds = [
    {
      x402Version: 2,
      scheme: 'exact',
      network: 'casper:casper-test',
      extra: { feePayer: PAYER },
    },
  ];

  it.each([
    ['missing', { kinds }],
    ['null', { kinds, extensions: null, signers: null }],
  ])('takes extensions and signers %s as [] and {}', (_, body) => {
    const supported = parseSupportedResponse(body);
    expect(supported).toEqual({ kinds, extensions: [], signers: {} });
    expect(Value.Check(SupportedResponseSchema, supported)).toBe(true);
  });

  it('keeps what a full answer says, dropping a null signer list', () => {
    expect(
      parseSupportedResponse({
        kinds,
        extensions: ['bazaar'],
        signers: { 'casper:*': [PAYER], 'eip155:*': null },
      }),
    ).toEqual({ kinds, extensions: ['bazaar'], signers: { 'casper:*': [PAYER] } });
  });

  it('still refuses what is not a /supported answer, naming the field', () => {
    expect(inputError(() => parseSupportedResponse({})).field).toBe('body.kinds');
    expect(inputError(() => parseSupportedResponse({ kinds: null })).field).toBe('body.kinds');
    expect(inputError(() => parseSupportedResponse({ kinds, extensions: 'x' })).field).toBe(
      'body.extensions',
    );
    expect(
      inputError(() => parseSupportedResponse({ kinds, signers: { 'casper:*': [1] } })).field,
    ).toMatch(/^body\.signers/);
    expect(inputError(() => parseSupportedResponse([])).field).toBe('body');
  });
});

describe('a /settle answer', () => {
  it('takes a failure without transaction or network (Go omitempty) as ""', () => {
    const receipt = parseSettleResponse({
      success: false,
      errorReason: 'invalid_exact_casper_build_deploy_failed',
      errorMessage: 'invalid amount',
      payer: PAYER,
    });
    expect(receipt).toEqual({
      success: false,
      errorReason: 'invalid_exact_casper_build_deploy_failed',
      errorMessage: 'invalid amount',
      payer: PAYER,
      transaction: '',
      network: '',
    });
    expect(Value.Check(SettleResponseSchema, receipt)).toBe(true);
    expect(() => encodePaymentResponse(receipt)).not.toThrow();
  });

  it('takes nulls for absent fields', () => {
    expect(
      parseSettleResponse({
        success: false,
        errorReason: 'settlement_failed',
        errorMessage: null,
        payer: null,
        transaction: null,
        network: 'casper:casper-test',
      }),
    ).toEqual({
      success: false,
      errorReason: 'settlement_failed',
      transaction: '',
      network: 'casper:casper-test',
    });
  });

  it('keeps a failure that names its transaction (put or wait failed)', () => {
    const body = {
      success: false,
      errorReason: 'invalid_exact_casper_wait_deploy_failed',
      transaction: TX,
      network: 'casper:casper',
    };
    expect(parseSettleResponse(body)).toEqual(body);
  });

  it('still refuses a success without its transaction or network', () => {
    expect(
      inputError(() => parseSettleResponse({ success: true, network: 'casper:casper' })).field,
    ).toBe('body.transaction');
    expect(
      inputError(() =>
        parseSettleResponse({ success: true, transaction: '', network: 'casper:casper' }),
      ).field,
    ).toBe('body.transaction');
    expect(
      inputError(() =>
        parseSettleResponse({ success: true, transaction: null, network: 'casper:casper' }),
      ).field,
    ).toBe('body.transaction');
    expect(inputError(() => parseSettleResponse({ success: true, transaction: TX })).field).toBe(
      'body.network',
    );
    expect(
      parseSettleResponse({ success: true, transaction: TX, network: 'casper:casper' }),
    ).toEqual({ success: true, transaction: TX, network: 'casper:casper' });
  });

  it('fills a network from what the caller knows: a success or a failure without one', () => {
    const known = { network: 'casper:casper-test' };
    expect(parseSettleResponse({ success: true, transaction: TX }, known)).toEqual({
      success: true,
      transaction: TX,
      network: 'casper:casper-test',
    });
    expect(parseSettleResponse({ success: false, network: null }, known)).toEqual({
      success: false,
      transaction: '',
      network: 'casper:casper-test',
    });
    expect(
      inputError(() => parseSettleResponse({ success: true, network: 'casper:casper' }, known))
        .field,
    ).toBe('body.transaction');
  });

  it('still refuses what is not a settle answer', () => {
    expect(inputError(() => parseSettleResponse({ transaction: TX })).field).toBe('body.success');
    expect(inputError(() => parseSettleResponse({ success: 'false' })).field).toBe('body.success');
    expect(inputError(() => parseSettleResponse({ success: false, transaction: 42 })).field).toBe(
      'body.transaction',
    );
    expect(inputError(() => parseSettleResponse({ success: false, errorReason: 7 })).field).toBe(
      'body.errorReason',
    );
  });
});

describe('a /verify answer', () => {
  it('drops null optional fields', () => {
    expect(
      parseVerifyResponse({
        isValid: false,
        invalidReason: 'invalid_exact_casper_facilitator_expired',
        invalidMessage: null,
        payer: null,
      }),
    ).toEqual({ isValid: false, invalidReason: 'invalid_exact_casper_facilitator_expired' });
    expect(parseVerifyResponse({ isValid: true, payer: PAYER })).toEqual({
      isValid: true,
      payer: PAYER,
    });
  });

  it('still refuses what is not a verify answer', () => {
    expect(inputError(() => parseVerifyResponse({ invalidReason: 'x' })).field).toBe(
      'body.isValid',
    );
    expect(inputError(() => parseVerifyResponse({ isValid: false, payer: 1 })).field).toBe(
      'body.payer',
    );
  });
});

describe('the strict shapes our facilitator answers with', () => {
  it('are unchanged: a failed settlement carries transaction and network, lists are lists', () => {
    expect(Value.Check(SettleResponseSchema, { success: false, errorReason: 'x' })).toBe(false);
    expect(
      Value.Check(SettleResponseSchema, {
        success: false,
        transaction: '',
        network: 'casper:casper',
        payer: null,
      }),
    ).toBe(false);
    expect(Value.Check(SupportedResponseSchema, { kinds: [] })).toBe(false);
    expect(
      Value.Check(SupportedResponseSchema, { kinds: [], extensions: null, signers: null }),
    ).toBe(false);
    expect(Value.Check(VerifyResponseSchema, { isValid: false, invalidReason: null })).toBe(false);
  });
});
