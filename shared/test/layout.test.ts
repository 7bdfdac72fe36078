import { describe, expect, it } from 'vitest';
import { ARG_LAYOUTS, layoutArgs, parseArgLayout } from '../src/index.js';

describe('argument layouts', () => {
  it('names the amount and types the window as each deployed token does', () => {
    expect(layoutArgs('amount-u64')).toEqual({ amount: 'amount', window: 'U64' });
    expect(layoutArgs('value-u64')).toEqual({ amount: 'value', window: 'U64' });
    expect(layoutArgs('amount-u256')).toEqual({ amount: 'amount', window: 'U256' });
  });

  it('accepts every layout and the older names', () => {
    for (const layout of ARG_LAYOUTS) expect(parseArgLayout(layout, 'f')).toBe(layout);
    expect(parseArgLayout('cep3009', 'f')).toBe('amount-u64');
    expect(parseArgLayout('legacy-u256', 'f')).toBe('amount-u256');
  });

  it('refuses anything else, naming the field and the choices', () => {
    for (const bad of ['u64', '', 'toString', '__proto__', 7, null, undefined]) {
      expect(() => parseArgLayout(bad, 'assets[0].argLayout')).toThrow(
        /assets\[0\]\.argLayout.*amount-u64, value-u64, amount-u256, cep3009, legacy-u256/,
      );
    }
  });
});
