import { readFileSync } from 'node:fs';
import type { Page, Request } from '@playwright/test';
import type { Wallet } from '@x402-casper/e2e';
import { expect, test } from './fixtures.js';
import { type DemoSite, startDemoSite } from './support/demo-site.js';
import { type GreedySite, startGreedySite } from './support/greedy-site.js';
import { holdAfterAnswer } from './support/hold-worker.js';
import { latestPayment, openTab } from './support/popup.js';

// What a site says is not what happened: the wallet confirms outcomes on chain, and one
// purchase gets one authorization however often the site asks. The built extension in
// Chromium against the devnet and the facilitator, and sites that lie. The tests run in order
// and share one wallet: the last reads the history the others made.
test.describe.configure({ mode: 'serial' });

const PRICE = 10_000n;
let wallet: Wallet;
let popup: Page;
let greedy: GreedySite;
let demo: DemoSite;

test.beforeAll(async ({ devnet, facilitator, wallets }) => {
  test.setTimeout(120_000);
  demo = await startDemoSite(devnet, facilitator);
  wallet = await wallets.launch();
  popup = await wallet.popup();
  greedy = await startGreedySite({
    network: devnet.network,
    token: devnet.token,
    payTo: (await devnet.newAccount()).address,
    amount: PRICE.toString(),
    settle: (payload, requirements) => facilitator.settle(payload, requirements),
  });
});

test.afterAll(async () => {
  await greedy?.stop();
  await wallet?.close();
  await demo?.stop();
});

/** Clicks Buy; approves a window if one opens; resolves once the page shows `status`. */
async function buy(page: Page, status: string, balance?: string): Promise<'window' | 'no window'> {
  const window = wallet.nextApproval({ timeout: 15_000 }).catch(() => null);
  await page.locator('#buy').click();
  const shown = page
    .locator('#status')
    .filter({ hasText: status })
    .waitFor({ timeout: 15_000 })
    .then(() => null);
  const approval = await Promise.race([window, shown]);
  if (!approval) return 'no window';
  await expect(approval.getByTestId('amount')).toBeVisible();
  if (balance) {
    await expect(approval.getByTestId('balance')).toHaveText(balance.replace('Your balance', ''));
    await expect(approval.getByTestId('balance-short')).toHaveCount(0);
  }
  await wallet.approve({ window: approval });
  await expect(page.locator('#status')).toHaveText(status);
  return 'window';
}

test('a site that keeps an authorization and says "insufficient funds" can collect the purchase only once', async ({
  devnet,
}) => {
  const before = await devnet.tokenBalance(wallet.account);
  const shop = await wallet.context.newPage();
  await shop.goto(greedy.url);
  expect(await buy(shop, 'HTTP 402', 'Your balance1,000 CX402 on chain')).toBe('window');

  // The wallet says what the site reported, and what the chain says about the funds.
  let entry = await latestPayment(popup);
  await expect(entry).toContainText('The site reported insufficient funds');
  await expect(entry).not.toContainText('Not enough funds: your balance');
  await expect(entry.getByTestId('chain-state')).toContainText(/Not settled yet — valid until \d/);
  await expect(entry.getByTestId('chain-balance')).toContainText(
    'Your balance on chain: 1,000 CX402, enough for this price.',
  );
  // Cancelling shows its cost first; kept here (cancel.spec.ts sends one).
  await entry.getByRole('button', { name: 'Cancel authorization…' }).click();
  await expect(entry.getByTestId('cancel-payment')).toHaveText('3 CSPR');
  await entry.getByRole('button', { name: 'Keep it' }).click();
  await popup.screenshot({ path: test.info().outputPath('site-said-insufficient-funds.png') });

  // Asked again for the same purchase: the same authorization goes back, no second one.
  await shop.bringToFront();
  // The notice shows for a few seconds only: watched for from before the click.
  const noticed = shop.waitForFunction(() =>
    Array.from(document.querySelectorAll('x402-casper-notice')).some((n) =>
      n.shadowRoot?.textContent?.includes('sent again'),
    ),
  );
  const second = await buy(shop, 'HTTP 200');
  expect(new Set(greedy.nonces).size).toBe(1);
  expect(second).toBe('no window');
  await noticed;
  expect(greedy.settlements.filter((s) => s.success)).toHaveLength(1);
  expect(await devnet.tokenBalance(wallet.account)).toBe(before - PRICE);

  entry = await latestPayment(popup);
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await expect(entry.getByTestId('chain-state')).toHaveText('Confirmed on chain.');
  await expect(entry.getByTestId('sent-again')).toBeVisible();
  await popup.screenshot({ path: test.info().outputPath('same-authorization-sent-again.png') });
  await shop.close();
});

test('a service worker stopped mid-payment leaves nothing pending: interrupted requests are recorded, outcomes read on chain at start-up', async ({
  devnet,
}) => {
  const before = await devnet.tokenBalance(wallet.account);
  const confirmedEntries = async () => {
    await openTab(popup, 'Activity');
    return popup
      .getByTestId('history')
      .locator('li')
      .filter({ hasText: 'Confirmed on chain.' })
      .count();
  };
  const confirmedBefore = await confirmedEntries();
  const site = await wallet.context.newPage();
  await site.goto(`${demo.url}/playground`);
  const playground = (status: RegExp) => expect(site.locator('#status')).toHaveText(status);

  // 1. Stopped while the window waits for an answer: nothing is signed, the page gets its 402.
  let asked = wallet.nextApproval();
  await site.locator('#fetch-button').click();
  let window = await asked;
  await expect(window.getByTestId('amount')).toBeVisible();
  await wallet.stopServiceWorker();
  await playground(/fetch: HTTP 402/);
  await window.close();

  // 2. Stopped right after Approve, before the signature (held there, so it lands there
  // every time): nothing is signed, the page gets its 402.
  const signedRequests: string[] = [];
  const watchSigned = (request: Request) => {
    if (request.headers()['payment-signature'] !== undefined) signedRequests.push(request.url());
  };
  site.on('request', watchSigned);
  asked = wallet.nextApproval();
  await site.locator('#fetch-button').click();
  window = await asked;
  await expect(window.getByRole('button', { name: 'Approve' })).toBeEnabled();
  const held = await holdAfterAnswer(wallet);
  await window.getByRole('button', { name: 'Approve' }).click();
  await expect.poll(held, { message: 'the worker got the answer and was held' }).toBe(true);
  await wallet.stopServiceWorker();
  await playground(/fetch: HTTP 402/);
  site.off('request', watchSigned);
  expect(signedRequests).toEqual([]);
  await window.close();

  // 3. Stopped after the page got the signature, before the site's answer came back.
  const paidRequest = site.waitForRequest((r) => r.headers()['payment-signature'] !== undefined);
  const window3 = wallet.nextApproval({ timeout: 8_000 }).catch(() => null);
  await site.locator('#fetch-button').click();
  const third = await Promise.race([window3, paidRequest.then(() => null)]);
  if (third) await wallet.approve({ window: third });
  await paidRequest;
  await wallet.stopServiceWorker();
  await playground(/fetch: HTTP 200/);

  // The worker starts again with the popup: nothing is left "Pending" without the chain's word.
  await popup.reload();
  await openTab(popup, 'Activity');
  const entries = popup.getByTestId('history').locator('li');
  await expect(entries.first()).toBeVisible();
  for (const entry of await entries.all()) {
    const status = await entry.getAttribute('data-status');
    // A signed entry still open has the chain's word on it (read again at start-up).
    if (status === 'pending') await expect(entry.getByTestId('chain-state')).toBeVisible();
  }
  // Both: before the answer, and after the Approve and before the signature.
  await expect(
    popup.getByText('Interrupted: the wallet stopped before it signed anything for this request.'),
  ).toHaveCount(2);
  await expect(entries.filter({ hasText: 'Confirmed on chain.' }).first()).toBeVisible();
  const spent = before - (await devnet.tokenBalance(wallet.account));
  // Every token that moved is a purchase the history shows confirmed on chain, once (the popup
  // shows what the wallet read at start-up when it next refreshes its history).
  await expect
    .poll(async () => PRICE * BigInt((await confirmedEntries()) - confirmedBefore))
    .toBe(spent);
  await popup.screenshot({
    path: test.info().outputPath('after-worker-stops.png'),
    fullPage: true,
  });
  await site.close();
});

test('a token is added from its package hash alone: name, symbol and decimals come from the chain', async ({
  devnet,
}) => {
  await popup.bringToFront();
  await openTab(popup, 'Settings');
  const listed = popup.getByText(`${devnet.token.name} (${devnet.token.symbol})`);
  await expect(listed).toBeVisible();
  await popup.locator('li', { has: listed }).getByRole('button', { name: 'remove' }).click();
  await expect(listed).toHaveCount(0);
  const add = popup.getByRole('form', { name: 'Add token' });
  await add.getByLabel('Contract package hash').fill(devnet.token.packageHash);
  await add.getByRole('button', { name: 'Add token' }).click();
  await expect(listed).toBeVisible();
  await expect(popup.locator('li', { has: listed })).toContainText('6 decimals');
  await popup.screenshot({ path: test.info().outputPath('token-from-chain.png'), fullPage: true });
});

test('the history exports as CSV, with what the chain said', async () => {
  await openTab(popup, 'Activity');
  const download = popup.waitForEvent('download');
  await popup.getByRole('button', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^x402-casper-history-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync((await file.path())!, 'utf8');
  const [header, ...rows] = csv.trim().split('\r\n');
  expect(header).toContain('"site","page","resource","amount","symbol"');
  expect(rows.length).toBeGreaterThan(2);
  expect(rows.some((row) => row.includes('"confirmed"') && row.includes('"0.01","CX402"'))).toBe(
    true,
  );
  // The devnet is no public network: no explorer link (those are for cspr.live networks).
  await expect(popup.getByTestId('explorer-link')).toHaveCount(0);
});
