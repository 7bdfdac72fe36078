import { describe, expect, it } from 'vitest';
import { AuthorizationClaims } from '../src/claims.js';

describe('AuthorizationClaims', () => {
  it('lets one holder at a time claim an authorization until it expires or is released', () => {
    const claims = new AuthorizationClaims();
    expect(claims.claim('a', 2_000, 1_000)).toBe(true);
    expect(claims.claim('a', 2_000, 1_500)).toBe(false);
    expect(claims.claim('a', 3_000, 2_000)).toBe(true); // expired claims are free again
    claims.release('a');
    expect(claims.claim('a', 3_000, 2_000)).toBe(true);
  });

  it('never holds more than its limit: expired claims go first, then the oldest', () => {
    const claims = new AuthorizationClaims(3);
    claims.claim('old', 1_500, 1_000);
    claims.claim('b', 9_000, 1_000);
    claims.claim('c', 9_000, 1_000);
    expect(claims.claim('d', 9_000, 2_000)).toBe(true); // 'old' has expired and is pruned
    expect(claims.claim('b', 9_000, 2_000)).toBe(false);
    expect(claims.claim('e', 9_000, 2_000)).toBe(true); // full of live claims: 'b' (oldest) goes
    expect(claims.claim('b', 9_000, 2_000)).toBe(true);
  });
});
