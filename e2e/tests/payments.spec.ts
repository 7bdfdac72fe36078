import type { Page } from '@playwright/test';
import type { TestAccount, Wallet } from '@x402-casper/e2e';
import { expect, test } from './fixtures.js';
import { type DemoSite, startDemoSite } from './support/demo-site.js';
import { latestPayment as latestPaymentIn, openTab } from './support/popup.js';

// The whole product: the built extension in Chromium against the devnet, the facilitator
// and the demo site. The tests run in order and share one wallet: the later ones move devnet
// time and stop the facilitator, so the suite has a devnet (and facilitator) of its own.
test.describe.configure({ mode: 'serial' });
test.use({ devnetOptions: { name: 'payments' } });

let demo: DemoSite;
let poorPayer: TestAccount;
let wallet: Wallet;
let popup: Page;
let site: Page;

test.beforeAll(async ({ devnet, facilitator, wallets }) => {
  test.setTimeout(120_000);
  demo = await startDemoSite(devnet, facilitator);
  // Holds CSPR but no tokens.
  poorPayer = await devnet.newAccount({ cspr: '100' });
  wallet = await wallets.launch();
  popup = await wallet.popup();
  site = await wallet.context.newPage();
  await site.goto(`${demo.url}/playground`);
});

test.afterAll(async () => {
  await wallet?.close();
  await demo?.stop();
});

/** Clicks a playground button and returns the approval window that opens. */
async function askToPay(button: 'fetch' | 'xhr') {
  const approval = wallet.nextApproval();
  await site.locator(`#${button}-button`).click();
  const page = await approval;
  await expect(page.getByTestId('amount')).toBeVisible();
  return page;
}

const latestPayment = () => latestPaymentIn(popup);

test('pays a fetch after approval: content shown, tokens moved on chain, history entry', async ({
  devnet,
}) => {
  const before = await devnet.tokenBalance(wallet.account);
  const approval = await askToPay('fetch');
  const host = new URL(demo.url).host;
  await expect(approval.getByTestId('origin')).toHaveText(host);
  await expect(approval.getByTestId('amount')).toHaveText('0.01 CX402');
  await expect(approval.getByText('Weather forecast')).toBeVisible();
  await expect(approval.getByText('Casper x402 Token')).toBeVisible();
  await expect(approval.getByText('5 minutes after you approve')).toBeVisible();
  await approval.getByRole('button', { name: 'Show atomic units' }).click();
  await expect(approval.getByTestId('atomic')).toHaveText('10000 atomic units (6 decimals)');
  await approval.setViewportSize({ width: 420, height: 760 });
  await approval.screenshot({
    path: test.info().outputPath('approval-window.png'),
    fullPage: true,
  });
  await wallet.approve({ window: approval });

  await expect(site.locator('#status')).toHaveText('fetch: HTTP 200');
  await expect(site.locator('#result')).toContainText('Zug');
  await expect(site.locator('#receipt')).toContainText('"success": true');
  expect(await devnet.tokenBalance(wallet.account)).toBe(before - 10_000n);
  expect(await devnet.tokenBalance(demo.merchant)).toBe(10_000n);

  const entry = await latestPayment();
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await expect(entry).toContainText(host);
  await expect(entry).toContainText('0.01 CX402');
  await expect(entry.getByTestId('chain-state')).toHaveText('Confirmed on chain.');
  // The transaction the site reported, read on chain: this authorization's transfer.
  await expect(entry.getByTestId('payment-transaction')).toContainText(
    "This payment's transfer, read on chain",
  );
  await openTab(popup, 'Assets');
  await expect(popup.getByTestId('balance-CX402')).toHaveText(/^999\.99\s*CX402$/);
  await popup.screenshot({ path: test.info().outputPath('popup-after-payment.png') });
});

test('a rejected payment leaves the page with the 402', async () => {
  await wallet.reject({ window: await askToPay('fetch') });
  await expect(site.locator('#status')).toHaveText('fetch: HTTP 402');
  await expect(await latestPayment()).toHaveAttribute('data-status', 'rejected');
});

test('pays an XMLHttpRequest after approval', async () => {
  await wallet.approve({ window: await askToPay('xhr') });
  await expect(site.locator('#status')).toHaveText('XMLHttpRequest: HTTP 200');
  await expect(site.locator('#result')).toContainText('Zug');
  await expect(site.locator('#receipt')).toContainText('"success": true');
  await expect(await latestPayment()).toHaveAttribute('data-status', 'paid');
});

test('a budget set in the window pays the next request without a window, then asks again beyond it', async () => {
  const approval = await askToPay('fetch');
  await approval.getByLabel(/Allow this site to charge me/).check();
  await approval.getByLabel('Up to (CX402 per day)').fill('0.025');
  await wallet.approve({ window: approval });
  await expect(site.locator('#status')).toHaveText('fetch: HTTP 200');

  await site.locator('#fetch-button').click();
  await expect(site.locator('#status')).toHaveText('fetch: HTTP 200');
  await expect(site.locator('x402-casper-notice')).toContainText('paid 0.01 CX402');
  await wallet.expectNoApproval();
  const entry = await latestPayment();
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await expect(entry).toContainText('budget');
  await openTab(popup, 'Budgets');
  await expect(popup.getByText('0.02 of 0.025 CX402 spent today')).toBeVisible();
  // At most the approved price per payment, not the whole day's amount.
  await expect(popup.getByText(/at most 0\.01 per payment/)).toBeVisible();

  // 0.02 of 0.025 spent: another 0.01 is beyond the day, so the window comes back.
  await wallet.reject({ window: await askToPay('fetch') });
  await expect(site.locator('#status')).toHaveText('fetch: HTTP 402');
});

test('pays for a paid page opened by navigation: the article appears', async () => {
  const article = await wallet.context.newPage();
  const approval = wallet.nextApproval();
  await article.goto(`${demo.url}/articles/pay-per-article`);
  await expect(article.getByText('Payment required')).toBeVisible();
  const window = await approval;
  await wallet.approve({ window, amount: '0.05 CX402' });
  await expect(article.locator('#paid-article')).toContainText('Why pay-per-article finally works');
  const entry = await latestPayment();
  await expect(entry).toHaveAttribute('data-status', 'paid');
  // The receipt comes from the paid response's headers, read by the browser for the wallet.
  await expect(entry.getByTestId('payment-transaction')).toBeVisible();
  await article.close();
});

test('a locked wallet unlocks in the approval window, then pays', async () => {
  await popup.bringToFront();
  await popup.getByRole('button', { name: 'Lock' }).click();
  await expect(popup.getByRole('heading', { name: 'Welcome back' })).toBeVisible();
  const approval = await askToPay('fetch');
  await expect(approval.getByText('Unlock to approve')).toBeVisible();
  await expect(approval.getByRole('button', { name: 'Approve' })).toBeDisabled();
  await approval.setViewportSize({ width: 420, height: 900 });
  await approval.screenshot({
    path: test.info().outputPath('approval-locked.png'),
    fullPage: true,
  });
  await approval.getByLabel('Password').fill(wallet.password);
  await approval.getByRole('button', { name: 'Unlock' }).click();
  await expect(approval.getByRole('button', { name: 'Approve' })).toBeEnabled();
  await wallet.approve({ window: approval });
  await expect(site.locator('#status')).toHaveText('fetch: HTTP 200');
});

test('insufficient funds: the page gets the 402; the history says what the site reported and what the chain holds', async () => {
  await popup.bringToFront();
  await openTab(popup, 'Budgets');
  await popup.getByRole('button', { name: 'Remove' }).click();
  await expect(popup.getByText('No budgets.')).toBeVisible();
  await openTab(popup, 'Settings');
  await popup.getByRole('button', { name: 'Add or import an account' }).click();
  await popup.getByRole('tab', { name: 'Import PEM' }).click();
  await popup.getByLabel('…or paste the PEM').fill(poorPayer.pem);
  await popup.getByLabel('Wallet password').fill(wallet.password);
  await popup.getByRole('button', { name: 'Add account' }).click();
  await expect(popup.getByLabel('Account', { exact: true })).toHaveValue(poorPayer.publicKey);

  const approval = await askToPay('fetch');
  // Said up front, from the chain: this account cannot pay this.
  await expect(approval.getByTestId('balance-short')).toContainText(
    'Your balance on chain is 0 CX402: short of this price.',
  );
  await approval.setViewportSize({ width: 420, height: 900 });
  await approval.screenshot({
    path: test.info().outputPath('approval-balance-short.png'),
    fullPage: true,
  });
  await wallet.approve({ window: approval });
  await expect(site.locator('#status')).toHaveText('fetch: HTTP 402');
  const entry = await latestPayment();
  // Not collected, and still collectable until it expires: the chain says so, not the site.
  await expect(entry).toHaveAttribute('data-status', 'pending');
  await expect(entry).toContainText('The site reported insufficient funds');
  await expect(entry.getByTestId('chain-state')).toContainText('Not settled yet — valid until');
  await expect(entry.getByTestId('chain-balance')).toHaveText(
    'Your balance on chain: 0 CX402, short of this price.',
  );
  await popup.getByLabel('Account', { exact: true }).selectOption(wallet.account.publicKey);
});

test('an authorization the chain sees as expired is reported as expired', async ({ devnet }) => {
  await devnet.increaseTime(3600);
  const before = await devnet.tokenBalance(wallet.account);
  await wallet.approve({ window: await askToPay('fetch') });
  await expect(site.locator('#status')).toHaveText('fetch: HTTP 402');
  const entry = await latestPayment();
  await expect(entry).toHaveAttribute('data-status', 'failed');
  await expect(entry).toContainText('expired');
  await expect(entry.getByTestId('chain-state')).toContainText('Never settled: it expired at');
  expect(await devnet.tokenBalance(wallet.account)).toBe(before);
});

test('with the facilitator down the payment fails and says so', async ({ facilitator }) => {
  await facilitator.stop();
  await wallet.approve({ window: await askToPay('fetch') });
  await expect(site.locator('#status')).toHaveText(/fetch: HTTP 50[23]/);
  const entry = await latestPayment();
  await expect(entry).toHaveAttribute('data-status', 'failed');
  await expect(entry).toContainText('facilitator');
  // Devnet time is an hour ahead since the test before: by block time it already expired.
  await expect(entry.getByTestId('chain-state')).toContainText('Never settled');
  await popup.screenshot({ path: test.info().outputPath('popup-activity.png'), fullPage: true });
});
