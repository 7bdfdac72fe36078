import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { type DevnetOptions, startTestDevnet, type TestDevnet } from './devnet.js';
import {
  type FacilitatorOptions,
  startTestFacilitator,
  type TestFacilitator,
} from './facilitator.js';
import { scratchDir, WalletLauncher, type WalletOptions } from './launcher.js';
import type { Wallet } from './wallet.js';

export interface WalletTestFixtures {
  /** How this test's wallet is set up (an option: `test.use({ walletOptions })`). */
  walletOptions: WalletOptions;
  /** Chromium with the wallet, onboarded with a funded account of its own, on the devnet. */
  wallet: Wallet;
  /** Watches every test: screenshots of approval windows still open when it fails. */
  approvalScreenshots: undefined;
}

export interface WalletWorkerFixtures {
  /** How the worker's devnet starts (a worker option). */
  devnetOptions: DevnetOptions;
  /** Facilitator settings on top of the fixture's (a worker option). */
  facilitatorOptions: FacilitatorOptions;
  /** A local Casper network for this worker, on a free port. */
  devnet: TestDevnet;
  /** An x402 facilitator for this worker, settling on `devnet`. */
  facilitator: TestFacilitator;
  /** Launches more wallets (e.g. one a serial suite shares, from `beforeAll`). */
  wallets: WalletLauncher;
  /** A folder of the worker's own (in memory where the system has room), removed when it ends. */
  workerDir: string;
}

export const test = base.extend<WalletTestFixtures, WalletWorkerFixtures>({
  devnetOptions: [{}, { scope: 'worker', option: true }],
  facilitatorOptions: [{}, { scope: 'worker', option: true }],
  workerDir: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads the fixtures a fixture uses.
    async ({}, use) => {
      const dir = await mkdtemp(join(scratchDir(), 'x402-casper-e2e-'));
      await use(dir);
      await rm(dir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
  devnet: [
    async ({ devnetOptions }, use) => {
      const devnet = await startTestDevnet(devnetOptions);
      await use(devnet);
      await devnet.close();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  facilitator: [
    async ({ devnet, facilitatorOptions, workerDir }, use) => {
      const facilitator = await startTestFacilitator(devnet, workerDir, facilitatorOptions);
      await use(facilitator);
      await facilitator.stop();
    },
    { scope: 'worker' },
  ],
  wallets: [
    async ({ devnet, workerDir, headless }, use) => {
      const launcher = new WalletLauncher(devnet, workerDir, headless);
      await use(launcher);
      await launcher.closeAll();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  walletOptions: [{}, { option: true }],
  approvalScreenshots: [
    async ({ wallets }, use, testInfo) => {
      await use(undefined);
      if (testInfo.status !== testInfo.expectedStatus) await wallets.attachApprovals(testInfo);
    },
    { auto: true },
  ],
  wallet: async ({ wallets, walletOptions }, use, testInfo) => {
    const wallet = await wallets.launch(walletOptions);
    await use(wallet);
    if (testInfo.status !== testInfo.expectedStatus)
      await wallets.attachApprovals(testInfo, [wallet]);
    await wallet.close();
  },
  context: async ({ wallet }, use) => {
    await use(wallet.context);
  },
  page: async ({ wallet }, use) => {
    await use(wallet.context.pages()[0] ?? (await wallet.context.newPage()));
  },
});

export { expect } from '@playwright/test';
