import { beforeEach, describe, expect, it } from 'vitest';
import { browser } from 'wxt/browser';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { migrateStorage, STORAGE_VERSION, VERSION_KEY } from '../lib/migrations.js';

const budget = (account?: string) => ({
  origin: 'https://shop.example',
  ...(account ? { account } : {}),
  network: 'casper:casper-test',
  asset: 'aa'.repeat(32),
  payTo: `00${'bb'.repeat(32)}`,
  maxPerPayment: '10',
  maxPerDay: '100',
  spent: '0',
  periodStart: 0,
});

beforeEach(() => fakeBrowser.reset());

describe('storage versions', () => {
  it('brings unversioned storage to this version: budgets without an account go, the rest stays', async () => {
    const history = [
      { id: 'h1', origin: 'https://shop.example', requester: 'https://shop.example' },
    ];
    await browser.storage.local.set({
      budgets: [budget(), budget(`01${'cc'.repeat(32)}`)],
      history,
      settings: { autoLockMinutes: 5 },
    });
    expect(await migrateStorage()).toBe(0);
    const stored = await browser.storage.local.get(null);
    expect(stored).toEqual({
      [VERSION_KEY]: STORAGE_VERSION,
      budgets: [budget(`01${'cc'.repeat(32)}`)],
      history,
      settings: { autoLockMinutes: 5 },
    });
    // A second start changes nothing.
    expect(await migrateStorage()).toBe(STORAGE_VERSION);
    expect(await browser.storage.local.get(null)).toEqual(stored);
  });

  it('names the requesting page origin on version 1 payment records: `page` when another site, else the host that asked', async () => {
    await browser.storage.local.set({
      [VERSION_KEY]: 1,
      history: [
        { id: 'own', origin: 'https://news.example' },
        { id: 'third', origin: 'https://api.example', page: 'https://news.example' },
        { id: 'odd' },
      ],
    });
    expect(await migrateStorage()).toBe(1);
    expect((await browser.storage.local.get('history')).history).toEqual([
      { id: 'own', origin: 'https://news.example', requester: 'https://news.example' },
      {
        id: 'third',
        origin: 'https://api.example',
        page: 'https://news.example',
        requester: 'https://news.example',
      },
      // Nothing says who asked: it is never sent again to anyone.
      { id: 'odd' },
    ]);
  });

  it('drops lists that are not lists, and stamps a fresh install', async () => {
    await browser.storage.local.set({ budgets: 'x', history: { a: 1 } });
    await migrateStorage();
    expect(await browser.storage.local.get(null)).toEqual({ [VERSION_KEY]: STORAGE_VERSION });
    fakeBrowser.reset();
    await migrateStorage();
    expect(await browser.storage.local.get(null)).toEqual({ [VERSION_KEY]: STORAGE_VERSION });
  });

  it('takes a version 1 history that is not a list as no history, and becomes ready', async () => {
    await browser.storage.local.set({ [VERSION_KEY]: 1, history: { a: 1 }, budgets: [] });
    expect(await migrateStorage()).toBe(1);
    expect(await browser.storage.local.get(null)).toEqual({
      [VERSION_KEY]: STORAGE_VERSION,
      budgets: [],
    });
  });

  it.each([
    [STORAGE_VERSION + 1, /newer version of x402-casper/],
    ['1', /unreadable version/],
    [-1, /unreadable version/],
  ])('refuses storage at version %j and leaves it as it is', async (version, message) => {
    const before = { [VERSION_KEY]: version, budgets: [budget()] };
    await browser.storage.local.set(before);
    await expect(migrateStorage()).rejects.toMatchObject({ code: 'unsupported', message });
    expect(await browser.storage.local.get(null)).toEqual(before);
  });
});
