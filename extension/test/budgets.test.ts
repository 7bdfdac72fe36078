import { beforeEach, describe, expect, it } from 'vitest';
import { browser } from 'wxt/browser';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { Budgets, DAY_MS } from '../lib/budgets.js';
import { vectors } from './helpers.js';

const key = {
  origin: 'https://news.example',
  account: vectors.keys[0]!.publicKey,
  network: 'casper:casper-test',
  asset: vectors.paymentRequirements.asset,
  payTo: vectors.paymentRequirements.payTo,
};
let now = 1_700_000_000_000;
const budgets = () => new Budgets(() => now);

beforeEach(() => {
  fakeBrowser.reset();
  now = 1_700_000_000_000;
});

describe('budgets', () => {
  it('pays within the caps and refuses beyond them without changing anything', async () => {
    const b = budgets();
    expect(await b.charge(key, 1n)).toEqual({ ok: false, reason: 'no_budget' });
    await b.set(key, { maxPerPayment: '400', maxPerDay: '1000' });
    expect(await b.charge(key, 400n)).toMatchObject({ ok: true, budget: { spent: '400' } });
    expect(await b.charge(key, 401n)).toEqual({ ok: false, reason: 'over_payment_cap' });
    expect(await b.charge(key, 400n)).toMatchObject({ ok: true, budget: { spent: '800' } });
    expect(await b.charge(key, 201n)).toEqual({ ok: false, reason: 'over_daily_cap' });
    expect((await b.find(key))?.spent).toBe('800');
    expect(await b.charge(key, 200n)).toMatchObject({ ok: true, budget: { spent: '1000' } });
  });

  it('is keyed by site, paying account, network, token and payee', async () => {
    const b = budgets();
    await b.set(key, { maxPerPayment: '10', maxPerDay: '10' });
    for (const other of [
      { ...key, origin: 'https://evil.example' },
      { ...key, origin: 'http://news.example' },
      { ...key, account: vectors.keys[1]!.publicKey },
      { ...key, network: 'casper:casper' },
      { ...key, asset: 'ab'.repeat(32) },
      { ...key, payTo: `00${'cd'.repeat(32)}` },
    ]) {
      expect(await b.charge(other, 1n)).toEqual({ ok: false, reason: 'no_budget' });
    }
    expect(await b.charge(key, 1n)).toMatchObject({ ok: true });
  });

  it('starts a new period every 24 hours from when the budget was set', async () => {
    const b = budgets();
    const start = now;
    await b.set(key, { maxPerPayment: '10', maxPerDay: '10' });
    expect(await b.charge(key, 10n)).toMatchObject({ ok: true });
    now = start + DAY_MS - 1;
    expect(await b.charge(key, 1n)).toEqual({ ok: false, reason: 'over_daily_cap' });
    now = start + DAY_MS;
    expect(await b.charge(key, 10n)).toMatchObject({
      ok: true,
      budget: { spent: '10', periodStart: start + DAY_MS },
    });
    // Periods stay aligned to the first one even after days without use.
    now = start + 3 * DAY_MS + 5_000;
    expect((await b.find(key))?.spent).toBe('0');
    expect(await b.charge(key, 3n)).toMatchObject({
      ok: true,
      budget: { spent: '3', periodStart: start + 3 * DAY_MS },
    });
  });

  it('keeps what was spent today when the caps change, and forgets a removed budget', async () => {
    const b = budgets();
    await b.set(key, { maxPerPayment: '10', maxPerDay: '20' });
    await b.charge(key, 10n);
    await b.set(key, { maxPerPayment: '5', maxPerDay: '12' });
    expect(await b.find(key)).toMatchObject({ spent: '10', maxPerPayment: '5', maxPerDay: '12' });
    expect(await b.charge(key, 5n)).toEqual({ ok: false, reason: 'over_daily_cap' });
    await b.remove(key);
    expect(await b.list()).toEqual([]);
  });

  it('creates a budget with its first payment counted, and never replaces one', async () => {
    const b = budgets();
    expect(await b.create(key, { maxPerPayment: '4', maxPerDay: '10' }, 4n)).toBe(true);
    expect(await b.create(key, { maxPerPayment: '10', maxPerDay: '100' }, 0n)).toBe(false);
    expect(await b.find(key)).toMatchObject({ maxPerPayment: '4', maxPerDay: '10', spent: '4' });
    await expect(
      b.create(
        { ...key, payTo: `00${'ef'.repeat(32)}` },
        { maxPerPayment: '5', maxPerDay: '4' },
        0n,
      ),
    ).rejects.toMatchObject({ field: 'maxPerPayment' });
    expect(await b.list()).toHaveLength(1);
  });

  it('never spends a budget saved without its paying account', async () => {
    const { account: _, ...legacy } = key;
    await browser.storage.local.set({
      budgets: [{ ...legacy, maxPerPayment: '10', maxPerDay: '10', spent: '0', periodStart: now }],
    });
    const b = budgets();
    expect(await b.list()).toEqual([]);
    expect(await b.charge(key, 1n)).toEqual({ ok: false, reason: 'no_budget' });
  });

  it('rejects caps that make no sense, naming the field', async () => {
    const b = budgets();
    await expect(b.set(key, { maxPerPayment: '11', maxPerDay: '10' })).rejects.toMatchObject({
      field: 'maxPerPayment',
    });
    await expect(b.set(key, { maxPerPayment: '1', maxPerDay: '0' })).rejects.toMatchObject({
      field: 'maxPerDay',
    });
    await expect(b.set(key, { maxPerPayment: '0.5', maxPerDay: '10' })).rejects.toMatchObject({
      field: 'maxPerPayment',
    });
    await expect(b.set(key, { maxPerPayment: '1', maxPerDay: '-10' })).rejects.toMatchObject({
      field: 'maxPerDay',
    });
    expect(await b.list()).toEqual([]);
  });

  it('never lets payments arriving together spend more than the day allows', async () => {
    const b = budgets();
    await b.set(key, { maxPerPayment: '3', maxPerDay: '10' });
    const results = await Promise.all(Array.from({ length: 6 }, () => b.charge(key, 3n)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect((await b.find(key))?.spent).toBe('9');
  });
});

describe('budgets written back from an earlier state', () => {
  const seal = new Uint8Array(32).fill(7);
  const sealed = () =>
    new Budgets(
      () => now,
      async () => seal,
    );
  const stored = async () =>
    ((await browser.storage.local.get('budgets')).budgets ?? []) as Record<string, unknown>[];

  it('refuses an older authentic record written back (spending undone), also after the worker restarts', async () => {
    const b = sealed();
    await b.set(key, { maxPerPayment: '10', maxPerDay: '20' });
    const fresh = await stored();
    expect(await b.charge(key, 10n)).toMatchObject({ ok: true });
    expect(await b.charge(key, 10n)).toMatchObject({ ok: true });
    expect(await b.charge(key, 1n)).toEqual({ ok: false, reason: 'over_daily_cap' });

    // The record from before the payments goes back into storage.local: its MAC is right.
    await browser.storage.local.set({ budgets: fresh });
    expect(await b.charge(key, 10n)).toEqual({ ok: false, reason: 'no_budget' });
    expect(await b.refused()).toEqual({ rewritten: 0, rolledBack: 1 });
    // A new worker knows it from storage.session.
    expect(await sealed().list()).toEqual([]);
    expect(await sealed().refused()).toEqual({ rewritten: 0, rolledBack: 1 });
    // Raising its sequence by hand breaks its MAC.
    await browser.storage.local.set({ budgets: fresh.map((r) => ({ ...r, sequence: 99 })) });
    expect(await b.refused()).toEqual({ rewritten: 1, rolledBack: 0 });
  });

  it('does not let a removed budget come back', async () => {
    const b = sealed();
    await b.set(key, { maxPerPayment: '10', maxPerDay: '20' });
    const before = await stored();
    await b.remove(key);
    await browser.storage.local.set({ budgets: before });
    expect(await b.list()).toEqual([]);
    expect(await b.refused()).toEqual({ rewritten: 0, rolledBack: 1 });
    // Set again, it is a budget of its own, newer than the removed one.
    await b.set(key, { maxPerPayment: '10', maxPerDay: '20' });
    expect(await b.find(key)).toMatchObject({ spent: '0' });
  });

  it('after a browser restart, of two authentic records for one budget obeys the highest sequence, whatever their order', async () => {
    const b = sealed();
    await b.set(key, { maxPerPayment: '10', maxPerDay: '20' });
    const fresh = (await stored())[0]!;
    await b.charge(key, 10n);
    await b.charge(key, 10n);
    const spent = (await stored())[0]!;
    for (const order of [
      [spent, fresh],
      [fresh, spent],
    ]) {
      // The session is gone; both records, the current one and the one before the payments,
      // are in storage.local, each with a right MAC.
      await browser.storage.session.clear();
      await browser.storage.local.set({ budgets: order });
      const next = sealed();
      expect(await next.find(key)).toMatchObject({ spent: '20' });
      expect(await next.list()).toHaveLength(1);
      expect(await next.refused()).toEqual({ rewritten: 0, rolledBack: 1 });
      expect(await next.charge(key, 1n)).toEqual({ ok: false, reason: 'over_daily_cap' });
    }
  });

  it('keeps budgets written before they had a sequence, and learns the newest after a browser restart', async () => {
    const legacy = { ...key, maxPerPayment: '10', maxPerDay: '20', spent: '0', periodStart: now };
    const hmac = await crypto.subtle.importKey(
      'raw',
      seal,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const v1 = JSON.stringify([
      'x402-casper budget v1',
      ...[key.origin, key.account, key.network, key.asset, key.payTo],
      ...['10', '20', '0', now],
    ]);
    const mac = Buffer.from(
      await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(v1)),
    ).toString('hex');
    await browser.storage.local.set({ budgets: [{ ...legacy, mac }] });
    expect(await sealed().find(key)).toMatchObject({ spent: '0', maxPerDay: '20' });
    await browser.storage.local.clear();

    const b = sealed();
    await b.set(key, { maxPerPayment: '10', maxPerDay: '20' });
    await b.charge(key, 10n);
    const charged = await stored();
    expect(charged[0]).toMatchObject({ sequence: 2, spent: '10' });
    // The browser restarts: storage.session is empty, the stored record is obeyed and learnt.
    await browser.storage.session.clear();
    const next = sealed();
    expect(await next.find(key)).toMatchObject({ spent: '10' });
    await next.charge(key, 5n);
    await browser.storage.local.set({ budgets: charged });
    expect(await next.refused()).toEqual({ rewritten: 0, rolledBack: 1 });
  });
});
