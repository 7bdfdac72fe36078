// Pure pieces of the chain client and settlement: CLValue decoding, the current contract of a
// package, and revert codes.

import { describe, expect, it } from 'vitest';
import { currentContractHash, decodeU256 } from '../../src/facilitator/chain.js';

describe('decodeU256', () => {
  it.each([
    ['00', 0n],
    ['021027', 10_000n],
    ['0400e40b54', 1_410_065_408n],
    [`20${'ff'.repeat(32)}`, (1n << 256n) - 1n],
  ])('%s is %s', (hex, value) => {
    expect(decodeU256(hex)).toBe(value);
  });

  it.each(['', '02ff', `21${'00'.repeat(33)}`])('refuses malformed bytes %j', (hex) => {
    expect(() => decodeU256(hex)).toThrow();
  });
});

describe('currentContractHash', () => {
  const version = (major: number, v: number, hash: string) => ({
    protocol_version_major: major,
    contract_version: v,
    contract_hash: `contract-${hash.repeat(32)}`,
  });

  it('takes the highest enabled version', () => {
    const stored = {
      ContractPackage: {
        versions: [
          version(2, 1, 'aa'),
          version(2, 3, 'cc'),
          version(1, 9, 'ee'),
          version(2, 2, 'bb'),
        ],
        disabled_versions: [[2, 3]],
      },
    };
    expect(currentContractHash(stored)).toBe('bb'.repeat(32));
  });

  it('refuses what is not a contract package, or has no enabled version', () => {
    expect(() => currentContractHash({ Account: {} })).toThrow(/not a contract package/);
    expect(() => currentContractHash(null)).toThrow(/not a contract package/);
    expect(() =>
      currentContractHash({
        ContractPackage: { versions: [version(2, 1, 'aa')], disabled_versions: [[2, 1]] },
      }),
    ).toThrow(/no enabled contract version/);
  });
});
