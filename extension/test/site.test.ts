import { readFileSync } from 'node:fs';
import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registrableDomain } from '../lib/site.js';

/** The list's own test vectors (tests/tests.txt of publicsuffix/list, public domain). */
const vectors = readFileSync(new URL('fixtures/public-suffix-tests.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('//'))
  .map((line) => line.split(/\s+/) as [string, string])
  // No host for a URL: no input, or a name starting with a dot.
  .filter(([domain]) => domain !== 'null' && !domain.startsWith('.'));

describe('registrable domains, by the Public Suffix List', () => {
  it("agrees with the list's own test vectors", () => {
    expect(vectors.length).toBeGreaterThan(60);
    for (const [domain, expected] of vectors) {
      const host = domainToASCII(domain);
      // A public suffix itself (no registrable domain) stands for itself.
      const want = expected === 'null' ? host : domainToASCII(expected);
      expect([domain, registrableDomain(`https://${domain}`)]).toEqual([domain, want]);
    }
  });

  it('tells apart sites under a shared suffix, and keeps sub-origins of one site together', () => {
    expect(registrableDomain('https://a.github.io')).toBe('a.github.io');
    expect(registrableDomain('https://b.github.io')).toBe('b.github.io');
    expect(registrableDomain('https://x.a.github.io')).toBe('a.github.io');
    expect(registrableDomain('https://github.io')).toBe('github.io');
    expect(registrableDomain('https://a.b.news.example')).toBe('news.example');
    expect(registrableDomain('https://shop.example.co.uk:8443')).toBe('example.co.uk');
    expect(registrableDomain('https://s1.flood.test')).toBe('flood.test');
  });

  it('takes IP addresses and single labels as they are', () => {
    expect(registrableDomain('http://127.0.0.1:8080')).toBe('127.0.0.1');
    expect(registrableDomain('http://[::1]:4021')).toBe('[::1]');
    expect(registrableDomain('http://localhost:4021')).toBe('localhost');
    expect(registrableDomain('not a url')).toBe('not a url');
  });
});
