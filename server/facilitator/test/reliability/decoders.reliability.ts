// Fuzzing shared's decoders and rules in process: the three x402 headers, the facilitator
// request bodies and verifyPayment, with random and mutated inputs. Each decoder either
// returns a value that survives a round trip or throws an X402InputError naming a field under
// its own root; verifyPayment never throws, calls valid only what really is, and gives the
// precise reason for every targeted corruption.
import {
  bytesToBase64,
  decodePaymentRequired,
  decodePaymentResponse,
  decodePaymentSignature,
  encodePaymentRequired,
  encodePaymentResponse,
  encodePaymentSignature,
  generateSecretKey,
  INVALID_REASONS,
  type KeyAlgorithm,
  type PaymentPayload,
  type PaymentRequirements,
  parseSettleRequest,
  parseVerifyRequest,
  utf8ToBytes,
  verifyPayment,
  X402InputError,
} from '@x402-casper/shared';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { requirementsOf, signedPayments } from '../../bench/payments.js';
import { emptyFigures, recordFigures } from './figures.js';
import { mutateJson, mutateString, oddValue, Random, reallyValid, SEED } from './mutate.js';
import { PROFILE } from './profile.js';

const figures = emptyFigures();
const random = new Random(SEED);
const N = PROFILE.fuzzCases;

const token = { name: 'Casper x402 Token', decimals: 6, packageHash: '5c'.repeat(32) };
const requirements = requirementsOf('casper:casper-test', token, `00${'ae'.repeat(32)}`, '10000');
const keys = (['ed25519', 'secp256k1'] as KeyAlgorithm[]).map((a) => generateSecretKey(a));
const valid = keys.flatMap((key) => signedPayments(requirements, key, 40));
const validPayload = () => random.pick(valid).paymentPayload;

afterAll(() => {
  figures.details.seed = SEED;
  recordFigures('decoders', figures);
});

/** Random header texts: arbitrary strings, base64 of random JSON, base64 of mutated documents. */
function headerInputs(document: unknown): string[] {
  const strings = fc.sample(fc.string({ unit: 'binary', maxLength: 300 }), {
    seed: SEED,
    numRuns: N / 4,
  });
  const json = fc
    .sample(fc.jsonValue({ maxDepth: 4 }), { seed: SEED + 1, numRuns: N / 4 })
    .map((v) => bytesToBase64(utf8ToBytes(JSON.stringify(v) ?? 'null')));
  const mutated = Array.from({ length: N / 4 }, () =>
    bytesToBase64(utf8ToBytes(JSON.stringify(mutateJson(random, document)) ?? 'null')),
  );
  const encoded = bytesToBase64(utf8ToBytes(JSON.stringify(document)));
  const textual = Array.from({ length: N / 4 }, () => mutateString(random, encoded));
  return [...strings, ...json, ...mutated, ...textual];
}

function checkDecoder<T>(
  name: string,
  decode: (header: unknown) => T,
  encode: (value: T) => string,
  document: unknown,
) {
  let accepted = 0;
  for (const input of headerInputs(document)) {
    figures.cases++;
    let value: T;
    try {
      value = decode(input);
    } catch (error) {
      if (!(error instanceof X402InputError)) {
        throw new Error(
          `${name} threw ${String(error)} for ${JSON.stringify(input).slice(0, 200)}`,
        );
      }
      expect(error.field.startsWith(name)).toBe(true);
      continue;
    }
    accepted++;
    expect(decode(encode(value))).toEqual(value);
  }
  return accepted;
}

describe('header decoders', () => {
  it('PAYMENT-SIGNATURE: a round-trippable value or an X402InputError naming the field', () => {
    const accepted = checkDecoder(
      'PAYMENT-SIGNATURE',
      decodePaymentSignature,
      encodePaymentSignature,
      validPayload(),
    );
    figures.details.signatureHeadersAccepted = accepted;
  });

  it('PAYMENT-REQUIRED: the same', () => {
    checkDecoder('PAYMENT-REQUIRED', decodePaymentRequired, encodePaymentRequired, {
      x402Version: 2,
      error: 'payment required',
      resource: { url: 'http://127.0.0.1/api', description: 'x' },
      accepts: [requirements],
    });
  });

  it('PAYMENT-RESPONSE: the same', () => {
    checkDecoder('PAYMENT-RESPONSE', decodePaymentResponse, encodePaymentResponse, {
      success: true,
      payer: `00${'11'.repeat(32)}`,
      transaction: 'ab'.repeat(32),
      network: 'casper:casper-test',
    });
  });

  it('refuses non-strings and oversized headers with the header named', () => {
    for (const input of [undefined, null, 42, {}, [], 'A'.repeat(12_289)]) {
      figures.cases++;
      expect(() => decodePaymentSignature(input)).toThrow(/^PAYMENT-SIGNATURE/);
    }
  });
});

describe('facilitator request bodies', () => {
  it('parse or throw an X402InputError under "body"', () => {
    const base = valid[0]!;
    const inputs = [
      ...fc.sample(fc.jsonValue({ maxDepth: 5 }), { seed: SEED + 2, numRuns: N / 2 }),
      ...Array.from({ length: N / 2 }, () => mutateJson(random, base)),
    ];
    for (const input of inputs) {
      for (const parse of [parseVerifyRequest, parseSettleRequest]) {
        figures.cases++;
        try {
          parse(input);
        } catch (error) {
          if (!(error instanceof X402InputError)) throw error;
          expect(error.field.startsWith('body')).toBe(true);
        }
      }
    }
  });
});

describe('verifyPayment', () => {
  it('never throws, and calls valid only what pays the requirements', () => {
    let stillValid = 0;
    for (let i = 0; i < N; i++) {
      figures.cases++;
      const pair = mutateJson(random, {
        payload: validPayload(),
        requirements,
      }) as { payload: PaymentPayload; requirements: PaymentRequirements } | undefined;
      const payload = (pair?.payload ?? oddValue(random)) as PaymentPayload;
      const required = (pair?.requirements ?? oddValue(random)) as PaymentRequirements;
      const verdict = verifyPayment(payload, required);
      if (verdict.isValid) {
        stillValid++;
        expect(reallyValid(payload, required)).toBe(true);
      } else {
        expect(Object.keys(INVALID_REASONS)).toContain(verdict.invalidReason);
        expect(verdict.invalidMessage).toEqual(expect.any(String));
      }
    }
    figures.details.mutationsStillValid = stillValid;
  });

  // Corruptions with one right answer each, applied to many payments of both key types.
  const other = generateSecretKey('ed25519');
  const now = Math.floor(Date.now() / 1000);
  type Change = (p: PaymentPayload, r: PaymentRequirements) => void;
  type Authorization = Record<
    'from' | 'to' | 'value' | 'validAfter' | 'validBefore' | 'nonce',
    string
  >;
  const exact = (p: PaymentPayload) =>
    p.payload as { authorization: Authorization; publicKey: string; signature: string };
  const setAuth =
    (field: keyof Authorization, value: (a: Authorization) => string): Change =>
    (p) => {
      const { authorization } = exact(p);
      authorization[field] = value(authorization);
    };
  const flipHex = (hex: string, at: number) =>
    hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1);
  const otherAddress = `00${'ad'.repeat(32)}`;
  const targeted: Array<[string, Change]> = [
    ['invalid_exact_casper_amount_mismatch', setAuth('value', () => '10001')],
    [
      'invalid_exact_casper_amount_mismatch',
      (p) => {
        p.accepted.amount = '9999';
      },
    ],
    ['invalid_exact_casper_payto_mismatch', setAuth('to', () => otherAddress)],
    [
      'invalid_exact_casper_payto_mismatch',
      (p) => {
        p.accepted.payTo = otherAddress;
      },
    ],
    ['invalid_exact_casper_public_key_mismatch', setAuth('from', () => otherAddress)],
    [
      'invalid_exact_casper_public_key_mismatch',
      (p) => {
        exact(p).publicKey = other.publicKey.hex;
      },
    ],
    [
      'invalid_exact_casper_invalid_public_key',
      (p) => {
        exact(p).publicKey = `03${'11'.repeat(32)}`;
      },
    ],
    ['invalid_exact_casper_invalid_signature', setAuth('nonce', (a) => flipHex(a.nonce, 5))],
    [
      'invalid_exact_casper_invalid_signature',
      (p) => {
        exact(p).signature = flipHex(exact(p).signature, 2 + random.int(128));
      },
    ],
    ['invalid_exact_casper_invalid_nonce', setAuth('nonce', (a) => a.nonce.slice(1))],
    ['invalid_exact_casper_invalid_address', setAuth('to', () => 'merchant')],
    ['invalid_exact_casper_payload_expired', setAuth('validBefore', () => String(now + 10))],
    ['invalid_exact_casper_not_yet_valid', setAuth('validAfter', () => String(now + 100))],
    ['invalid_exact_casper_invalid_window', setAuth('validAfter', (a) => a.validBefore)],
    ['invalid_exact_casper_invalid_window', setAuth('validBefore', () => '1e9')],
    ['invalid_exact_casper_invalid_value', setAuth('value', () => '-10000')],
    [
      'invalid_exact_casper_asset_mismatch',
      (p) => {
        p.accepted.asset = '6d'.repeat(32);
      },
    ],
    [
      'invalid_exact_casper_domain_mismatch',
      (p) => {
        p.accepted.extra = { ...p.accepted.extra, name: 'Other' };
      },
    ],
    [
      'invalid_network',
      (p) => {
        p.accepted.network = 'casper:casper';
      },
    ],
    [
      'invalid_scheme',
      (p) => {
        p.accepted.scheme = 'upto';
      },
    ],
    [
      'unsupported_scheme',
      (_, r) => {
        r.scheme = 'upto';
      },
    ],
    [
      'invalid_payment_requirements',
      (_, r) => {
        r.payTo = 'nobody';
      },
    ],
    [
      'invalid_x402_version',
      (p) => {
        p.x402Version = 1;
      },
    ],
    [
      'invalid_payload',
      (p) => {
        delete (p.payload as Record<string, unknown>).signature;
      },
    ],
  ];

  it.each(targeted)('answers %s for its corruption, every time', (reason, change) => {
    for (let i = 0; i < Math.max(20, N / 50); i++) {
      figures.cases++;
      const payload = structuredClone(random.pick(valid).paymentPayload);
      const required = structuredClone(requirements);
      change(payload, required);
      expect(verifyPayment(payload, required, { now })).toMatchObject({
        isValid: false,
        invalidReason: reason,
      });
    }
  });

  it('refuses the high-S twin of every secp256k1 signature (Casper requires low S)', async () => {
    const { secp256k1 } = await import('@noble/curves/secp256k1.js');
    const n = secp256k1.Point.CURVE().n;
    for (const { paymentPayload } of valid.filter((p) =>
      (p.paymentPayload.payload as { publicKey: string }).publicKey.startsWith('02'),
    )) {
      figures.cases++;
      const payload = structuredClone(paymentPayload);
      const exact = payload.payload as { signature: string };
      const s = BigInt(`0x${exact.signature.slice(66)}`);
      exact.signature = exact.signature.slice(0, 66) + (n - s).toString(16).padStart(64, '0');
      expect(verifyPayment(payload, requirements, { now })).toMatchObject({
        isValid: false,
        invalidReason: 'invalid_exact_casper_invalid_signature',
      });
    }
  });
});
