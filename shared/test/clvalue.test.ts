import { describe, expect, it } from 'vitest';
import { decodeBool, decodeByteList } from '../src/index.js';

describe('decodeBool and decodeByteList', () => {
  it('reads a bool, and a bool serialized into a List<U8> as Odra stores it', () => {
    expect(decodeBool('01')).toBe(true);
    expect(decodeBool('00')).toBe(false);
    expect(decodeBool(decodeByteList('0100000001'))).toBe(true);
    expect(decodeBool(decodeByteList('0100000000'))).toBe(false);
  });

  it.each(['', '02', '0001'])('refuses a malformed bool %j', (hex) => {
    expect(() => decodeBool(hex)).toThrow(/malformed bool/);
  });

  it.each(['', '010000', '0200000001', '01000000'])('refuses a malformed List<U8> %j', (hex) => {
    expect(() => decodeByteList(hex)).toThrow(/malformed List<U8>/);
  });
});
