import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { NO_CHAIN } from './support/no-chain.js';
import { latestPayment } from './support/popup.js';

// Who asks, as the wallet shows it: the host that answered 402, not the page around it; and
// what a site writes is shown as the site's words. A wallet and a small site
// (support/paid-site.ts) per test; no chain is needed.
test.use({
  walletOptions: {
    ...NO_CHAIN,
    // plain.test is this computer under a name that is not localhost: a plain-http page on
    // it is not a secure context, like any plain-http site on the network.
    // flood.test and its sub-domains too, for sub-origins in frames.
    browserArgs: [
      '--host-resolver-rules=MAP plain.test 127.0.0.1, MAP flood.test 127.0.0.1, MAP *.flood.test 127.0.0.1',
    ],
  },
});

const host = (url: string) => new URL(url).host;

test("a third party's 402 names the host that asked, warns about the page and the claimed resource, and offers no budget", async ({
  wallet,
  paidSite: site,
}) => {
  const popup = await wallet.popup();
  const page = await wallet.context.newPage();
  const claim = 'https://bank.example/statement';
  await page.goto(
    `${site.url}/cross?src=${encodeURIComponent(site.otherOriginUrl)}&claim=${encodeURIComponent(claim)}`,
  );
  const asked = wallet.nextApproval();
  await page.locator('#fetch-button').click();
  const window = await asked;
  await expect(window.getByTestId('origin')).toHaveText(host(site.otherOriginUrl));
  await expect(window.getByTestId('third-party-warning')).toContainText(
    `you are on ${host(site.url)}`,
  );
  // The wallet has access to localhost: the browser saw that host answer 402, so it is not
  // only the page's word.
  await expect(window.getByTestId('asker-unconfirmed')).toHaveCount(0);
  await expect(window.getByTestId('claim-warning')).toContainText('bank.example');
  await expect(window.getByLabel(/Allow this site to charge me/)).toHaveCount(0);
  await window.setViewportSize({ width: 420, height: 900 });
  await window.screenshot({ path: test.info().outputPath('third-party-402.png'), fullPage: true });
  await wallet.approve({ window });
  await expect(page.locator('#status')).toHaveText('HTTP 200');
  const entry = await latestPayment(popup);
  await expect(entry).toContainText(host(site.otherOriginUrl));
  await expect(entry).toContainText(`Asked while you were on ${host(site.url)}`);
  await page.close();
});

test('on a plain-http page that is not a secure context, fetch and XMLHttpRequest are paid', async ({
  wallet,
  paidSite: site,
}) => {
  const plain = site.url.replace('127.0.0.1', 'plain.test');
  const page = await wallet.context.newPage();
  await page.goto(`${plain}/fetcher`);
  expect(await page.evaluate(() => [self.isSecureContext, typeof crypto.randomUUID])).toEqual([
    false,
    'undefined',
  ]);
  let asked = wallet.nextApproval();
  await page.locator('#fetch-button').click();
  let window = await asked;
  await expect(window.getByTestId('insecure-warning')).toBeVisible();
  await wallet.approve({ window });
  await expect(page.locator('#status')).toHaveText('HTTP 200');

  await page.goto(`${plain}/base/index.html`);
  asked = wallet.nextApproval();
  await page.locator('#xhr-button').click();
  window = await asked;
  await wallet.approve({ window });
  await expect(page.locator('#status')).toHaveText('HTTP 200');
  await expect(page.locator('#result')).toHaveText('sub item');
  await page.close();
});

test("a site's description is quoted as the site's, and bidi controls cannot make a symbol read as another", async ({
  wallet,
  paidSite: site,
}) => {
  const page = await wallet.context.newPage();
  const desc =
    '\u2714 Verified by x402-casper wallet. FREE TRIAL \u202Eno charge\u202C\u200B today';
  await page.goto(
    `${site.url}/cross?desc=${encodeURIComponent(desc)}&symbol=${encodeURIComponent('\u202EDSU\u200D')}`,
  );
  const asked = wallet.nextApproval();
  await page.locator('#fetch-button').click();
  const window = await asked;
  // U+202E would make "DSU" read "USD": removed, it reads as what it is.
  await expect(window.getByTestId('amount')).toHaveText('0.01 DSU');
  const quoted = window.getByTestId('site-description');
  await expect(quoted).toContainText('The site describes it as');
  await expect(quoted.locator('q')).toHaveText(
    '\u2714 Verified by x402-casper wallet. FREE TRIAL no charge today',
  );
  await expect(window.locator('strong', { hasText: 'Verified' })).toHaveCount(0);
  expect(
    await quoted.evaluate((element) =>
      /[\u200B-\u200F\u202A-\u202E\u2066-\u2069]/.test(element.textContent ?? ''),
    ),
  ).toBe(false);
  await window.setViewportSize({ width: 420, height: 900 });
  await window.screenshot({ path: test.info().outputPath('site-text-quoted.png'), fullPage: true });
  await wallet.reject({ window });
  await page.close();
});

test("another site's window.open does not spend a site's budget; the site's own link does", async ({
  wallet,
  paidSite: site,
}) => {
  const popup = await wallet.popup();
  const budgeted = site.otherOriginUrl;
  const own = await wallet.context.newPage();
  await own.goto(`${budgeted}/fetcher`);
  const first = wallet.nextApproval();
  await own.locator('#fetch-button').click();
  const window = await first;
  await window.getByLabel(/Allow this site to charge me/).check();
  await window.getByLabel('Up to (CX402 per day)').fill('0.05');
  await wallet.approve({ window });
  await expect(own.locator('#status')).toHaveText('HTTP 200');

  // Another site opens the budgeted site's paid page: the window asks.
  const other = await wallet.context.newPage();
  await other.goto(`${site.url}/opener?to=${encodeURIComponent(`${budgeted}/csp-page`)}`);
  const asked = wallet.nextApproval();
  const opened = wallet.context.waitForEvent('page');
  await other.locator('#open').click();
  const tab = await opened;
  const again = await asked;
  await expect(again.getByTestId('amount')).toHaveText('0.01 CX402');
  await wallet.reject({ window: again });
  await tab.close();

  // The site's own link to it: the budget pays, no window.
  await own.goto(`${budgeted}/opener?to=${encodeURIComponent(`${budgeted}/csp-page`)}`);
  await own.locator('#link').click();
  await expect(own.locator('#paid')).toHaveText('Paid page');
  await wallet.expectNoApproval();
  await expect(await latestPayment(popup)).toContainText('budget');
  for (const page of [own, other]) await page.close();
});

test("a fetch made as it loads by a page another site opened gets the window, not the site's budget; after the site's own link the budget pays", async ({
  wallet,
  paidSite: site,
}) => {
  const popup = await wallet.popup();
  const budgeted = site.otherOriginUrl;
  const own = await wallet.context.newPage();
  await own.goto(`${budgeted}/fetcher`);
  const first = wallet.nextApproval();
  await own.locator('#fetch-button').click();
  const window = await first;
  await window.getByLabel(/Allow this site to charge me/).check();
  await window.getByLabel('Up to (CX402 per day)').fill('0.05');
  await wallet.approve({ window });
  await expect(own.locator('#status')).toHaveText('HTTP 200');

  // Another site opens a page of the budgeted site that fetches a paid item as it loads.
  const other = await wallet.context.newPage();
  await other.goto(`${site.url}/opener?to=${encodeURIComponent(`${budgeted}/autofetch`)}`);
  const asked = wallet.nextApproval();
  const opened = wallet.context.waitForEvent('page');
  await other.locator('#open').click();
  const tab = await opened;
  const again = await asked;
  await expect(again.getByTestId('amount')).toHaveText('0.01 CX402');
  await again.setViewportSize({ width: 420, height: 900 });
  await again.screenshot({
    path: test.info().outputPath('opened-by-other-site-fetch.png'),
    fullPage: true,
  });
  await wallet.reject({ window: again });
  await expect(tab.locator('#status')).toHaveText('HTTP 402');
  expect((await wallet.budgets())[0]?.spent).toBe('10000');
  await tab.close();

  // The same page in a same-origin frame of the site's page that the other site opened: the
  // frame's own referrer is its parent and it has no opener, but the top page's provenance
  // is what counts: the window again.
  const framing = `${budgeted}/frame?src=${encodeURIComponent(budgeted)}&path=/autofetch`;
  await other.goto(`${site.url}/opener?to=${encodeURIComponent(framing)}`);
  const framedAsk = wallet.nextApproval();
  const framedOpened = wallet.context.waitForEvent('page');
  await other.locator('#open').click();
  const framedTab = await framedOpened;
  await wallet.reject({ window: await framedAsk });
  await expect(framedTab.frameLocator('#frame').locator('#status')).toHaveText('HTTP 402');
  expect((await wallet.budgets())[0]?.spent).toBe('10000');
  await framedTab.close();

  // The site's own link to the same page: its fetch is paid from the budget, no window.
  await own.goto(`${budgeted}/opener?to=${encodeURIComponent(`${budgeted}/autofetch`)}`);
  await wallet.expectNoApproval(async () => {
    await own.locator('#link').click();
    await expect(own.locator('#status')).toHaveText('HTTP 200');
  });
  expect((await wallet.budgets())[0]?.spent).toBe('20000');
  await expect(await latestPayment(popup)).toContainText('budget');
  for (const page of [own, other]) await page.close();
});

test('sub-origins in frames cannot flood: after three rejections the tab and the site are quiet', async ({
  wallet,
  paidSite: site,
}) => {
  const opened: Page[] = [];
  const onPage = (page: Page) => {
    if (!page.url().includes('/approval.html')) return;
    opened.push(page);
    // The person closes each window at once: a rejection.
    void page.close();
  };
  wallet.context.on('page', onPage);
  const port = new URL(site.url).port;
  const flood = await wallet.context.newPage();
  await flood.goto(`http://flood.test:${port}/flood?n=8`);
  await flood.waitForTimeout(6_000);
  wallet.context.off('page', onPage);
  expect(opened.length).toBeGreaterThan(0);
  expect(opened.length).toBeLessThanOrEqual(3);
  await flood.close();
});

test('after three rejections in one tab, another tab of the site is quiet too, and stays quiet after the service worker stops', async ({
  wallet,
  paidSite: site,
}) => {
  const first = await wallet.context.newPage();
  await first.goto(`${site.url}/fetcher`);
  for (let i = 0; i < 3; i++) {
    const asked = wallet.nextApproval();
    await first.locator('#fetch-button').click();
    await wallet.reject({ window: await asked });
    await expect(first.locator('#status')).toHaveText('HTTP 402');
    await first.reload();
  }
  const second = await wallet.context.newPage();
  const quiet = async () => {
    await second.goto(`${site.url}/fetcher`);
    await wallet.expectNoApproval(async () => {
      await second.locator('#fetch-button').click();
      await expect(second.locator('#status')).toHaveText('HTTP 402');
    });
  };
  await quiet();
  // An idle worker is stopped by the browser; the next request starts a new one.
  await wallet.stopServiceWorker();
  await quiet();
  for (const page of [first, second]) await page.close();
});
