import { readFileSync } from 'node:fs';
import type { Wallet } from '@x402-casper/e2e';
import { expect, test } from './fixtures.js';
import { NO_CHAIN } from './support/no-chain.js';
import type { PaidSite } from './support/paid-site.js';
import { latestPayment } from './support/popup.js';

// What a site sends back must keep its meaning: a paid page keeps its own security headers,
// a paid download stays a download, an XMLHttpRequest is retried at the URL it asked for.
// A wallet and a small site (support/paid-site.ts) per test; no chain is needed.
test.use({ walletOptions: NO_CHAIN });

/** Opens `path` in a new tab; it answers 402, so the approval window opens. */
async function openPaidPage(wallet: Wallet, site: PaidSite, path: string) {
  const page = await wallet.context.newPage();
  const approval = wallet.nextApproval();
  await page.goto(`${site.url}${path}`);
  await expect(page.getByRole('heading', { name: 'Payment required' })).toBeVisible();
  const window = await approval;
  await expect(window.getByTestId('amount')).toHaveText('0.01 CX402');
  await expect(window.getByTestId('page-access')).toBeVisible();
  return { page, window };
}

test('the page used to test scripts does run its inline script when nothing forbids it', async ({
  wallet,
  paidSite: site,
}) => {
  const page = await wallet.context.newPage();
  await page.goto(`${site.url}/script-page`);
  await expect(page).toHaveTitle('inline script ran');
  await page.close();
});

test('a paid page keeps its own Content-Security-Policy: its inline script does not run', async ({
  wallet,
  paidSite: site,
}) => {
  const popup = await wallet.popup();
  const { page, window } = await openPaidPage(wallet, site, '/csp-page');
  await wallet.approve({ window });
  await expect(page.locator('#paid')).toHaveText('Paid page');
  // Parsing is done and the inline script was blocked by the response's own policy.
  await expect(page).toHaveTitle('Paid page');
  expect(site.hits).toContain('GET /csp-page paid');
  expect(site.hits.filter((hit) => hit.startsWith('GET /beacon?/csp-page'))).toEqual([]);
  const entry = await latestPayment(popup);
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await expect(entry).toContainText('Transaction');
  await page.close();
});

test('a paid attachment is downloaded, never opened as a document of the site', async ({
  wallet,
  paidSite: site,
}) => {
  const popup = await wallet.popup();
  const { page, window } = await openPaidPage(wallet, site, '/report.svg');
  const download = page.waitForEvent('download');
  await wallet.approve({ window });
  const file = await download;
  expect(file.suggestedFilename()).toBe('report.svg');
  expect(readFileSync((await file.path())!, 'utf8')).toContain('<svg');
  // The tab still shows the 402 page; the SVG's script never ran in the site's origin.
  await expect(page.getByRole('heading', { name: 'Payment required' })).toBeVisible();
  expect(page.url()).toBe(`${site.url}/report.svg`);
  expect(site.hits).toContain('GET /report.svg paid');
  expect(site.hits.filter((hit) => hit.startsWith('GET /beacon?svg'))).toEqual([]);
  await expect(await latestPayment(popup)).toHaveAttribute('data-status', 'paid');
  await page.close();
});

test('an XMLHttpRequest under <base href> is paid and sent again to the URL it asked for', async ({
  wallet,
  paidSite: site,
}) => {
  const page = await wallet.context.newPage();
  await page.goto(`${site.url}/base/index.html`);
  const approval = wallet.nextApproval();
  await page.locator('#xhr-button').click();
  const window = await approval;
  await expect(window.getByTestId('amount')).toHaveText('0.01 CX402');
  await wallet.approve({ window });
  await expect(page.locator('#status')).toHaveText('HTTP 200');
  await expect(page.locator('#result')).toHaveText('sub item');
  expect(site.hits).toContain('GET /sub/item paid');
  expect(site.hits.filter((hit) => hit.startsWith('GET /base/item'))).toEqual([]);
  await page.close();
});

test("a site's budget pays in its own pages, never silently in a frame on another site", async ({
  wallet,
  paidSite: site,
}) => {
  const popup = await wallet.popup();
  const budgeted = site.otherOriginUrl;
  const top = await wallet.context.newPage();
  await top.goto(`${budgeted}/fetcher`);
  const first = wallet.nextApproval();
  await top.locator('#fetch-button').click();
  const window = await first;
  await window.getByLabel(/Allow this site to charge me/).check();
  await window.getByLabel('Up to (CX402 per day)').fill('0.05');
  await wallet.approve({ window });
  await expect(top.locator('#status')).toHaveText('HTTP 200');

  // The same site framed by another origin: the window, naming the page around it.
  const embedder = await wallet.context.newPage();
  await embedder.goto(`${site.url}/frame?src=${encodeURIComponent(budgeted)}`);
  const framed = embedder.frameLocator('#frame');
  const asked = wallet.nextApproval();
  await framed.locator('#fetch-button').click();
  const frameWindow = await asked;
  await expect(frameWindow.getByTestId('origin')).toHaveText(new URL(budgeted).host);
  await expect(frameWindow.getByTestId('frame-warning')).toHaveText(
    `Inside a frame on ${new URL(site.url).host}`,
  );
  await wallet.reject({ window: frameWindow });
  await expect(framed.locator('#status')).toHaveText('HTTP 402');

  // Framed by its own page, it is the site the person is on: the budget pays.
  const own = await wallet.context.newPage();
  await own.goto(`${budgeted}/frame?src=${encodeURIComponent(budgeted)}`);
  const ownFrame = own.frameLocator('#frame');
  await ownFrame.locator('#fetch-button').click();
  await expect(ownFrame.locator('#status')).toHaveText('HTTP 200');
  await wallet.expectNoApproval();
  const entry = await latestPayment(popup);
  await expect(entry).toContainText('budget');
  for (const page of [top, embedder, own]) await page.close();
});
