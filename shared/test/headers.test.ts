import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  decodePaymentRequired,
  decodePaymentResponse,
  decodePaymentSignature,
  encodePaymentRequired,
  encodePaymentResponse,
  MAX_HEADER_LENGTH,
  type PaymentRequired,
  parseSettleRequest,
  parseSupportedResponse,
  parseVerifyRequest,
  parseVerifyResponse,
  utf8ToBytes,
  X402InputError,
} from '../src/index.js';
import { vectors } from './vectors.js';

const b64json = (value: unknown) => bytesToBase64(utf8ToBytes(JSON.stringify(value)));

/** Runs `fn` and returns the X402InputError it throws. */
function inputError(fn: () => unknown): X402InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof X402InputError) return error;
    throw error;
  }
  throw new Error('expected an X402InputError');
}

const required: PaymentRequired = {
  x402Version: 2,
  error: 'payment required',
  resource: {
    url: 'http://127.0.0.1:4021/api/weather',
    description: 'Weather',
    mimeType: 'application/json',
  },
  accepts: [vectors.paymentRequirements],
};

describe('header codec', () => {
  it('round-trips PAYMENT-REQUIRED and PAYMENT-RESPONSE, unicode included', () => {
    const withUnicode = {
      ...required,
      resource: { url: 'https://x.test/météo', description: '天気 ☀️' },
    };
    expect(decodePaymentRequired(encodePaymentRequired(withUnicode))).toEqual(withUnicode);
    const receipt = {
      success: true,
      transaction: 'ab'.repeat(32),
      network: 'casper:casper-test',
      payer: vectors.keys[0]!.address,
    };
    expect(decodePaymentResponse(encodePaymentResponse(receipt))).toEqual(receipt);
  });

  it('round-trips any string content (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.string({ maxLength: 200 }),
        (description, error) => {
          const value = { ...required, error, resource: { ...required.resource, description } };
          expect(decodePaymentRequired(encodePaymentRequired(value))).toEqual(value);
        },
      ),
    );
  });

  it('tolerates surrounding whitespace but nothing inside', () => {
    const header = encodePaymentRequired(required);
    expect(decodePaymentRequired(`  ${header} `)).toEqual(required);
    expect(
      inputError(() => decodePaymentRequired(`${header.slice(0, 10)} ${header.slice(10)}`)).field,
    ).toBe('PAYMENT-REQUIRED');
  });

  it.each([
    ['missing', undefined, 'header is missing'],
    ['not a string', 42, 'header is missing'],
    ['empty', '', 'header is empty'],
    ['truncated base64', vectors.paymentSignatureHeader.slice(0, -3), 'not valid base64'],
    ['url-safe alphabet', '-_-_', 'not valid base64'],
    ['non-canonical padding bits', 'QR==', 'not canonical base64'],
    ['not JSON', bytesToBase64(utf8ToBytes('{"x402Version":')), 'not base64 of JSON'],
    ['invalid UTF-8', bytesToBase64(new Uint8Array([0xff, 0xfe, 0x7b])), 'not valid UTF-8'],
    ['huge', 'A'.repeat(MAX_HEADER_LENGTH + 4), 'longer than'],
  ])('rejects a PAYMENT-SIGNATURE header that is %s', (_, header, message) => {
    const error = inputError(() => decodePaymentSignature(header));
    expect(error.field).toBe('PAYMENT-SIGNATURE');
    expect(error.message).toContain(message);
  });

  it.each([
    [
      'accepted.payTo',
      { ...vectors.paymentPayload, accepted: { ...vectors.paymentPayload.accepted, payTo: 7 } },
    ],
    [
      'accepted.maxTimeoutSeconds',
      {
        ...vectors.paymentPayload,
        accepted: { ...vectors.paymentPayload.accepted, maxTimeoutSeconds: '300' },
      },
    ],
    ['accepted', { x402Version: 2, payload: {} }],
    ['x402Version', { ...vectors.paymentPayload, x402Version: '2' }],
    ['payload', { ...vectors.paymentPayload, payload: 'signed' }],
    ['resource.url', { ...vectors.paymentPayload, resource: { description: 'no url' } }],
  ])('names the offending field %s', (field, value) => {
    expect(inputError(() => decodePaymentSignature(b64json(value))).field).toBe(
      `PAYMENT-SIGNATURE.${field}`,
    );
  });

  it('rejects a PAYMENT-REQUIRED whose option has a wrong type', () => {
    const bad = { ...required, accepts: [{ ...vectors.paymentRequirements, amount: 10000 }] };
    expect(inputError(() => decodePaymentRequired(b64json(bad))).field).toBe(
      'PAYMENT-REQUIRED.accepts.0.amount',
    );
  });

  it('rejects a "__proto__" key anywhere in the header JSON', () => {
    const json = JSON.stringify(vectors.paymentPayload).replace(
      '"payload":{',
      '"payload":{"__proto__":{"x":1},',
    );
    const error = inputError(() => decodePaymentSignature(bytesToBase64(utf8ToBytes(json))));
    expect(error.message).toBe('PAYMENT-SIGNATURE: header JSON must not contain a "__proto__" key');
  });

  it('rejects a top-level JSON value that is not an object', () => {
    expect(inputError(() => decodePaymentResponse(b64json([1, 2]))).field).toBe('PAYMENT-RESPONSE');
    expect(inputError(() => decodePaymentResponse(b64json(null))).field).toBe('PAYMENT-RESPONSE');
  });
});

describe('a PAYMENT-RESPONSE as servers send it', () => {
  const TX = 'cd'.repeat(32);
  const NETWORK = 'casper:casper-test';

  it('reads a failed settlement without transaction or network, with its reason and message', () => {
    const header = b64json({
      success: false,
      errorReason: 'invalid_exact_casper_put_deploy_failed',
      errorMessage: 'node down',
    });
    expect(decodePaymentResponse(header)).toEqual({
      success: false,
      errorReason: 'invalid_exact_casper_put_deploy_failed',
      errorMessage: 'node down',
      transaction: '',
      network: '',
    });
    expect(decodePaymentResponse(header, { network: NETWORK })).toMatchObject({
      transaction: '',
      network: NETWORK,
    });
    expect(
      decodePaymentResponse(b64json({ success: false, errorMessage: null, transaction: null })),
    ).toEqual({ success: false, transaction: '', network: '' });
  });

  it('fills a success without its network from the network paid on, and keeps one it names', () => {
    expect(
      decodePaymentResponse(b64json({ success: true, transaction: TX }), { network: NETWORK }),
    ).toEqual({ success: true, transaction: TX, network: NETWORK });
    expect(
      decodePaymentResponse(b64json({ success: true, transaction: TX, network: 'casper:casper' }), {
        network: NETWORK,
      }).network,
    ).toBe('casper:casper');
  });

  it('refuses a success without its transaction, or without a network no one knows', () => {
    expect(
      inputError(() => decodePaymentResponse(b64json({ success: true, transaction: TX }))),
    ).toMatchObject({ field: 'PAYMENT-RESPONSE.network' });
    for (const transaction of [undefined, '', null]) {
      const error = inputError(() =>
        decodePaymentResponse(b64json({ success: true, transaction, network: NETWORK }), {
          network: NETWORK,
        }),
      );
      expect(error.field).toBe('PAYMENT-RESPONSE.transaction');
    }
    expect(
      inputError(() => decodePaymentResponse(b64json({ success: 'yes', transaction: TX }))).field,
    ).toBe('PAYMENT-RESPONSE.success');
  });
});

describe('facilitator bodies', () => {
  const body = {
    x402Version: 2,
    paymentPayload: vectors.paymentPayload,
    paymentRequirements: vectors.paymentRequirements,
  };

  it('accepts verify and settle requests and responses', () => {
    expect(parseVerifyRequest(body)).toEqual(body);
    expect(parseSettleRequest(body)).toEqual(body);
    expect(parseVerifyResponse({ isValid: false, invalidReason: 'invalid_network' }).isValid).toBe(
      false,
    );
    const supported = {
      kinds: [{ x402Version: 2, scheme: 'exact', network: 'casper:casper-test' }],
      extensions: [],
      signers: { 'casper:*': ['00ab'] },
    };
    expect(parseSupportedResponse(supported)).toEqual(supported);
  });

  it('names what is wrong in a bad request', () => {
    expect(
      inputError(() => parseVerifyRequest({ ...body, paymentRequirements: undefined })).field,
    ).toBe('body.paymentRequirements');
    expect(inputError(() => parseVerifyRequest('{}')).field).toBe('body');
    expect(
      inputError(() =>
        parseSettleRequest({
          ...body,
          paymentPayload: {
            ...body.paymentPayload,
            accepted: { ...body.paymentRequirements, network: '' },
          },
        }),
      ).field,
    ).toBe('body.paymentPayload.accepted.network');
  });
});
