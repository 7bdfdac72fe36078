import { expect, type Page, test } from '@playwright/test';
import { launchWallet, type WalletBrowser } from './support/browser.js';
import { type GreedySite, startGreedySite } from './support/greedy-site.js';
import { Services } from './support/services.js';
import { approve, importKey, latestPayment, useDevnet } from './support/wallet.js';

// What a site says is not what happened: the wallet confirms outcomes on chain, and one
// purchase gets one authorization however often the site asks. The built extension in
// Chromium against the devnet and the facilitator, each a real process, and sites that lie.
test.describe.configure({ mode: 'serial' });

const PRICE = 10_000n;
const services = new Services();
let wallet: WalletBrowser;
let popup: Page;
let greedy: GreedySite;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  await services.start();
  wallet = await launchWallet();
  popup = await wallet.popup();
  await importKey(popup, services.payer.pem);
  await popup.getByRole('button', { name: 'Open wallet' }).click();
  await useDevnet(popup, { ...services.devnet, token: services.token });
  greedy = await startGreedySite({
    network: services.devnet.network,
    token: services.token,
    payTo: services.merchant.address,
    amount: PRICE.toString(),
    settle: (payload, requirements) => services.settle(payload, requirements),
  });
});

test.afterAll(async () => {
  await greedy?.stop();
  await wallet?.close();
  await services.stop();
});

/** Clicks Buy; approves a window if one opens; resolves once the page shows `status`. */
async function buy(page: Page, status: string): Promise<'window' | 'no window'> {
  const window = wallet.context
    .waitForEvent('page', { predicate: (p) => p.url().includes('/approval.html'), timeout: 15_000 })
    .catch(() => null);
  await page.locator('#buy').click();
  const shown = page
    .locator('#status')
    .filter({ hasText: status })
    .waitFor({ timeout: 15_000 })
    .then(() => null);
  const approval = await Promise.race([window, shown]);
  if (!approval) return 'no window';
  await expect(approval.getByTestId('amount')).toBeVisible();
  await approve(approval);
  await expect(page.locator('#status')).toHaveText(status);
  return 'window';
}

test('a site that keeps an authorization and says "insufficient funds" can collect the purchase only once', async () => {
  const before = await services.tokenBalance(services.payer);
  const shop = await wallet.context.newPage();
  await shop.goto(greedy.url);
  expect(await buy(shop, 'HTTP 402')).toBe('window');

  // The wallet says what the site reported, and what the chain says about the funds.
  let entry = await latestPayment(popup);
  await expect(entry).toContainText('The site reported insufficient funds');
  await expect(entry).not.toContainText('Not enough funds: your balance');
  await expect(entry.getByTestId('chain-state')).toContainText(/Not settled yet — valid until \d/);
  await expect(entry.getByTestId('chain-balance')).toContainText(
    'Your balance on chain: 1,000 CX402, enough for this price.',
  );
  // The devnet's token has no cancel_authorization: the wallet reads that from the chain.
  await entry.getByRole('button', { name: 'Cancel authorization…' }).click();
  await expect(entry.getByRole('alert')).toContainText(
    'This token has no cancel_authorization entry point',
  );
  await popup.screenshot({ path: test.info().outputPath('site-said-insufficient-funds.png') });

  // Asked again for the same purchase: the same authorization goes back, no second one.
  await shop.bringToFront();
  const second = await buy(shop, 'HTTP 200');
  expect(new Set(greedy.nonces).size).toBe(1);
  expect(second).toBe('no window');
  await expect(shop.locator('x402-casper-notice').filter({ hasText: 'sent again' })).toHaveCount(1);
  expect(greedy.settlements.filter((s) => s.success)).toHaveLength(1);
  expect(await services.tokenBalance(services.payer)).toBe(before - PRICE);

  entry = await latestPayment(popup);
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await expect(entry.getByTestId('chain-state')).toHaveText('Confirmed on chain.');
  await expect(entry.getByTestId('sent-again')).toBeVisible();
  await popup.screenshot({ path: test.info().outputPath('same-authorization-sent-again.png') });
  await shop.close();
});
