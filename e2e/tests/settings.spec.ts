import { expect, test } from './fixtures.js';
import { openTab } from './support/popup.js';

// The Settings form points the local network at a node, and the balances follow it: what the
// wallet shows is read from whichever node the person chose, and saying so when it cannot.
test('points the local network at another node and back through the Settings form', async ({
  wallet,
  devnet,
}) => {
  const popup = await wallet.popup();
  await expect(popup.getByTestId('balance-CSPR')).toHaveText(/^100\s*CSPR$/);

  const local = popup.locator('form', { hasText: 'Local network' });
  const point = async (rpcUrl: string) => {
    await openTab(popup, 'Settings');
    await local.getByLabel('RPC URL').fill(rpcUrl);
    await local.getByLabel('Network id').fill(devnet.network);
    await local.getByRole('button', { name: 'Save Local network' }).click();
    await expect(local.getByText('Saved.')).toBeVisible();
    await openTab(popup, 'Assets');
  };

  await point('http://127.0.0.1:9/rpc');
  await expect(popup.getByText(/^Cannot read balances: /)).toBeVisible();
  await expect(popup.getByTestId('balance-CSPR')).toHaveCount(0);

  await point(devnet.rpcUrl);
  await expect(popup.getByTestId('balance-CSPR')).toHaveText(/^100\s*CSPR$/);
  await expect(popup.getByText(/^Cannot read balances/)).toHaveCount(0);
});
