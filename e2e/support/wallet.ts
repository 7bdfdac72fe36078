import { expect, type Page } from '@playwright/test';

export const PASSWORD = 'e2e password 1234';

/** Onboarding: set the password and import a secret key PEM (pasted). */
export async function importKey(popup: Page, pem: string, password = PASSWORD): Promise<void> {
  await expect(popup.getByRole('heading', { name: 'Set up x402-casper' })).toBeVisible();
  await popup.getByLabel('New password').fill(password);
  await popup.getByLabel('Repeat password').fill(password);
  await popup.getByRole('tab', { name: 'Import PEM' }).click();
  await popup.getByLabel('…or paste the PEM').fill(pem);
  await popup.getByRole('button', { name: 'Import key' }).click();
  await expect(popup.getByRole('heading', { name: 'Your wallet is ready' })).toBeVisible();
}

export async function openTab(popup: Page, name: 'Assets' | 'Activity' | 'Budgets' | 'Settings') {
  await popup.getByRole('tab', { name }).click();
}

/** Points the local network at the devnet, adds its token, and makes it the active network. */
export async function useDevnet(
  popup: Page,
  devnet: {
    rpcUrl: string;
    network: string;
    token: { packageHash: string; name: string; symbol: string; decimals: number };
  },
): Promise<void> {
  await openTab(popup, 'Settings');
  const local = popup.locator('form', { hasText: 'Local network' });
  await local.getByLabel('RPC URL').fill(devnet.rpcUrl);
  await local.getByLabel('Network id').fill(devnet.network);
  await local.getByRole('button', { name: 'Save Local network' }).click();
  await expect(local.getByText('Saved.')).toBeVisible();
  await popup.getByLabel('Network', { exact: true }).selectOption('local');
  const add = popup.getByRole('form', { name: 'Add token' });
  await add.getByLabel('Contract package hash').fill(devnet.token.packageHash);
  await add.getByLabel('Name').fill(devnet.token.name);
  await add.getByLabel('Symbol').fill(devnet.token.symbol);
  await add.getByLabel('Decimals').fill(String(devnet.token.decimals));
  await add.getByRole('button', { name: 'Add token' }).click();
  await expect(popup.getByText(`${devnet.token.name} (${devnet.token.symbol})`)).toBeVisible();
}

/** Clicks Approve in an approval window, which closes itself. */
export async function approve(approval: Page): Promise<void> {
  await Promise.all([
    approval.waitForEvent('close'),
    approval.getByRole('button', { name: 'Approve' }).click(),
  ]);
}

/** The newest entry of the wallet's payment history. */
export async function latestPayment(popup: Page) {
  await popup.bringToFront();
  await openTab(popup, 'Activity');
  return popup.getByTestId('history').locator('li').first();
}
