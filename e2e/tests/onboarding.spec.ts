import { readFileSync, writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { openTab } from './support/popup.js';

// Onboarding through the popup: a wallet with the extension installed but no key yet.
test.use({ walletOptions: { onboard: false } });

const vectors = JSON.parse(
  readFileSync(new URL('../../shared/test/fixtures/cep3009-exact.json', import.meta.url), 'utf8'),
) as {
  keys: { algorithm: string; publicKey: string; accountHash: string; secretKeyPem: string }[];
};
const [ed, secp] = vectors.keys;

/** Onboarding: set the password and import a secret key PEM (pasted). */
async function importKey(popup: Page, pem: string, password: string): Promise<void> {
  await expect(popup.getByRole('heading', { name: 'Set up x402-casper' })).toBeVisible();
  await popup.getByLabel('New password').fill(password);
  await popup.getByLabel('Repeat password').fill(password);
  await popup.getByRole('tab', { name: 'Import PEM' }).click();
  await popup.getByLabel('…or paste the PEM').fill(pem);
  await popup.getByRole('button', { name: 'Import key' }).click();
  await expect(popup.getByRole('heading', { name: 'Your wallet is ready' })).toBeVisible();
}

test('imports a pasted PEM, shows the account, locks, unlocks and exports the key with the password', async ({
  wallet,
}) => {
  const PASSWORD = wallet.password;
  const testInfo = test.info();
  const popup = await wallet.popup();
  await importKey(popup, ed!.secretKeyPem, PASSWORD);
  await expect(popup.getByTitle(ed!.publicKey)).toBeVisible();
  await expect(popup.getByTitle(ed!.accountHash)).toBeVisible();
  await popup.getByRole('button', { name: 'Open wallet' }).click();
  await expect(popup.getByText('Account 1')).toBeVisible();
  await popup.screenshot({ path: testInfo.outputPath('popup-after-onboarding.png') });

  await popup.getByRole('button', { name: 'Lock' }).click();
  await expect(popup.getByRole('heading', { name: 'Welcome back' })).toBeVisible();
  await popup.getByLabel('Password').fill('not my password');
  await popup.getByRole('button', { name: 'Unlock' }).click();
  await expect(popup.getByRole('alert')).toHaveText('Wrong password.');
  await popup.getByLabel('Password').fill(PASSWORD);
  await popup.getByRole('button', { name: 'Unlock' }).click();
  await expect(popup.getByText('Account 1')).toBeVisible();

  await openTab(popup, 'Settings');
  const exportField = popup.getByLabel(/Enter your password to show the secret key/);
  await exportField.fill('wrong');
  await popup.getByRole('button', { name: 'Export secret key (PEM)' }).click();
  await expect(popup.getByText('Wrong password.')).toBeVisible();
  await exportField.fill(PASSWORD);
  await popup.getByRole('button', { name: 'Export secret key (PEM)' }).click();
  await expect(popup.getByLabel('Secret key PEM')).toHaveValue(/BEGIN PRIVATE KEY/);
});

test('imports a secp256k1 key from a PEM file and refuses a bad one', async ({ wallet }) => {
  const PASSWORD = wallet.password;
  const testInfo = test.info();
  const popup = await wallet.popup();
  await popup.getByLabel('New password').fill(PASSWORD);
  await popup.getByLabel('Repeat password').fill(PASSWORD);
  await popup.getByRole('tab', { name: 'Import PEM' }).click();
  const bad = testInfo.outputPath('bad.pem');
  writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  await popup.getByLabel('Secret key file (.pem)').setInputFiles(bad);
  await popup.getByRole('button', { name: 'Import key' }).click();
  await expect(popup.getByRole('alert')).toBeVisible();
  await expect(popup.getByRole('heading', { name: 'Set up x402-casper' })).toBeVisible();

  const good = testInfo.outputPath('secp256k1.pem');
  writeFileSync(good, secp!.secretKeyPem);
  await popup.getByLabel('Secret key file (.pem)').setInputFiles(good);
  await popup.getByRole('button', { name: 'Import key' }).click();
  await expect(popup.getByRole('heading', { name: 'Your wallet is ready' })).toBeVisible();
  await expect(popup.getByTitle(secp!.publicKey)).toBeVisible();
  await expect(popup.getByText('secp256k1')).toBeVisible();
});
