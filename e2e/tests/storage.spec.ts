import type { CDPSession, Page } from '@playwright/test';
import type { Wallet } from '@x402-casper/e2e';
import { expect, test } from './fixtures.js';
import { NO_CHAIN } from './support/no-chain.js';
import { openTab } from './support/popup.js';

// The wallet's storage is the extension's alone: code running in the content script's
// isolated world (a compromised renderer, a bug in the bridge) can neither read the vault nor
// rewrite budgets and accounts; and a record rewritten anyway is refused, not obeyed.
test.use({ walletOptions: NO_CHAIN });

/** Runs `expression` in the wallet's content-script world (the bridge's) of `page`. */
async function inBridgeWorld(wallet: Wallet, page: Page, expression: string): Promise<string> {
  const cdp: CDPSession = await wallet.context.newCDPSession(page);
  const contexts: { id: number; name: string; auxData?: { type?: string } }[] = [];
  cdp.on('Runtime.executionContextCreated', (event) => contexts.push(event.context));
  await cdp.send('Runtime.enable');
  const world = contexts.find(
    (c) => c.auxData?.type === 'isolated' && c.name === 'x402-casper wallet',
  );
  if (!world) throw new Error('no content-script world in this page');
  const result = await cdp.send('Runtime.evaluate', {
    contextId: world.id,
    awaitPromise: true,
    expression: `(async () => { try { return String(await (${expression})); } catch (e) { return 'refused: ' + e.message; } })()`,
  });
  await cdp.detach();
  return String(result.result.value);
}

test('the content-script world can neither read the vault nor write budgets or accounts', async ({
  wallet,
  paidSite: site,
}) => {
  const page = await wallet.context.newPage();
  await page.goto(`${site.otherOriginUrl}/fetcher`);
  expect(
    await inBridgeWorld(
      wallet,
      page,
      `chrome.storage.local.get('vault').then((v) => JSON.stringify(v))`,
    ),
  ).toMatch(/^refused: Access to storage is not allowed from this context/);
  expect(
    await inBridgeWorld(
      wallet,
      page,
      `chrome.storage.local.set({ accounts: [] }).then(() => 'written')`,
    ),
  ).toMatch(/^refused: /);
  expect(
    await inBridgeWorld(
      wallet,
      page,
      `chrome.storage.session.get(null).then((v) => JSON.stringify(v))`,
    ),
  ).toMatch(/^refused: /);
  await page.close();
});

test('a budget rewritten in storage is refused and the window asks; a rewritten account hash is not shown', async ({
  wallet,
  paidSite: site,
}) => {
  const popup = await wallet.popup();
  const page = await wallet.context.newPage();
  await page.goto(`${site.otherOriginUrl}/fetcher`);
  const first = wallet.nextApproval();
  await page.locator('#fetch-button').click();
  const window = await first;
  await window.getByLabel(/Allow this site to charge me/).check();
  await window.getByLabel('Up to (CX402 per day)').fill('0.01');
  await wallet.approve({ window });
  await expect(page.locator('#status')).toHaveText('HTTP 200');

  // A write that got through anyway (here from an extension page): the day's cap is raised
  // and what was spent cleared, and the account's hash swapped for another.
  await popup.evaluate(async () => {
    const local = (
      globalThis as unknown as {
        chrome: {
          storage: {
            local: {
              get(keys: string[]): Promise<Record<string, object[]>>;
              set(items: object): Promise<void>;
            };
          };
        };
      }
    ).chrome.storage.local;
    const { budgets = [], accounts = [] } = await local.get(['budgets', 'accounts']);
    await local.set({
      budgets: budgets.map((b: object) => ({ ...b, maxPerDay: '1000000000', spent: '0' })),
      accounts: accounts.map((a: object) => ({ ...a, accountHash: 'ee'.repeat(32) })),
    });
  });
  const asked = wallet.nextApproval();
  await page.locator('#fetch-button').click();
  const again = await asked;
  await expect(again.getByTestId('amount')).toHaveText('0.01 CX402');
  await wallet.reject({ window: again });
  await expect(page.locator('#status')).toHaveText('HTTP 402');

  await popup.bringToFront();
  await openTab(popup, 'Budgets');
  await expect(popup.getByTestId('refused-budgets')).toContainText('changed outside the wallet');
  await expect(popup.getByTitle(wallet.account.accountHash)).toBeVisible();
  await expect(popup.getByTitle('ee'.repeat(32))).toHaveCount(0);
  await popup.screenshot({ path: test.info().outputPath('budget-refused.png') });
  await page.close();
});

/** The budgets as stored in storage.local, read or written from an extension page. */
type StorageLocal = {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: object): Promise<void>;
};
const storageOf = (page: Page) => ({
  budgets: () =>
    page.evaluate(
      async () =>
        (
          await (
            globalThis as unknown as { chrome: { storage: { local: StorageLocal } } }
          ).chrome.storage.local.get('budgets')
        ).budgets,
    ),
  writeBudgets: (budgets: unknown) =>
    page.evaluate(
      (budgets) =>
        (
          globalThis as unknown as { chrome: { storage: { local: StorageLocal } } }
        ).chrome.storage.local.set({ budgets }),
      budgets,
    ),
});

test('a budget written back from an earlier state of itself is refused: what was spent stays spent', async ({
  wallet,
  paidSite: site,
}) => {
  const popup = await wallet.popup();
  const storage = storageOf(popup);
  const page = await wallet.context.newPage();
  await page.goto(`${site.otherOriginUrl}/fetcher`);
  const first = wallet.nextApproval();
  await page.locator('#fetch-button').click();
  const window = await first;
  await window.getByLabel(/Allow this site to charge me/).check();
  await window.getByLabel('Up to (CX402 per day)').fill('0.02');
  await wallet.approve({ window });
  await expect(page.locator('#status')).toHaveText('HTTP 200');
  // The authentic record with 0.01 of 0.02 spent, as someone with access to storage keeps it.
  const earlier = await storage.budgets();

  // The budget pays the second 0.01; the day is then spent.
  await page.reload();
  await wallet.expectNoApproval(async () => {
    await page.locator('#fetch-button').click();
    await expect(page.locator('#status')).toHaveText('HTTP 200');
  });
  expect((await wallet.budgets())[0]?.spent).toBe('20000');

  // Written back: its MAC is right, but it is older than what the wallet wrote since.
  await storage.writeBudgets(earlier);
  await page.reload();
  const asked = wallet.nextApproval();
  await page.locator('#fetch-button').click();
  const again = await asked;
  await expect(again.getByTestId('amount')).toHaveText('0.01 CX402');
  await wallet.reject({ window: again });
  await expect(page.locator('#status')).toHaveText('HTTP 402');

  await popup.bringToFront();
  await openTab(popup, 'Budgets');
  await expect(popup.getByTestId('rolled-back-budgets')).toContainText(
    '1 stored budget was written back from an earlier state (undoing what was spent) and is ignored',
  );
  await popup.screenshot({ path: test.info().outputPath('budget-rolled-back.png') });
  await page.close();
});
