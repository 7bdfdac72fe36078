import type { Page } from '@playwright/test';
import type { Wallet } from '@x402-casper/e2e';
import { expect, test } from './fixtures.js';
import { type GreedySite, startGreedySite } from './support/greedy-site.js';
import { latestPayment } from './support/popup.js';

// An authorization a site kept and can still collect: who gets it sent again, and what the
// next window says about it. The built extension in Chromium against the devnet and the
// facilitator, and a site (support/greedy-site.ts) that keeps the first authorization it gets.
const PRICE = 10_000n;

let greedy: GreedySite;

test.beforeEach(async ({ devnet, facilitator }) => {
  greedy = await startGreedySite({
    network: devnet.network,
    token: devnet.token,
    payTo: (await devnet.newAccount()).address,
    amount: PRICE.toString(),
    settle: (payload, requirements) => facilitator.settle(payload, requirements),
  });
});

test.afterEach(async () => {
  await greedy?.stop();
});

/** The shop's page at `url`: Buy, approved in the window; the site keeps it and answers 402. */
async function buyAndGetKept(wallet: Wallet, url: string) {
  const shop = await wallet.context.newPage();
  await shop.goto(url);
  const window = wallet.nextApproval();
  await shop.locator('#buy').click();
  await wallet.approve({ window: await window });
  await expect(shop.locator('#status')).toHaveText('HTTP 402');
  expect(greedy.nonces).toHaveLength(1);
  return shop;
}

/**
 * From `page`, posts a payment request to the wallet's bridge as any page's script can,
 * claiming `url` answered it with `paymentRequired`; resolves with the wallet's answer.
 */
function askAsPage(page: Page, url: string, paymentRequired: string) {
  return page.evaluate(
    ({ url, paymentRequired }) =>
      new Promise<{ type: string; paymentSignature?: string }>((resolve) => {
        const id = 'forged-request-1';
        addEventListener('message', (event) => {
          const data = event.data;
          if (data?.channel === 'x402-casper/v1' && data.to === 'page' && data.id === id) {
            if (data.type !== 'ack') resolve(data);
          }
        });
        postMessage(
          {
            channel: 'x402-casper/v1',
            to: 'wallet',
            id,
            type: 'pay',
            kind: 'fetch',
            url,
            method: 'GET',
            paymentRequired,
          },
          location.origin,
        );
      }),
    { url, paymentRequired },
  );
}

test("another site's page that claims the site's URL gets a window saying so, never the site's outstanding authorization", async ({
  wallet,
}) => {
  const shop = await buyAndGetKept(wallet, greedy.url);
  const item = `${greedy.url}/item`;
  const paymentRequired = (await fetch(item)).headers.get('payment-required')!;

  // localhost is another origin than 127.0.0.1 (the same server, here playing evil.example).
  const evil = await wallet.context.newPage();
  await evil.goto(greedy.url.replace('127.0.0.1', 'localhost'));
  const asked = wallet.nextApproval();
  const answer = askAsPage(evil, item, paymentRequired);
  const window = await asked;
  // The browser saw no such 402 in that tab: the window names the page as the asker, and the
  // host it claims as its claim.
  await expect(window.getByTestId('origin')).toHaveText(new URL(evil.url()).host);
  await expect(window.getByTestId('asker-unconfirmed')).toContainText(
    `Only the page says so: ${new URL(evil.url()).host} reports that ${new URL(greedy.url).host} asked`,
  );
  await window.setViewportSize({ width: 420, height: 900 });
  await window.screenshot({
    path: test.info().outputPath('forged-asker-window.png'),
    fullPage: true,
  });
  await wallet.reject({ window });
  expect(await answer).toEqual(expect.objectContaining({ type: 'declined' }));
  // The site kept one authorization and was sent it once: nothing reached the other page.
  expect(greedy.nonces).toHaveLength(1);
  for (const page of [shop, evil]) await page.close();
});

test('asked again for another query string, the window says up front that the site still holds an authorization it can collect, and links to cancelling it', async ({
  wallet,
}) => {
  const shop = await buyAndGetKept(wallet, greedy.url);
  const asked = wallet.nextApproval();
  await shop.goto(`${greedy.url}/?colour=blue`);
  await shop.locator('#buy').click();
  const window = await asked;
  const held = window.getByTestId('outstanding');
  await expect(held).toContainText(
    `You already gave ${new URL(greedy.url).host} an authorization of 0.01 CX402 to this payee, valid until`,
  );
  await expect(held).toContainText(/valid until \d{1,2}:\d{2}/);
  await expect(held).toContainText('the site can still collect it until then');
  await expect(held).toContainText(`For ${greedy.url}/item`);
  await window.setViewportSize({ width: 420, height: 900 });
  await window.screenshot({
    path: test.info().outputPath('outstanding-authorization-window.png'),
    fullPage: true,
  });

  // "Cancel it in Activity" opens the wallet on that payment, where it can be cancelled.
  const opened = wallet.context.waitForEvent('page');
  await held.getByRole('link', { name: 'Cancel it in Activity' }).click();
  const activity = await opened;
  const pointed = activity.locator('li[data-pointed]');
  await expect(pointed).toContainText('0.01 CX402');
  await expect(pointed.getByTestId('chain-state')).toContainText('Not settled yet — valid until');
  await expect(pointed.getByRole('button', { name: 'Cancel authorization…' })).toBeVisible();
  await activity.screenshot({ path: test.info().outputPath('outstanding-in-activity.png') });
  await activity.close();

  await wallet.reject({ window });
  await expect(shop.locator('#status')).toHaveText('HTTP 402');
  expect(greedy.nonces).toHaveLength(1);
  await shop.close();
});

test('a site that said the payment failed and settles the kept authorization later: Activity says it was settled although the site said it failed', async ({
  wallet,
  devnet,
  facilitator,
}) => {
  const popup = await wallet.popup();
  const before = await devnet.tokenBalance(wallet.account);
  const shop = await buyAndGetKept(wallet, greedy.url);
  const entry = await latestPayment(popup);
  await expect(entry).toContainText('The site reported insufficient funds');
  await expect(entry.getByTestId('chain-state')).toContainText('Not settled yet — valid until');

  // Later, the site collects what it kept.
  const late = await facilitator.settle(greedy.payloads[0], greedy.requirements);
  expect(late.success).toBe(true);
  expect(await devnet.tokenBalance(wallet.account)).toBe(before - PRICE);
  // The wallet reads the chain again while the history is open.
  await expect(entry.getByTestId('chain-state')).toHaveText(
    'Confirmed on chain: settled although the site said it failed.',
    { timeout: 30_000 },
  );
  await expect(entry).toHaveAttribute('data-status', 'paid');
  await popup.screenshot({ path: test.info().outputPath('settled-although-site-said-failed.png') });
  await shop.close();
});

test("a site that names another payment's transaction gets no link: the wallet reads the transaction and says it is not this payment", async ({
  wallet,
}) => {
  const popup = await wallet.popup();
  const shop = await wallet.context.newPage();
  /** Buys the item of `query` twice: approved and kept, then the same authorization settled. */
  const buy = async (query: string) => {
    await shop.goto(`${greedy.url}/${query}`);
    const window = wallet.nextApproval();
    await shop.locator('#buy').click();
    await wallet.approve({ window: await window });
    await expect(shop.locator('#status')).toHaveText('HTTP 402');
    await shop.reload();
    await wallet.expectNoApproval(async () => {
      await shop.locator('#buy').click();
      await expect(shop.locator('#status')).toHaveText('HTTP 200');
    });
  };

  await buy('?item=1');
  let entry = await latestPayment(popup);
  await expect(entry.getByTestId('chain-state')).toHaveText('Confirmed on chain.');
  await expect(entry.getByTestId('payment-transaction')).toContainText(
    "This payment's transfer, read on chain",
  );
  const first = greedy.settlements[0]!.transaction;

  // The next purchase settles on chain too, but the site's receipt names the first one's.
  greedy.reportTransaction = first;
  await buy('?item=2');
  expect(greedy.settlements.filter((s) => s.success)).toHaveLength(2);
  entry = await latestPayment(popup);
  await expect(entry.getByTestId('chain-state')).toHaveText('Confirmed on chain.');
  await expect(entry.getByTestId('transaction-not-this-payment')).toContainText(
    'The site reported a transaction that is not this payment',
  );
  await expect(entry.getByTestId('payment-transaction')).toHaveCount(0);
  await expect(entry.getByTestId('explorer-link')).toHaveCount(0);
  await popup.screenshot({ path: test.info().outputPath('transaction-not-this-payment.png') });
  await shop.close();
});
