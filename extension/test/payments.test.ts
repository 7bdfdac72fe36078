import {
  decodePaymentSignature,
  encodePaymentRequired,
  encodePaymentResponse,
  secretKeyFromHex,
  usedNonceItemKey,
  verifyPayment,
} from '@x402-casper/shared';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { browser } from 'wxt/browser';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { historyCsv, isThisPayment, type PaymentRecord } from '../lib/history.js';
import { requesterOf, servePayPort } from '../lib/pay-port.js';
import type { PortReply } from '../lib/protocol.js';
import { isSecureOrigin } from '../lib/site-policy.js';
import { createWallet } from '../lib/wallet.js';
import {
  FakeChain,
  FakePages,
  FakeWindows,
  fakePort,
  header,
  PASSWORD,
  paymentRequired,
  TOKEN,
  tabSender,
  transferTransaction,
  vectors,
} from './helpers.js';

const payer = vectors.keys[0]!;
const requirements = vectors.paymentRequirements;
const SITE = 'https://news.example';
/** A budget for SITE, paid from the vectors' first account. */
const siteBudget = {
  origin: SITE,
  account: payer.publicKey,
  network: requirements.network,
  asset: TOKEN.packageHash,
  payTo: requirements.payTo,
};
const now = 1_763_900_000_000;
let snapshot: { local: Record<string, unknown>; session: Record<string, unknown> };
let windows: FakeWindows;
let pages: FakePages;
let chain: FakeChain;
let wallet: ReturnType<typeof createWallet>;

beforeAll(async () => {
  fakeBrowser.reset();
  const setup = createWallet({
    windows: new FakeWindows(),
    pages: new FakePages(),
    now: () => now,
  });
  await setup.keyring.create(PASSWORD, secretKeyFromHex('ed25519', payer.secretKeyHex));
  await setup.settings.addToken('casper:casper-test', TOKEN);
  snapshot = {
    local: await browser.storage.local.get(null),
    session: await browser.storage.session.get(null),
  };
});

beforeEach(async () => {
  fakeBrowser.reset();
  await browser.storage.local.set(snapshot.local);
  await browser.storage.session.set(snapshot.session);
  windows = new FakeWindows();
  pages = new FakePages();
  chain = new FakeChain(now);
  wallet = createWallet({ windows, pages, now: () => now, fetch: chain.fetch, later: () => {} });
});

/**
 * A content script in `tab` asks to pay, after the person clicked in the page; the page
 * claims to be someone else.
 */
function ask(tab = 1, origin = SITE, paymentRequired = header(), frameId = 0) {
  const page = fakePort(tabSender(tab, origin, frameId));
  servePayPort(page.port, wallet.payments);
  page.send({
    type: 'pay',
    kind: 'fetch',
    url: `${origin}/api/weather?city=Oslo`,
    method: 'GET',
    paymentRequired,
    activated: true,
    origin: 'https://impostor.example',
  });
  return page;
}

async function approvalId(count = 1) {
  await vi.waitFor(() => expect(windows.opened).toHaveLength(count));
  return windows.opened[count - 1]!;
}

function answer(page: { received: PortReply[] }, type: PortReply['type']) {
  return vi.waitFor(() => {
    const message = page.received.find((m) => m.type === type);
    expect(message).toBeDefined();
    return message!;
  });
}

async function decide(id: string, decision: unknown) {
  return wallet.api.handle({ method: 'decide', params: { id, decision } });
}

describe('paying a 402', () => {
  it('asks in a window showing the sender origin, signs a payment the rules accept, and records the receipt', async () => {
    const page = ask();
    const id = await approvalId();
    const view = await wallet.payments.approval(id);
    expect(view).toMatchObject({
      origin: SITE,
      resource: {
        url: 'https://news.example/api/weather?city=Oslo',
        description: 'Weather in Oslo',
      },
      options: [{ amount: '10000', symbol: 'CX402', decimals: 6, payTo: requirements.payTo }],
    });
    expect(await decide(id, { approve: true, option: 0 })).toEqual({ ok: true, value: undefined });

    const signed = await answer(page, 'signed');
    const payload = decodePaymentSignature(
      (signed as { paymentSignature: string }).paymentSignature,
    );
    expect(verifyPayment(payload, requirements, { now: now / 1000 })).toEqual({
      isValid: true,
      payer: payer.address,
    });
    expect(windows.closed).toEqual([100]);
    expect((await wallet.history.list())[0]).toMatchObject({
      status: 'pending',
      origin: SITE,
      approvedBy: 'window',
    });

    const transaction = 'ef'.repeat(32);
    chain.collectEverything = true;
    page.send({
      type: 'result',
      status: 200,
      paymentResponse: encodePaymentResponse({
        success: true,
        transaction,
        network: requirements.network,
        payer: payer.address,
      }),
    });
    await vi.waitFor(() => expect(page.isConnected()).toBe(false));
    expect((await wallet.history.list())[0]).toMatchObject({
      status: 'paid',
      siteSaid: 'paid',
      transaction,
      amount: '10000',
      symbol: 'CX402',
      chain: { state: 'confirmed' },
    });
  });

  it('passes a rejection to the page and records it; closing the window rejects too', async () => {
    const page = ask();
    await decide(await approvalId(), { approve: false });
    expect(await answer(page, 'declined')).toMatchObject({ reason: 'rejected' });
    expect((await wallet.history.list())[0]).toMatchObject({ status: 'rejected' });

    const second = ask();
    await approvalId(2);
    wallet.payments.windowClosed(101);
    expect(await answer(second, 'declined')).toMatchObject({ reason: 'rejected' });
  });

  it('gives a site that was rejected three times in a row no window for a while', async () => {
    let clock = now;
    // Each approval is a new purchase: the site collects what it is given.
    chain.collectEverything = true;
    wallet = createWallet({ windows, pages, now: () => clock, fetch: chain.fetch });
    const rejectNext = async (count: number) => {
      const page = ask();
      await decide(await approvalId(count), { approve: false });
      await answer(page, 'declined');
    };
    await rejectNext(1);
    // Closing the window is a rejection too.
    const closed = ask();
    await approvalId(2);
    wallet.payments.windowClosed(101);
    await answer(closed, 'declined');
    await rejectNext(3);

    const quiet = ask();
    expect(await answer(quiet, 'declined')).toMatchObject({
      reason: 'rejected',
      message: expect.stringMatching(/must wait/),
    });
    expect(windows.opened).toHaveLength(3);
    // Another site is not affected.
    ask(2, 'https://other.example');
    await decide(await approvalId(4), { approve: false });

    clock += 60_000;
    await rejectNext(5);
    // A fourth rejection in a row: two minutes this time.
    clock += 60_000;
    expect(await answer(ask(), 'declined')).toMatchObject({
      message: expect.stringMatching(/wait/),
    });
    clock += 60_000;
    const approved = ask();
    await decide(await approvalId(6), { approve: true, option: 0 });
    await answer(approved, 'signed');
    // An approval starts the count again.
    await rejectNext(7);
    await rejectNext(8);
    ask();
    await approvalId(9);
  });

  it('counts rejections per tab and per registrable domain: sub-origins in frames cannot flood', async () => {
    const frame = (tab: number, origin: string) => {
      const page = fakePort({
        ...tabSender(tab, origin, 3),
        tab: { id: tab, url: 'https://host.example/' },
      });
      servePayPort(page.port, wallet.payments);
      page.send({
        type: 'pay',
        kind: 'fetch',
        url: `${origin}/item`,
        method: 'GET',
        paymentRequired: header(),
      });
      return page;
    };
    for (let i = 1; i <= 3; i++) {
      frame(1, `https://s${i}.flood.example`);
      await decide(await approvalId(i), { approve: false });
    }
    // A fourth sub-origin in the same tab: no window.
    expect(await answer(frame(1, 'https://s4.flood.example'), 'declined')).toMatchObject({
      message: expect.stringMatching(/wait/),
    });
    // Nor in another tab, for the same site.
    expect(await answer(frame(2, 'https://s5.flood.example'), 'declined')).toMatchObject({
      message: expect.stringMatching(/wait/),
    });
    expect(windows.opened).toHaveLength(3);
    const { registrableDomain } = await import('../lib/site.js');
    expect(registrableDomain('https://a.b.news.example')).toBe('news.example');
    expect(registrableDomain('https://shop.example.co.uk')).toBe('example.co.uk');
    expect(registrableDomain('http://127.0.0.1:8080')).toBe('127.0.0.1');
  });

  it("counts rejections of a host only the page claims against the page's site, never the claimed one", async () => {
    // evil.example's pages, in three tabs, claim news.example answered them with 402.
    const claim = (tab: number) => {
      const page = fakePort(tabSender(tab, 'https://evil.example'));
      servePayPort(page.port, wallet.payments);
      page.send({
        type: 'pay',
        kind: 'fetch',
        url: `${SITE}/api/weather?city=Oslo`,
        method: 'GET',
        paymentRequired: header(),
      });
      return page;
    };
    for (let i = 1; i <= 3; i++) {
      claim(i);
      const id = await approvalId(i);
      expect(wallet.payments.approval(id)).toMatchObject({
        origin: SITE,
        page: 'https://evil.example',
        askerUnconfirmed: true,
      });
      await decide(id, { approve: false });
    }
    expect(await answer(claim(4), 'declined')).toMatchObject({
      message: expect.stringMatching(/wait/),
    });
    // news.example's own page, in a fresh tab, still gets its window.
    ask(5);
    await approvalId(4);
  });

  it('closes the window and forgets the request when the page goes away', async () => {
    const page = ask();
    const id = await approvalId();
    page.close();
    await vi.waitFor(() => expect(windows.closed).toEqual([100]));
    expect(wallet.payments.approval(id)).toBeUndefined();
    expect(await decide(id, { approve: true, option: 0 })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('refuses a bad answer from the window without settling the request', async () => {
    const page = ask();
    const id = await approvalId();
    expect(await decide(id, { approve: true, option: 3 })).toMatchObject({
      ok: false,
      error: { field: 'option' },
    });
    expect(await decide(id, { approve: true, option: 0, dailyAllowance: '1e5' })).toMatchObject({
      ok: false,
      error: { field: 'dailyAllowance' },
    });
    expect(page.received).toEqual([]);
    expect(wallet.payments.approval(id)).toBeDefined();
  });

  it('needs the wallet unlocked before approving, in the same window', async () => {
    await wallet.keyring.lock();
    const page = ask();
    const id = await approvalId();
    expect(await decide(id, { approve: true, option: 0 })).toMatchObject({
      ok: false,
      error: { code: 'locked' },
    });
    expect(await wallet.api.handle({ method: 'unlock', params: { password: PASSWORD } })).toEqual({
      ok: true,
      value: undefined,
    });
    await decide(id, { approve: true, option: 0 });
    expect(await answer(page, 'signed')).toBeDefined();
  });

  it('pays within a budget set in the window without asking again, and asks beyond it', async () => {
    chain.collectEverything = true;
    const first = ask();
    await decide(await approvalId(), { approve: true, option: 0, dailyAllowance: '0.025' });
    await answer(first, 'signed');
    expect(await wallet.budgets.list()).toMatchObject([
      {
        origin: SITE,
        account: payer.publicKey,
        asset: TOKEN.packageHash,
        payTo: requirements.payTo,
        // At most the price just approved per payment, the amount chosen per day.
        maxPerPayment: '10000',
        maxPerDay: '25000',
        spent: '10000',
      },
    ]);

    const second = ask();
    expect(await answer(second, 'notice')).toMatchObject({
      tone: 'info',
      text: expect.stringMatching(/paid 0\.01 CX402 to news\.example from your budget/),
    });
    await answer(second, 'signed');
    expect(windows.opened).toHaveLength(1);
    expect((await wallet.history.list())[0]).toMatchObject({
      approvedBy: 'budget',
      status: 'pending',
    });

    // 20,000 of 25,000 spent: the next 10,000 goes beyond the day, so the window comes back.
    ask();
    await approvalId(2);
    // Another site gets no share of this budget.
    ask(2, 'https://other.example');
    await approvalId(3);
  });

  it('spends a budget only for the top page or a frame of the same site as the top page', async () => {
    chain.collectEverything = true;
    await wallet.budgets.set(siteBudget, { maxPerPayment: '10000', maxPerDay: '100000' });
    const frameOn = (top: string | undefined) => {
      const page = fakePort({
        id: 'test-extension-id',
        tab: { id: 7, ...(top ? { url: top } : {}) },
        frameId: 5,
        origin: SITE,
        url: `${SITE}/widget`,
      });
      servePayPort(page.port, wallet.payments);
      page.send({
        type: 'pay',
        kind: 'fetch',
        url: `${SITE}/api/weather?city=Oslo`,
        method: 'GET',
        paymentRequired: header(),
        activated: true,
      });
      return page;
    };
    // Embedded by another site: the window, saying where.
    frameOn('https://embedder.example/article');
    const id = await approvalId();
    expect(wallet.payments.approval(id)).toMatchObject({
      origin: SITE,
      tabUrl: 'https://embedder.example/article',
    });
    await decide(id, { approve: false });
    // Top page unknown: the window too.
    frameOn(undefined);
    const unknown = await approvalId(2);
    expect(wallet.payments.approval(unknown)).toMatchObject({ unknownTop: true });
    await decide(unknown, { approve: false });
    expect((await wallet.budgets.list())[0]!.spent).toBe('0');
    // A frame of the site inside the site's own page, and the top page: the budget.
    await answer(frameOn(`${SITE}/home`), 'signed');
    await answer(ask(), 'signed');
    expect(windows.opened).toHaveLength(2);
    expect((await wallet.budgets.list())[0]!.spent).toBe('20000');
  });

  it('spends a budget on fetch only when the page itself started it: the person used it, or the site led there and no other site opened it', async () => {
    chain.collectEverything = true;
    await wallet.budgets.set(siteBudget, { maxPerPayment: '10000', maxPerDay: '100000' });
    const asItLoads = (led: {
      referrer?: string;
      openedByOther?: boolean;
      activated?: boolean;
    }) => {
      const page = fakePort(tabSender(1, SITE));
      servePayPort(page.port, wallet.payments);
      page.send({
        type: 'pay',
        kind: 'xhr',
        url: `${SITE}/api/weather?city=Oslo`,
        method: 'GET',
        paymentRequired: header(),
        ...led,
      });
      return page;
    };
    // Another site opened it (window.open, with or without a referrer), or a typed address:
    // a request made as the page loads gets the window.
    const refusals: Parameters<typeof asItLoads>[0][] = [
      { referrer: 'https://evil.example/' },
      { referrer: '' },
      { referrer: `${SITE}/home`, openedByOther: true },
    ];
    for (const [i, led] of refusals.entries()) {
      asItLoads(led);
      await decide(await approvalId(i + 1), { approve: false });
    }
    expect((await wallet.budgets.list())[0]!.spent).toBe('0');
    // The site's own link led there, or the person used the page: the budget pays.
    await answer(asItLoads({ referrer: `${SITE}/home` }), 'signed');
    await answer(
      asItLoads({ referrer: 'https://evil.example/', openedByOther: true, activated: true }),
      'signed',
    );
    expect(windows.opened).toHaveLength(3);
    expect((await wallet.budgets.list())[0]!.spent).toBe('20000');
  });

  it('never changes an existing budget from the window, and wants an allowance of at least the price', async () => {
    ask();
    const first = await approvalId();
    expect(
      await decide(first, { approve: true, option: 0, dailyAllowance: '0.005' }),
    ).toMatchObject({
      ok: false,
      error: { field: 'dailyAllowance', message: expect.stringMatching(/price \(0\.01 CX402\)/) },
    });
    expect(await wallet.budgets.list()).toEqual([]);
    await decide(first, { approve: false });

    // Over the per-payment cap of an existing budget: the window, which shows the budget.
    await wallet.budgets.set(siteBudget, { maxPerPayment: '5000', maxPerDay: '50000' });
    const page = ask();
    const id = await approvalId(2);
    expect(wallet.payments.approval(id)!.budgets).toMatchObject([
      { maxPerPayment: '5000', maxPerDay: '50000', spent: '0' },
    ]);
    expect(await decide(id, { approve: true, option: 0, dailyAllowance: '1' })).toMatchObject({
      ok: false,
      error: { field: 'dailyAllowance', message: expect.stringMatching(/already exists/) },
    });
    await decide(id, { approve: true, option: 0 });
    await answer(page, 'signed');
    expect(await wallet.budgets.list()).toMatchObject([
      { maxPerPayment: '5000', maxPerDay: '50000', spent: '0' },
    ]);
  });

  it('spends a budget only from the account it was set for', async () => {
    await wallet.budgets.set(siteBudget, { maxPerPayment: '10000', maxPerDay: '100000' });
    const other = vectors.keys[1]!;
    await wallet.keyring.addKey(PASSWORD, secretKeyFromHex(other.algorithm, other.secretKeyHex));
    await wallet.settings.update({ activeAccount: other.publicKey });
    ask();
    await decide(await approvalId(), { approve: true, option: 0, dailyAllowance: '0.05' });
    await vi.waitFor(async () => expect(await wallet.budgets.list()).toHaveLength(2));
    expect(await wallet.budgets.list()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: payer.publicKey, spent: '0' }),
        expect.objectContaining({ account: other.publicKey, spent: '10000' }),
      ]),
    );
    // Back on the first account, its own budget pays; the history names who paid.
    await wallet.settings.update({ activeAccount: payer.publicKey });
    await answer(ask(), 'signed');
    expect(windows.opened).toHaveLength(1);
    expect((await wallet.history.list())[0]).toMatchObject({
      approvedBy: 'budget',
      payer: payer.address,
    });
  });

  it('does not spend a budget while locked: the window asks to unlock first', async () => {
    await wallet.budgets.set(siteBudget, { maxPerPayment: '10000', maxPerDay: '100000' });
    await wallet.keyring.lock();
    ask();
    await approvalId();
    // Locked, the budgets cannot even be checked, so there are none to spend.
    expect(await wallet.budgets.list()).toEqual([]);
    await wallet.keyring.unlock(PASSWORD);
    expect((await wallet.budgets.list())[0]!.spent).toBe('0');
  });

  it('refuses a budget rewritten in storage, and one with no authentication, instead of obeying it', async () => {
    chain.collectEverything = true;
    await wallet.budgets.set(siteBudget, { maxPerPayment: '10000', maxPerDay: '10000' });
    await answer(ask(), 'signed');
    // Someone with access to storage.local raises the caps and clears what was spent.
    const stored = (await browser.storage.local.get('budgets')).budgets as Record<
      string,
      unknown
    >[];
    await browser.storage.local.set({
      budgets: [{ ...stored[0], maxPerPayment: '1000000', maxPerDay: '1000000000', spent: '0' }],
    });
    ask();
    await approvalId();
    expect(await wallet.budgets.list()).toEqual([]);
    expect(await wallet.budgets.refused()).toEqual({ rewritten: 1, rolledBack: 0 });
    // A record without a MAC (a forged one, or one from before) is refused too.
    const { mac: _, ...bare } = stored[0]!;
    await browser.storage.local.set({ budgets: [bare] });
    expect(await wallet.budgets.list()).toEqual([]);
  });

  it('shows accounts as their keys say: a rewritten account hash or a foreign account is not shown', async () => {
    const [account] = await wallet.keyring.accounts();
    await browser.storage.local.set({
      accounts: [
        { ...account, accountHash: 'ee'.repeat(32), address: `00${'ee'.repeat(32)}` },
        { ...account, publicKey: vectors.keys[1]!.publicKey, name: 'Attacker' },
      ],
    });
    expect(await wallet.keyring.accounts()).toEqual([account]);
  });

  it("names the host that answered a third party's 402, warns, offers no budget and spends none", async () => {
    await wallet.budgets.set(
      { ...siteBudget, origin: 'https://api.example' },
      { maxPerPayment: '10000', maxPerDay: '100000' },
    );
    const page = fakePort(tabSender(1, SITE));
    servePayPort(page.port, wallet.payments);
    page.send({
      type: 'pay',
      kind: 'fetch',
      url: 'https://api.example/v1/quote',
      method: 'GET',
      paymentRequired: header(),
    });
    const id = await approvalId();
    expect(wallet.payments.approval(id)).toMatchObject({
      origin: 'https://api.example',
      page: SITE,
      claimedOrigin: SITE,
      // The wallet has no access to api.example: who asked is only the page's word.
      askerUnconfirmed: true,
    });
    expect(await decide(id, { approve: true, option: 0, dailyAllowance: '1' })).toMatchObject({
      ok: false,
      error: { field: 'dailyAllowance' },
    });
    await decide(id, { approve: true, option: 0 });
    await answer(page, 'signed');
    expect((await wallet.history.list())[0]).toMatchObject({
      origin: 'https://api.example',
      page: SITE,
    });
    expect((await wallet.budgets.list())[0]!.spent).toBe('0');
  });

  it('takes a third party for the host that asked once the browser saw it answer 402', async () => {
    pages.granted.add('https://api.example');
    const url = 'https://api.example/v1/quote';
    wallet.seen.saw({ tabId: 1, frameId: 0, url, paymentRequired: header() });
    const page = fakePort(tabSender(1, SITE));
    servePayPort(page.port, wallet.payments);
    page.send({ type: 'pay', kind: 'fetch', url, method: 'GET', paymentRequired: header() });
    const view = wallet.payments.approval(await approvalId());
    expect(view).toMatchObject({ origin: 'https://api.example', page: SITE });
    expect(view?.askerUnconfirmed).toBeUndefined();
  });

  it('records a request whose window was open when the worker stopped as interrupted, at the next start', async () => {
    ask();
    await approvalId();
    // The worker stops: memory is gone, storage.session stays.
    wallet = createWallet({ windows, pages, now: () => now, fetch: chain.fetch });
    await wallet.payments.recoverInterrupted();
    expect(await wallet.history.list()).toMatchObject([
      { status: 'rejected', origin: SITE, message: expect.stringMatching(/^Interrupted/) },
    ]);
    await wallet.payments.recoverInterrupted();
    expect(await wallet.history.list()).toHaveLength(1);
  });

  it('warns about a plain-http site on the network and offers it no budget', async () => {
    const plain = 'http://news.example';
    await wallet.budgets.set(
      { ...siteBudget, origin: plain },
      { maxPerPayment: '10000', maxPerDay: '100000' },
    );
    const page = ask(1, plain);
    const id = await approvalId();
    expect(wallet.payments.approval(id)).toMatchObject({ origin: plain, insecure: true });
    expect(await decide(id, { approve: true, option: 0, dailyAllowance: '1' })).toMatchObject({
      ok: false,
      error: { field: 'dailyAllowance', message: expect.stringMatching(/HTTPS/) },
    });
    await decide(id, { approve: true, option: 0 });
    await answer(page, 'signed');
    expect((await wallet.budgets.list())[0]).toMatchObject({ origin: plain, spent: '0' });
  });

  it('counts https and this computer as secure, plain http elsewhere not', () => {
    for (const origin of [
      'https://news.example',
      'http://localhost:3000',
      'http://shop.localhost',
      'http://127.0.0.1:8080',
      'http://[::1]:8080',
    ]) {
      expect(isSecureOrigin(origin), origin).toBe(true);
    }
    for (const origin of [
      'http://news.example',
      'http://192.168.1.10',
      'http://localhost.evil.example',
    ]) {
      expect(isSecureOrigin(origin), origin).toBe(false);
    }
  });

  it('will not offer a budget for a token the person does not know', async () => {
    ask(1, SITE, header([{ asset: 'ab'.repeat(32) }]));
    const id = await approvalId();
    expect(wallet.payments.approval(id)!.options[0]!.warnings[0]).toMatch(/Unknown token/);
    expect(await decide(id, { approve: true, option: 0, dailyAllowance: '1' })).toMatchObject({
      ok: false,
      error: { field: 'dailyAllowance' },
    });
  });

  it('records a failed settlement in plain words and tells the page', async () => {
    const page = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    await answer(page, 'signed');
    page.send({
      type: 'result',
      status: 402,
      paymentResponse: encodePaymentResponse({
        success: false,
        errorReason: 'insufficient_funds',
        transaction: '',
        network: requirements.network,
      }),
    });
    expect(await answer(page, 'notice')).toMatchObject({
      tone: 'error',
      text: expect.stringMatching(/The site reported insufficient funds/),
    });
    // The chain, not the site, says whether it can still be collected.
    expect((await wallet.history.list())[0]).toMatchObject({
      status: 'pending',
      siteSaid: 'failed',
      siteReason: 'insufficient_funds',
      message: expect.stringMatching(/The site reported insufficient funds/),
      chain: { state: 'unsettled' },
    });
  });
});

describe('one purchase, one authorization: outcomes from the chain', () => {
  const nonceOf = async () => {
    const record = (await wallet.history.list())[0]!;
    return usedNonceItemKey(record.authorization!.from, record.authorization!.nonce);
  };
  const refuse = (page: ReturnType<typeof ask>, reason = 'insufficient_funds') =>
    page.send({
      type: 'result',
      status: 402,
      paymentResponse: encodePaymentResponse({
        success: false,
        errorReason: reason,
        transaction: '',
        network: requirements.network,
      }),
    });

  it('sends the same authorization again for the same purchase while the chain says it is uncollected and valid', async () => {
    const first = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    const signed = (await answer(first, 'signed')) as { paymentSignature: string };
    refuse(first);
    await vi.waitFor(() => expect(first.isConnected()).toBe(false));

    // The site asks again for the same resource: no window, no new signature.
    const second = ask();
    expect(await answer(second, 'notice')).toMatchObject({
      text: expect.stringMatching(/sent again/),
    });
    expect(await answer(second, 'signed')).toEqual({
      type: 'signed',
      paymentSignature: signed.paymentSignature,
    });
    expect(windows.opened).toHaveLength(1);
    const history = await wallet.history.list();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ sentAgain: 1, status: 'pending' });

    // Once the chain shows it collected, the next request is a new purchase.
    chain.used.add(await nonceOf());
    second.send({ type: 'result', status: 200 });
    await vi.waitFor(async () =>
      expect((await wallet.history.list())[0]).toMatchObject({
        status: 'paid',
        chain: { state: 'confirmed' },
      }),
    );
    ask();
    await approvalId(2);
  });

  it("never sends one site's authorization to another site's page that claims the same URL", async () => {
    const first = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    const signed = (await answer(first, 'signed')) as { paymentSignature: string };
    refuse(first);
    await vi.waitFor(() => expect(first.isConnected()).toBe(false));
    expect((await wallet.history.list())[0]).toMatchObject({ requester: SITE, origin: SITE });

    // A page on evil.example reports that news.example answered it with the same 402.
    const evil = fakePort(tabSender(2, 'https://evil.example'));
    servePayPort(evil.port, wallet.payments);
    evil.send({
      type: 'pay',
      kind: 'fetch',
      url: `${SITE}/api/weather?city=Oslo`,
      method: 'GET',
      paymentRequired: header(),
    });
    const id = await approvalId(2);
    expect(wallet.payments.approval(id)).toMatchObject({
      origin: SITE,
      page: 'https://evil.example',
      askerUnconfirmed: true,
    });
    await decide(id, { approve: false });
    expect(await answer(evil, 'declined')).toMatchObject({ reason: 'rejected' });
    expect(evil.received).not.toContainEqual(
      expect.objectContaining({ paymentSignature: signed.paymentSignature }),
    );
    // The site's own page, in another tab, still gets the same authorization back.
    expect(await answer(ask(3), 'signed')).toMatchObject({
      paymentSignature: signed.paymentSignature,
    });
    expect(windows.opened).toHaveLength(2);
  });

  it('says up front when the site already holds an authorization it can still collect, for another query or price', async () => {
    const first = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    await answer(first, 'signed');
    refuse(first);
    await vi.waitFor(() => expect(first.isConnected()).toBe(false));
    const kept = (await wallet.history.list())[0]!;

    // Another city: another purchase, but the first authorization is still the site's.
    const bern = encodePaymentRequired(
      paymentRequired([{}], { url: `${SITE}/api/weather?city=Bern`, description: 'Bern' }),
    );
    ask(1, SITE, bern);
    const view = wallet.payments.approval(await approvalId(2))!;
    expect(view.outstanding).toEqual([
      {
        id: kept.id,
        origin: SITE,
        url: `${SITE}/api/weather?city=Oslo`,
        payTo: requirements.payTo,
        amount: '10000',
        decimals: 6,
        symbol: 'CX402',
        validUntil: Number(kept.authorization!.validBefore) * 1000,
      },
    ]);
    await decide(view.id, { approve: false });
    // One unit more is said too, and so is another payee (named), or another host of the site.
    ask(1, SITE, header([{ amount: '10001' }]));
    const dearer = await approvalId(3);
    expect(wallet.payments.approval(dearer)!.outstanding).toHaveLength(1);
    await decide(dearer, { approve: false });
    const toOther = ask(
      1,
      'https://shop.news.example',
      header([{ payTo: `00${'cd'.repeat(32)}` }]),
    );
    const otherPayee = await approvalId(4);
    expect(wallet.payments.approval(otherPayee)!.outstanding).toEqual([
      expect.objectContaining({ id: kept.id, origin: SITE, payTo: requirements.payTo }),
    ]);
    // (Approved: three rejections in a row would make the site wait.)
    await decide(otherPayee, { approve: true, option: 0 });
    await answer(toOther, 'signed');
    // Once the chain shows it collected, only the one to the other payee is left to warn about.
    chain.used.add(usedNonceItemKey(kept.authorization!.from, kept.authorization!.nonce));
    ask(2, SITE, bern);
    expect(wallet.payments.approval(await approvalId(5))!.outstanding).toEqual([
      expect.objectContaining({
        origin: 'https://shop.news.example',
        payTo: `00${'cd'.repeat(32)}`,
      }),
    ]);
  });

  it('does not send again an authorization the chain judges expired, nor one for another account or price', async () => {
    const first = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    await answer(first, 'signed');
    refuse(first);
    await vi.waitFor(() => expect(first.isConnected()).toBe(false));
    // Another price is another purchase.
    ask(1, SITE, header([{ amount: '20000' }]));
    await decide(await approvalId(2), { approve: false });
    // Block time past validBefore: it can never be collected, so a new one is signed.
    chain.blockTimeMs = now + 3_600_000;
    ask();
    await approvalId(3);
    expect((await wallet.history.list()).find((r) => r.siteSaid === 'failed')).toMatchObject({
      status: 'failed',
      chain: { state: 'expired' },
    });
  });

  it('says what the site reported and what the chain says: settled although the site said it failed, and the balance it spoke of', async () => {
    chain.balances.set(payer.address, 5_000_000n);
    const page = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    await answer(page, 'signed');
    chain.used.add(await nonceOf());
    refuse(page);
    await vi.waitFor(async () =>
      expect((await wallet.history.list())[0]).toMatchObject({
        status: 'paid',
        siteSaid: 'failed',
        message: expect.stringMatching(/^The site reported insufficient funds/),
        chain: { state: 'confirmed', balance: '5000000' },
      }),
    );
  });

  it("calls the site's transaction this payment's, and links it, only when the chain shows it is this authorization's transfer", async () => {
    const pay = async (transactionOf: (record: PaymentRecord) => string) => {
      const page = ask();
      await decide(await approvalId(windows.opened.length + 1), { approve: true, option: 0 });
      await answer(page, 'signed');
      const record = (await wallet.history.list())[0]!;
      chain.used.add(usedNonceItemKey(record.authorization!.from, record.authorization!.nonce));
      page.send({
        type: 'result',
        status: 200,
        paymentResponse: encodePaymentResponse({
          success: true,
          transaction: transactionOf(record),
          network: requirements.network,
          payer: payer.address,
        }),
      });
      await vi.waitFor(async () =>
        expect((await wallet.history.find(record.id))?.chain?.transfer).toBeDefined(),
      );
      return (await wallet.history.find(record.id))!;
    };
    const expected = (record: PaymentRecord) => ({
      asset: record.asset,
      from: record.authorization!.from,
      to: record.payTo,
      amount: record.amount,
      nonce: record.authorization!.nonce,
    });
    const executed = (hash: string, json: unknown) => {
      chain.transactions.set(hash, { error: null });
      chain.bodies.set(hash, json);
      return hash;
    };

    // The site names a real transfer of another authorization (another nonce): not this one.
    const other = await pay((record) => {
      const tx = transferTransaction(expected(record), { nonce: 'cd'.repeat(32) });
      return executed(tx.hash, tx.json);
    });
    expect(other.chain).toMatchObject({
      state: 'confirmed',
      transfer: { transaction: other.transaction, is: 'another', executed: true },
      detail: 'The site reported a transaction that is not this payment.',
    });
    expect(isThisPayment(other)).toBe(false);
    expect(historyCsv([other])).not.toContain('cspr.live');

    // Its own transfer: this payment's, linked on testnet.
    const own = await pay((record) => {
      const tx = transferTransaction(expected(record));
      return executed(tx.hash, tx.json);
    });
    expect(own.chain?.transfer).toEqual({
      transaction: own.transaction,
      is: 'this-payment',
      executed: true,
    });
    expect(isThisPayment(own)).toBe(true);
    expect(historyCsv([own])).toContain(`https://testnet.cspr.live/transaction/${own.transaction}`);
  });

  describe('the transaction the site reported, read on chain', () => {
    /** Pays once; the site answers 200 naming the transaction `transactionOf` sets up. */
    const paidWith = async (transactionOf: (record: PaymentRecord) => string, collect = true) => {
      const page = ask();
      await decide(await approvalId(windows.opened.length + 1), { approve: true, option: 0 });
      await answer(page, 'signed');
      const record = (await wallet.history.list())[0]!;
      if (collect) {
        chain.used.add(usedNonceItemKey(record.authorization!.from, record.authorization!.nonce));
      }
      const transaction = transactionOf(record);
      page.send({
        type: 'result',
        status: 200,
        paymentResponse: encodePaymentResponse({
          success: true,
          transaction,
          network: requirements.network,
          payer: payer.address,
        }),
      });
      await vi.waitFor(async () =>
        expect((await wallet.history.find(record.id))?.chain?.checkedAt).toBeDefined(),
      );
      return (await wallet.history.find(record.id))!;
    };
    const expectedOf = (record: PaymentRecord) => ({
      asset: record.asset,
      from: record.authorization!.from,
      to: record.payTo,
      amount: record.amount,
      nonce: record.authorization!.nonce,
    });
    const onChain = (json: { hash: string; json: unknown }, error: string | null = null) => {
      chain.transactions.set(json.hash, { error });
      chain.bodies.set(json.hash, json.json);
      return json.hash;
    };

    it('when the transfer read fails, says only that the reported transaction executed, and reads it again', async () => {
      const record = await paidWith((r) => {
        const hash = onChain(transferTransaction(expectedOf(r)));
        // The execution is read; the node fails on the transfer's read.
        chain.transactionReadsLeft = 1;
        return hash;
      });
      expect(record.chain).toMatchObject({ state: 'confirmed', transferUnread: true });
      expect(record.chain?.detail).toContain(
        'The transaction the site reported executed on chain; the wallet could not yet read whether it is this payment.',
      );
      expect(record.chain?.detail).not.toContain("This payment's transfer");
      expect(isThisPayment(record)).toBe(false);
      const { isFinal } = await import('../lib/settlement.js');
      expect(isFinal(record.chain)).toBe(false);
      // Read again once the node answers: this payment's transfer, linked, and final.
      chain.transactionReadsLeft = Number.POSITIVE_INFINITY;
      const again = (await wallet.settlements.check(record.id))!;
      expect(again.chain?.transfer).toEqual({
        transaction: record.transaction,
        is: 'this-payment',
        executed: true,
      });
      expect(again.chain?.transferUnread).toBeUndefined();
      expect(isThisPayment(again)).toBe(true);
      expect(isFinal(again.chain)).toBe(true);
    });

    it("never calls a reverted call of this authorization's transfer this payment's, nor links it", async () => {
      const record = await paidWith((r) =>
        onChain(transferTransaction(expectedOf(r)), 'User error: 3'),
      );
      expect(record.chain).toMatchObject({
        state: 'confirmed',
        transfer: { is: 'this-payment', executed: false },
        detail: 'The transaction the site reported failed on chain (User error: 3).',
      });
      expect(isThisPayment(record)).toBe(false);
      expect(historyCsv([record])).not.toContain('cspr.live');
    });

    it('for a token that hides its nonces, a reported transaction that is not this payment leaves it not paid, and the same authorization goes back', async () => {
      chain.usedNoncesKey = false;
      const record = await paidWith(
        (r) => onChain(transferTransaction(expectedOf(r), { nonce: 'cd'.repeat(32) })),
        false,
      );
      expect(record).toMatchObject({
        siteSaid: 'paid',
        status: 'pending',
        chain: { state: 'unknown', transfer: { is: 'another' } },
      });
      expect(await answer(ask(), 'signed')).toMatchObject({
        paymentSignature: record.paymentSignature,
      });
      expect(windows.opened).toHaveLength(1);
    });

    it('reads a hash the node knows only as a Deploy, and links the Deploy that is this transfer', async () => {
      const record = await paidWith((r) => {
        const v1 = transferTransaction(expectedOf(r)).json as {
          Version1: { payload: { fields: { args: { Named: unknown[] } } } };
        };
        const hash = 'de'.repeat(32);
        chain.deploys.set(hash, {
          api_version: '2.0.0',
          transaction: {
            Deploy: {
              hash,
              header: { account: vectors.keys[1]!.publicKey, chain_name: 'casper-test' },
              payment: { ModuleBytes: { module_bytes: '', args: [] } },
              session: {
                StoredVersionedContractByHash: {
                  hash: r.asset,
                  version: null,
                  entry_point: 'transfer_with_authorization',
                  args: v1.Version1.payload.fields.args.Named,
                },
              },
              approvals: [],
            },
          },
          execution_info: {
            block_hash: '1f'.repeat(32),
            block_height: 10,
            execution_result: { Version2: { error_message: null } },
          },
        });
        return hash;
      });
      expect(record.chain?.transfer).toEqual({
        transaction: 'de'.repeat(32),
        is: 'this-payment',
        executed: true,
      });
      expect(isThisPayment(record)).toBe(true);
      expect(historyCsv([record])).toContain(`testnet.cspr.live/transaction/${'de'.repeat(32)}`);
    });
  });

  it('sends nothing again while locked: the window asks, and once unlocked and approved the same authorization goes back', async () => {
    const first = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    const signed = (await answer(first, 'signed')) as { paymentSignature: string };
    refuse(first);
    await vi.waitFor(() => expect(first.isConnected()).toBe(false));
    await wallet.keyring.lock();

    const second = ask();
    const id = await approvalId(2);
    expect(second.received.find((m) => m.type === 'signed')).toBeUndefined();
    await wallet.keyring.unlock(PASSWORD);
    await decide(id, { approve: true, option: 0 });
    expect(await answer(second, 'signed')).toMatchObject({
      paymentSignature: signed.paymentSignature,
    });
    const history = await wallet.history.list();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ sentAgain: 1 });
  });

  it('creates the budget ticked in the window also when Approve sends the earlier authorization again', async () => {
    const first = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    const signed = (await answer(first, 'signed')) as { paymentSignature: string };
    refuse(first);
    await vi.waitFor(() => expect(first.isConnected()).toBe(false));
    await wallet.keyring.lock();

    const second = ask();
    const id = await approvalId(2);
    await wallet.keyring.unlock(PASSWORD);
    await decide(id, { approve: true, option: 0, dailyAllowance: '0.05' });
    expect(await answer(second, 'signed')).toMatchObject({
      paymentSignature: signed.paymentSignature,
    });
    expect(await wallet.budgets.find(siteBudget)).toMatchObject({
      maxPerDay: '50000',
      maxPerPayment: requirements.amount,
      spent: requirements.amount,
    });
  });

  it('with the chain unreachable it still sends the same authorization rather than sign a second', async () => {
    chain.down = true;
    const first = ask();
    await decide(await approvalId(), { approve: true, option: 0 });
    const signed = (await answer(first, 'signed')) as { paymentSignature: string };
    refuse(first);
    await vi.waitFor(() => expect(first.isConnected()).toBe(false));
    expect((await wallet.history.list())[0]!.chain).toMatchObject({ state: 'unknown' });
    expect(await answer(ask(), 'signed')).toMatchObject({
      paymentSignature: signed.paymentSignature,
    });
    expect(windows.opened).toHaveLength(1);
  });
});

describe('request routing', () => {
  it('answers each tab and frame on its own port, with the origin the browser reported', async () => {
    const a = ask(1, SITE, header(), 0);
    const b = ask(2, 'https://shop.example', header(), 3);
    await approvalId(2);
    const byOrigin = (origin: string) =>
      windows.opened.find((id) => wallet.payments.approval(id)?.origin === origin)!;
    const idA = byOrigin(SITE);
    const idB = byOrigin('https://shop.example');
    expect(idA && idB).toBeTruthy();
    expect(idA).toMatch(/^[0-9a-f]{32}$/);
    expect(idA).not.toBe(idB);

    await decide(idB, { approve: false });
    await answer(b, 'declined');
    expect(a.received).toEqual([]);
    await decide(idA, { approve: true, option: 0 });
    await answer(a, 'signed');
    expect(b.received.map((m) => m.type)).toEqual(['declined']);
  });

  it('asks one request at a time per tab', async () => {
    ask(1);
    ask(1);
    const first = await approvalId(1);
    expect(windows.opened).toHaveLength(1);
    await decide(first, { approve: false });
    await approvalId(2);
  });

  it('refuses senders that are not http(s) pages in a tab', async () => {
    for (const sender of [
      { id: 'x', frameId: 0, origin: SITE, url: `${SITE}/` },
      { id: 'x', tab: { id: 1 }, frameId: 0, origin: 'null', url: 'data:text/html,hi' },
      {
        id: 'x',
        tab: { id: 1 },
        frameId: 0,
        origin: 'chrome-extension://abc',
        url: 'chrome-extension://abc/x.html',
      },
      { id: 'x', tab: { id: 1 }, frameId: 0, origin: 'file://', url: 'file:///tmp/x.html' },
      // A sandboxed frame of the site: its origin is opaque, whatever its URL says.
      { id: 'x', tab: { id: 1 }, frameId: 2, origin: 'null', url: `${SITE}/sandboxed.html` },
      { id: 'x', tab: { id: 1 }, frameId: 0, origin: '', url: `${SITE}/` },
    ]) {
      const page = fakePort(sender);
      servePayPort(page.port, wallet.payments);
      expect(page.received).toMatchObject([{ type: 'declined', reason: 'unavailable' }]);
      expect(page.isConnected()).toBe(false);
    }
  });

  it('takes the origin from the URL only when the browser reports no origin', () => {
    expect(requesterOf({ tab: { id: 4 }, frameId: 0, url: `${SITE}/a/b?c` })).toEqual({
      origin: SITE,
      tabId: 4,
      frameId: 0,
      url: `${SITE}/a/b?c`,
    });
    expect(requesterOf({ tab: { id: 4 }, frameId: 1, origin: 'null', url: `${SITE}/a` })).toBe(
      null,
    );
    expect(requesterOf({ tab: { id: 4 }, frameId: 0, url: 'about:blank' })).toBe(null);
  });

  it('passes on 402s it cannot pay and messages it does not understand', async () => {
    const notX402 = ask(1, SITE, 'bm90IGpzb24=');
    expect(await answer(notX402, 'declined')).toMatchObject({ reason: 'not_payable' });
    const noCasper = ask(1, SITE, header([{ network: 'eip155:8453' }]));
    expect(await answer(noCasper, 'declined')).toMatchObject({ reason: 'not_payable' });
    const page = fakePort(tabSender(1, SITE));
    servePayPort(page.port, wallet.payments);
    page.send({
      type: 'pay',
      kind: 'fetch',
      url: 'javascript:alert(1)',
      method: 'GET',
      paymentRequired: header(),
    });
    expect(page.received).toMatchObject([
      { type: 'declined', message: expect.stringMatching(/^url/) },
    ]);
    expect(windows.opened).toEqual([]);
  });

  it('only serves wallet calls to the extension pages', async () => {
    const { isExtensionPage } = await import('../lib/api.js');
    const own = 'chrome-extension://test-extension-id';
    expect(
      isExtensionPage(
        { id: 'test-extension-id', url: `${own}/popup.html` },
        'test-extension-id',
        own,
      ),
    ).toBe(true);
    expect(
      isExtensionPage({ id: 'test-extension-id', origin: own }, 'test-extension-id', own),
    ).toBe(true);
    expect(
      isExtensionPage(
        { id: 'test-extension-id', url: `${SITE}/`, origin: SITE },
        'test-extension-id',
        own,
      ),
    ).toBe(false);
    expect(
      isExtensionPage(
        { id: 'test-extension-id', url: `${own}.evil.example/` },
        'test-extension-id',
        own,
      ),
    ).toBe(false);
    expect(
      isExtensionPage({ id: 'other', url: `${own}/popup.html` }, 'test-extension-id', own),
    ).toBe(false);
  });
});

describe('paying for a page load', () => {
  /** The top page of tab 1 (`${SITE}/page`) was answered with 402 and asks to pay for itself. */
  function askForPage(
    url = `${SITE}/page#part-2`,
    sender = tabSender(1, SITE),
    referrer = `${SITE}/home`,
  ) {
    const page = fakePort(sender);
    servePayPort(page.port, wallet.payments);
    page.send({
      type: 'pay',
      kind: 'navigation',
      url,
      method: 'GET',
      paymentRequired: header(),
      referrer,
    });
    return page;
  }

  it("spends a budget on a page load only when the site's own page led there", async () => {
    await wallet.budgets.set(siteBudget, { maxPerPayment: '10000', maxPerDay: '100000' });
    pages.granted.add(SITE);
    // Another site opened it (window.open, a link, a navigation), or nobody says: the window.
    askForPage(undefined, undefined, 'https://evil.example/');
    await decide(await approvalId(), { approve: false });
    askForPage(undefined, undefined, '');
    await decide(await approvalId(2), { approve: false });
    expect((await wallet.budgets.list())[0]!.spent).toBe('0');
    await answer(askForPage(), 'loading');
    expect(windows.opened).toHaveLength(2);
    expect((await wallet.budgets.list())[0]!.spent).toBe('10000');
  });

  it('has the browser load the page with the payment; the page never sees the signature', async () => {
    pages.granted.add(SITE);
    chain.collectEverything = true;
    const transaction = 'ab'.repeat(32);
    pages.answer = {
      status: 200,
      paymentResponse: encodePaymentResponse({
        success: true,
        transaction,
        network: requirements.network,
        payer: payer.address,
      }),
    };
    const page = askForPage();
    await decide(await approvalId(), { approve: true, option: 0 });
    await answer(page, 'loading');
    expect(page.received.map((m) => m.type)).toEqual(['loading']);
    expect(page.isConnected()).toBe(false);
    // The fragment never leaves the browser, so the rule is for the URL without it.
    expect(pages.loads).toMatchObject([{ tabId: 1, url: `${SITE}/page` }]);
    const payload = decodePaymentSignature(pages.loads[0]!.signature);
    expect(verifyPayment(payload, requirements, { now: now / 1000 }).isValid).toBe(true);
    await vi.waitFor(async () =>
      expect((await wallet.history.list())[0]).toMatchObject({ status: 'paid', transaction }),
    );
  });

  it('will not approve without access to the site, and keeps the request open', async () => {
    const page = askForPage();
    const id = await approvalId();
    expect(await decide(id, { approve: true, option: 0 })).toMatchObject({
      ok: false,
      error: { code: 'no_site_access', message: expect.stringMatching(/news\.example/) },
    });
    expect(page.received).toEqual([]);
    expect(pages.loads).toEqual([]);
    pages.granted.add(SITE);
    await decide(id, { approve: true, option: 0 });
    await answer(page, 'loading');
    expect(pages.loads).toHaveLength(1);
  });

  it('only pays for the asking top page itself', async () => {
    pages.granted.add(SITE);
    const inFrame = askForPage(`${SITE}/page`, tabSender(1, SITE, 3));
    expect(await answer(inFrame, 'declined')).toMatchObject({ reason: 'not_payable' });
    const otherUrl = askForPage(`${SITE}/elsewhere`);
    expect(await answer(otherUrl, 'declined')).toMatchObject({ reason: 'not_payable' });
    expect(windows.opened).toEqual([]);
    expect(pages.loads).toEqual([]);
  });

  it('pays a page load from a budget only with access to the site', async () => {
    await wallet.budgets.set(siteBudget, { maxPerPayment: '10000', maxPerDay: '100000' });
    askForPage();
    await approvalId();
    expect((await wallet.budgets.list())[0]!.spent).toBe('0');
    await decide(windows.opened[0]!, { approve: false });

    pages.granted.add(SITE);
    const page = askForPage();
    await answer(page, 'loading');
    expect(windows.opened).toHaveLength(1);
    expect(pages.loads).toHaveLength(1);
    expect((await wallet.budgets.list())[0]!.spent).toBe('10000');
  });

  it('does not ask again at once for the 402 page a refused paid load produced', async () => {
    pages.granted.add(SITE);
    pages.answer = {
      status: 402,
      paymentRequired: encodePaymentRequired({ ...paymentRequired(), error: 'insufficient_funds' }),
    };
    chain.collectEverything = true;
    askForPage();
    await decide(await approvalId(), { approve: true, option: 0 });
    await vi.waitFor(async () =>
      expect((await wallet.history.list())[0]).toMatchObject({
        siteSaid: 'failed',
        message: expect.stringMatching(/The site reported insufficient funds/),
      }),
    );
    const again = askForPage();
    expect(await answer(again, 'declined')).toMatchObject({ reason: 'rejected' });
    expect(windows.opened).toHaveLength(1);
    // Reloading the page asks again.
    askForPage();
    await approvalId(2);
  });

  it('records a paid load that never went out as not sent', async () => {
    pages.granted.add(SITE);
    pages.answer = null;
    const page = askForPage();
    await decide(await approvalId(), { approve: true, option: 0 });
    await answer(page, 'loading');
    await vi.waitFor(async () =>
      expect((await wallet.history.list())[0]).toMatchObject({
        status: 'failed',
        message: expect.stringMatching(/never sent/),
      }),
    );
  });
});
