import { describe, expect, it } from 'vitest';
import { odraNonceItemKey, revertReason, usedNonceItemKey } from '../src/index.js';

describe('revertReason', () => {
  it.each([
    ['User error: 37000', 'cep3009', 'invalid_exact_casper_nonce_used'],
    ['User error: 37001', 'cep3009', 'invalid_exact_casper_payload_expired'],
    ['User error: 37002', 'cep3009', 'invalid_exact_casper_not_yet_valid'],
    ['User error: 37003', 'cep3009', 'invalid_exact_casper_invalid_signature'],
    ['User error: 37004', 'cep3009', 'invalid_exact_casper_public_key_mismatch'],
    ['User error: 60001', 'cep3009', 'insufficient_funds'],
    ['User error: 1', 'cep3009', 'invalid_transaction_state'],
    // The Cep18X402 proof of concept's own codes, as the binary answers them.
    ['User error: 1', 'cep18x402', 'invalid_exact_casper_nonce_used'],
    ['User error: 2', 'cep18x402', 'invalid_exact_casper_payload_expired'],
    ['User error: 3', 'cep18x402', 'invalid_exact_casper_not_yet_valid'],
    ['User error: 4', 'cep18x402', 'invalid_exact_casper_invalid_signature'],
    ['User error: 5', 'cep18x402', 'invalid_exact_casper_invalid_address'],
    ['User error: 6', 'cep18x402', 'invalid_exact_casper_public_key_mismatch'],
    ['User error: 60001', 'cep18x402', 'insufficient_funds'],
    ['User error: 37000', 'cep18x402', 'invalid_transaction_state'],
    ['User error: 64658', 'cep18x402', 'invalid_transaction_state'],
    ['Out of gas error', 'cep18x402', 'invalid_transaction_state'],
  ] as const)('%s from a %s token → %s', (message, family, reason) => {
    expect(revertReason(message, family)).toBe(reason);
  });
});

describe('odraNonceItemKey', () => {
  const address = `00${'ab'.repeat(32)}`;
  const nonce = 'cd'.repeat(32);

  it('prefixes the CEP preimage with the big-endian field index before hashing', () => {
    const key = odraNonceItemKey(2, address, nonce);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toBe(usedNonceItemKey(address, nonce));
    expect(odraNonceItemKey(3, address, nonce)).not.toBe(key);
    expect(odraNonceItemKey(2, `01${'ab'.repeat(32)}`, nonce)).not.toBe(key);
  });

  it('refuses a field index that is not a u32 and a nonce that is not 32 bytes', () => {
    expect(() => odraNonceItemKey(-1, address, nonce)).toThrow(RangeError);
    expect(() => odraNonceItemKey(2 ** 32, address, nonce)).toThrow(RangeError);
    expect(() => odraNonceItemKey(2, address, 'cd')).toThrow(/nonce/);
  });
});
