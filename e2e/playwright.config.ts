import { defineConfig } from '@playwright/test';

// Our own suite, on the package's fixtures (src/): each worker has its own devnet, facilitator
// and template wallet profile; each test its own Chromium with the built extension.
export default defineConfig({
  testDir: './tests',
  testMatch: '*.spec.ts',
  globalSetup: './tests/global-setup.ts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  outputDir: './test-results',
  reporter: [['list']],
});
