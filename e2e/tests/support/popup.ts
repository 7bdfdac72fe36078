import type { Page } from '@playwright/test';

/** The wallet popup's tabs. */
export async function openTab(popup: Page, name: 'Assets' | 'Activity' | 'Budgets' | 'Settings') {
  await popup.getByRole('tab', { name }).click();
}

/** The newest entry of the payment history, as the popup shows it. */
export async function latestPayment(popup: Page) {
  await popup.bringToFront();
  await openTab(popup, 'Activity');
  return popup.getByTestId('history').locator('li').first();
}
