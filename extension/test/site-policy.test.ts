import { describe, expect, it } from 'vitest';
import { askerOf, isTopSite, type Requester, SitePolicy } from '../lib/site-policy.js';

const requester = (origin: string, tabId = 1, frameId = 0): Requester => ({
  origin,
  tabId,
  frameId,
});

describe('SitePolicy', () => {
  it('refuses a page load asked for by a frame or for another URL, and a 402 page a paid load just produced', () => {
    let now = 0;
    const sites = new SitePolicy(() => now);
    const url = 'https://shop.example/article';
    expect(sites.refuseNavigation(requester('https://shop.example', 1, 3), url, url)).toMatchObject(
      {
        reason: 'not_payable',
      },
    );
    expect(
      sites.refuseNavigation(requester('https://shop.example'), url, 'https://shop.example/other'),
    ).toMatchObject({ reason: 'not_payable' });
    expect(sites.refuseNavigation(requester('https://shop.example'), url, url)).toBeUndefined();
    sites.loadFailed(1, url);
    expect(sites.refuseNavigation(requester('https://shop.example'), url, url)).toMatchObject({
      reason: 'rejected',
    });
    // Only once, and only within ten seconds.
    expect(sites.refuseNavigation(requester('https://shop.example'), url, url)).toBeUndefined();
    sites.loadFailed(1, url);
    now = 10_000;
    expect(sites.refuseNavigation(requester('https://shop.example'), url, url)).toBeUndefined();
  });

  it('names the host that answered 402, and the page the person is on', () => {
    const page = { ...requester('https://blog.example', 1, 2), tabUrl: 'https://blog.example/x' };
    expect(
      askerOf(page, {
        kind: 'fetch',
        url: 'https://api.other.example/p',
        method: 'GET',
        paymentRequired: '',
      }),
    ).toBe('https://api.other.example');
    expect(isTopSite(page)).toBe(true);
    expect(isTopSite({ ...page, tabUrl: 'https://news.example/' })).toBe(false);
  });
});
