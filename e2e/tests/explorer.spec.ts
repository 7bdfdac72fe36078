import { expect, test } from './fixtures.js';
import { latestPayment } from './support/popup.js';

// A devnet with testnet's chain name: its network id is casper:casper-test, so the wallet reads
// it as its testnet network, and a payment confirmed on chain links to testnet.cspr.live (the
// link is built, never followed: no public network is reachable from the tests).
test.use({ devnetOptions: { chainName: 'casper-test' } });

test('a payment confirmed on chain on testnet links its transaction to testnet.cspr.live', async ({
  wallet,
  devnet,
  demo,
}) => {
  expect(devnet.network).toBe('casper:casper-test');
  const popup = await wallet.popup();
  const site = await wallet.context.newPage();
  await site.goto(`${demo.url}/playground`);
  const approval = wallet.nextApproval();
  await site.locator('#fetch-button').click();
  const window = await approval;
  await expect(window.getByText('(casper:casper-test)')).toBeVisible();
  await wallet.approve({ window, amount: '0.01 CX402' });
  await expect(site.locator('#status')).toHaveText('fetch: HTTP 200');
  const hash = /"transaction":\s*"([0-9a-f]{64})"/.exec(
    (await site.locator('#receipt').textContent()) ?? '',
  )?.[1];
  expect(hash).toBeDefined();

  const entry = await latestPayment(popup);
  await expect(entry.getByTestId('chain-state')).toHaveText('Confirmed on chain.');
  const link = entry.getByTestId('explorer-link');
  await expect(link).toHaveText('view on testnet.cspr.live');
  await expect(link).toHaveAttribute('href', `https://testnet.cspr.live/transaction/${hash}`);
  await expect(link).toHaveAttribute('target', '_blank');
  await popup.screenshot({ path: test.info().outputPath('explorer-link-testnet.png') });
  await site.close();
});
