import { defineConfig } from '@playwright/test';

// Real Chromium (Debian's /usr/bin/chromium) with the built extension; see support/browser.ts.
// Suites run one after another: each starts its own browser and, where needed, its own
// devnet, facilitator and demo site as real processes.
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './support/build-extension.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  outputDir: './test-results',
  reporter: [['list']],
});
