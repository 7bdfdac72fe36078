import { beforeEach, describe, expect, it } from 'vitest';
import { browser } from 'wxt/browser';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { QuietSites } from '../lib/quiet-sites.js';
import type { Requester } from '../lib/site-policy.js';

const requester = (origin: string, tabId = 1, frameId = 0): Requester => ({
  origin,
  tabId,
  frameId,
});
const shop = requester('https://a.shop.example');
const asker = 'https://a.shop.example';

beforeEach(() => fakeBrowser.reset());

describe('sites told no too often', () => {
  it('quiets a site after three rejections in a row, a minute doubling each time, and forgives on approval', async () => {
    let now = 0;
    const sites = new QuietSites(() => now);
    for (let i = 0; i < 2; i++) await sites.rejected(shop, asker);
    expect(await sites.isQuiet(shop, asker)).toBe(false);
    await sites.rejected(shop, asker);
    expect(await sites.isQuiet(shop, asker)).toBe(true);
    // Another sub-origin of the same site, in another tab, waits too.
    const other = requester('https://b.shop.example', 2);
    expect(await sites.isQuiet(other, 'https://b.shop.example')).toBe(true);
    now = 60_000;
    expect(await sites.isQuiet(shop, asker)).toBe(false);
    await sites.rejected(shop, asker);
    now = 60_000 + 119_999;
    expect(await sites.isQuiet(shop, asker)).toBe(true);
    await sites.approved(shop, asker);
    expect(await sites.isQuiet(shop, asker)).toBe(false);
    await sites.rejected(shop, asker);
    expect(await sites.isQuiet(shop, asker)).toBe(false);
  });

  it('remembers the counts in storage.session: a worker started after a stop keeps the quiet, and the doubling', async () => {
    let now = 0;
    const before = new QuietSites(() => now);
    for (let i = 0; i < 3; i++) await before.rejected(shop, asker);
    // The worker stops: its memory is gone, storage.session stays.
    const after = new QuietSites(() => now);
    expect(await after.isQuiet(requester('https://a.shop.example', 9), asker)).toBe(true);
    now = 60_000;
    expect(await after.isQuiet(shop, asker)).toBe(false);
    await after.rejected(shop, asker);
    now = 60_000 + 119_999;
    expect(await new QuietSites(() => now).isQuiet(shop, asker)).toBe(true);
  });

  it('ignores what it cannot read in storage, and keeps the newest counts only', async () => {
    await browser.storage.session.set({ rejections: [['site shop.example', { count: 'x' }], 7] });
    const sites = new QuietSites(() => 0);
    expect(await sites.isQuiet(shop, asker)).toBe(false);
    for (let tab = 0; tab < 600; tab++) await sites.rejected(requester(asker, tab), asker);
    const { rejections } = await browser.storage.session.get('rejections');
    expect((rejections as unknown[]).length).toBe(500);
    // The site's count, changed with every rejection, is among the newest.
    expect(await new QuietSites(() => 0).isQuiet(requester(asker, 9999), asker)).toBe(true);
  });
});
