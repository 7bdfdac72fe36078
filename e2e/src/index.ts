// @x402-casper/e2e: Playwright fixtures for testing an x402 site on Casper with the wallet.
export { newAccount, type TestAccount } from './accounts.js';
export { chromiumPath, extensionDir } from './chromium.js';
export type {
  AccountRef,
  AddressRef,
  DevnetOptions,
  Funds,
  GenesisOptions,
  TestDevnet,
  TestToken,
} from './devnet.js';
export type { FacilitatorOptions, TestFacilitator } from './facilitator.js';
export { expect, test, type WalletTestFixtures, type WalletWorkerFixtures } from './fixtures.js';
export { WALLET_PASSWORD, type WalletLauncher, type WalletOptions } from './launcher.js';
export type {
  ApproveOptions,
  BudgetLimits,
  Wallet,
  WalletBudget,
  WalletPayment,
} from './wallet.js';
