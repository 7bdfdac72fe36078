import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAmount, parseAmount, U256_MAX } from '../src/index.js';

describe('amounts', () => {
  it.each([
    ['0.01', 6, 10000n],
    ['1', 6, 1000000n],
    ['0', 6, 0n],
    ['12.345678', 6, 12345678n],
    ['0.100', 6, 100000n],
    ['7', 0, 7n],
  ])('parses %s with %i decimals', (text, decimals, atomic) => {
    expect(parseAmount(text, decimals)).toBe(atomic);
  });

  it.each([
    ['-1', 'plain decimal'],
    ['+1', 'plain decimal'],
    ['1e3', 'plain decimal'],
    ['1,000', 'plain decimal'],
    ['.5', 'plain decimal'],
    ['5.', 'plain decimal'],
    ['01', 'plain decimal'],
    [' 1', 'plain decimal'],
    ['', 'plain decimal'],
    ['0.0000001', 'more than 6 decimal places'],
    ['NaN', 'plain decimal'],
  ])('rejects "%s"', (text, message) => {
    expect(() => parseAmount(text, 6, 'price')).toThrow(`price: `);
    expect(() => parseAmount(text, 6, 'price')).toThrow(message);
  });

  it('rejects non-string input, bad decimals and overflow', () => {
    expect(() => parseAmount(1 as unknown as string, 6)).toThrow(/amount: /);
    expect(() => parseAmount('1', -1)).toThrow(/decimals/);
    expect(() => parseAmount('1', 2.5)).toThrow(/decimals/);
    expect(() => parseAmount(`${U256_MAX}0`, 0)).toThrow(/too large/);
  });

  it('formats without trailing zeros', () => {
    expect(formatAmount(10000n, 6)).toBe('0.01');
    expect(formatAmount('1000000', 6)).toBe('1');
    expect(formatAmount(0n, 6)).toBe('0');
    expect(formatAmount(123n, 0)).toBe('123');
    expect(() => formatAmount('-5', 6)).toThrow(/amount: /);
  });

  it('format and parse are inverse (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: U256_MAX }),
        fc.integer({ min: 0, max: 36 }),
        (atomic, decimals) => {
          expect(parseAmount(formatAmount(atomic, decimals), decimals)).toBe(atomic);
        },
      ),
    );
  });
});
