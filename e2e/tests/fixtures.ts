// Our suite's own fixtures, on top of the package's: the sites it tests the wallet against.
import { test as base } from '@x402-casper/e2e';
import { type DemoSite, startDemoSite } from './support/demo-site.js';
import { type GoPeers, startGoPeers } from './support/go-peers.js';
import { type PaidSite, startPaidSite } from './support/paid-site.js';

export const test = base.extend<{ demo: DemoSite; paidSite: PaidSite }, { goPeers: GoPeers }>({
  demo: async ({ devnet, facilitator }, use) => {
    const demo = await startDemoSite(devnet, facilitator);
    await use(demo);
    await demo.stop();
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads the fixtures a fixture uses.
  paidSite: async ({}, use) => {
    const site = await startPaidSite();
    await use(site);
    await site.stop();
  },
  goPeers: [
    async ({ devnet }, use) => {
      const peers = await startGoPeers(devnet);
      await use(peers);
      await peers.close();
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@x402-casper/e2e';
