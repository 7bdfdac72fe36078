import { expect, test } from './fixtures.js';

// The package's own helpers, as a suite on it uses them: lock and unlock, approve with a
// budget and its checks, setBudget, budgets, history and expectNoApproval.
test('the wallet helpers lock and unlock, approve with a budget, change it and read the history', async ({
  wallet,
  demo,
  page,
}) => {
  const state = async () => (await wallet.call<{ unlocked: boolean }>('state')).unlocked;
  await wallet.lock();
  expect(await state()).toBe(false);
  await wallet.unlock();
  expect(await state()).toBe(true);

  await page.goto(`${demo.url}/playground`);
  await page.locator('#fetch-button').click();
  await wallet.approve({
    amount: '0.01 CX402',
    origin: new URL(demo.url).host,
    budget: { perPayment: '0.02', perDay: '0.05' },
  });
  await expect(page.locator('#status')).toHaveText('fetch: HTTP 200');
  expect(await wallet.budgets()).toMatchObject([
    { origin: demo.url, maxPerPayment: '20000', maxPerDay: '50000', spent: '10000' },
  ]);

  await wallet.setBudget(demo.url, { perDay: '0.03' });
  expect(await wallet.budgets()).toMatchObject([{ maxPerPayment: '20000', maxPerDay: '30000' }]);

  await wallet.expectNoApproval(async () => {
    await page.locator('#fetch-button').click();
    await expect
      .poll(async () => (await wallet.history()).map((payment) => payment.status))
      .toEqual(['paid', 'paid']);
  });
  const [second, first] = await wallet.history();
  expect(first).toMatchObject({ status: 'paid', approvedBy: 'window', amount: '10000' });
  expect(second).toMatchObject({ status: 'paid', approvedBy: 'budget', amount: '10000' });
});
