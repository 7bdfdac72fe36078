import { describe, expect, it } from 'vitest';
import { originPattern, paidLoadRule, reportOf, requestUrl } from '../lib/paid-load.js';

describe('the one-shot rule that signs a page load', () => {
  it('adds the signature only to top-level loads of that exact URL in that tab', () => {
    expect(paidLoadRule(7, 42, 'https://news.example/a?b=1', 'c2ln')).toEqual({
      id: 7,
      priority: 1,
      action: {
        type: 'modifyHeaders',
        requestHeaders: [{ header: 'PAYMENT-SIGNATURE', operation: 'set', value: 'c2ln' }],
      },
      condition: {
        urlFilter: '|https://news.example/a?b=1|',
        isUrlFilterCaseSensitive: true,
        tabIds: [42],
        resourceTypes: ['main_frame'],
      },
    });
  });

  it('targets the URL a request carries (no fragment) and asks access for one origin only', () => {
    expect(requestUrl('https://news.example/a?b=1#part')).toBe('https://news.example/a?b=1');
    expect(requestUrl('http://127.0.0.1:8080/x#')).toBe('http://127.0.0.1:8080/x');
    expect(originPattern('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/*');
  });

  it("reads the site's answer from the response headers, whatever their case", () => {
    expect(
      reportOf(200, [
        { name: 'content-type', value: 'text/html' },
        { name: 'payment-response', value: 'cmVjZWlwdA==' },
      ]),
    ).toEqual({ status: 200, paymentResponse: 'cmVjZWlwdA==' });
    expect(reportOf(402, [{ name: 'PAYMENT-REQUIRED', value: 'cmVx' }])).toEqual({
      status: 402,
      paymentRequired: 'cmVx',
    });
    expect(reportOf(500, undefined)).toEqual({ status: 500 });
  });
});
