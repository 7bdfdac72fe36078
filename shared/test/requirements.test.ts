// extra.decimals as peers send it: a number, or a decimal string (the Go reference's "2").
import { describe, expect, it } from 'vitest';
import {
  chooseOption,
  createPaymentPayload,
  judgeOption,
  type PaymentRequirements,
  parseDecimals,
  parseExactRequirements,
  secretKeyFromHex,
  secretKeySigner,
  verifyPayment,
  X402InputError,
} from '../src/index.js';
import { vectors } from './vectors.js';

const requirements: PaymentRequirements = vectors.paymentRequirements;
const withDecimals = (decimals: unknown): PaymentRequirements => ({
  ...requirements,
  extra: { ...requirements.extra, decimals },
});

/** The X402InputError `act` throws. */
function inputError(act: () => unknown): X402InputError {
  try {
    act();
  } catch (error) {
    if (error instanceof X402InputError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('extra.decimals', () => {
  it.each([
    [6, 6],
    ['6', 6],
    ['2', 2],
    ['0', 0],
    [0, 0],
    ['36', 36],
    [36, 36],
  ])('takes %j as %d', (given, expected) => {
    expect(parseExactRequirements(withDecimals(given)).decimals).toBe(expected);
  });

  it('is undefined when absent', () => {
    const { decimals: _, ...extra } = requirements.extra ?? {};
    expect(parseExactRequirements({ ...requirements, extra }).decimals).toBeUndefined();
  });

  it.each([
    '2.5',
    '-1',
    '',
    ' 2',
    '2 ',
    '02',
    '37',
    '0x2',
    '1e1',
    '+2',
    '١',
    2.5,
    -1,
    37,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    true,
    [2],
    { value: 2 },
  ])('refuses %o, naming requirements.extra.decimals', (given) => {
    const error = inputError(() => parseExactRequirements(withDecimals(given)));
    expect(error.field).toBe('requirements.extra.decimals');
    expect(error.reason).toMatch(/whole number from 0 to 36/);
  });

  it('names the field under the root it is given', () => {
    expect(inputError(() => parseExactRequirements(withDecimals('x'), 'accepts.1')).field).toBe(
      'accepts.1.extra.decimals',
    );
    expect(inputError(() => parseDecimals('x', 'decimals')).field).toBe('decimals');
    expect(parseDecimals(undefined, 'decimals')).toBeUndefined();
  });

  it('a headless payer compares a string-decimals option by its normalised value', async () => {
    // The Go example server: 2 decimals as "2", amount 10000 = 100.00 tokens.
    const go = { ...withDecimals('2'), amount: '10000' };
    const policy = (maxAmount: string) => ({ maxAmount, decimalsOf: () => 2 });
    expect(await judgeOption(go, policy('100'))).toMatchObject({ ok: true, amount: 10000n });
    expect(await judgeOption(go, policy('99.99'))).toMatchObject({ ok: false });
    expect((await chooseOption([withDecimals('2.5'), go], policy('100'))).chosen).toBe(go);
  });

  it('a payment signed for string-decimals requirements verifies against them', async () => {
    const key = vectors.keys[0]!;
    const signer = secretKeySigner(secretKeyFromHex(key.algorithm, key.secretKeyHex));
    const go = withDecimals('2');
    const payload = await createPaymentPayload(go, signer, { now: 1_800_000_000 });
    expect(verifyPayment(payload, go, { now: 1_800_000_000 })).toMatchObject({ isValid: true });
  });

  it('says extra.name is the signing-domain name', () => {
    const error = inputError(() => parseExactRequirements({ ...requirements, extra: {} }));
    expect(error.field).toBe('requirements.extra.name');
    expect(error.reason).toMatch(/signing-domain name/);
  });
});
