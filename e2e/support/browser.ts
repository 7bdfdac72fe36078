import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from '@playwright/test';
import { CHROMIUM, EXTENSION_DIR } from './paths.js';

export interface WalletBrowser {
  context: BrowserContext;
  extensionId: string;
  /** Opens the wallet popup as a tab. */
  popup(): Promise<Page>;
  /** Resolves with the next approval window the extension opens. */
  nextApproval(): Promise<Page>;
  /**
   * Stops the extension's service worker, as the browser does when it is idle (CDP
   * ServiceWorker.stopAllWorkers); the next event or extension page starts it again.
   * Resolves once the worker is gone.
   */
  stopServiceWorker(): Promise<void>;
  close(): Promise<void>;
}

/** Chromium with the built extension loaded, per FACTS §5 (headless, no sandbox, no network noise). */
export async function launchWallet(options: { args?: string[] } = {}): Promise<WalletBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'x402-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [
      `--disable-extensions-except=${EXTENSION_DIR}`,
      `--load-extension=${EXTENSION_DIR}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.args ?? []),
    ],
    viewport: { width: 1100, height: 800 },
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    extensionId,
    async popup() {
      const page = await context.newPage();
      await page.setViewportSize({ width: 380, height: 640 });
      await page.goto(`chrome-extension://${extensionId}/popup.html`);
      return page;
    },
    nextApproval: () =>
      context.waitForEvent('page', {
        predicate: (page) => page.url().includes('/approval.html'),
        timeout: 20_000,
      }),
    async stopServiceWorker() {
      // From a page of the extension's own origin, where its worker is registered.
      const own = `chrome-extension://${extensionId}/`;
      let page = context.pages().find((p) => p.url().startsWith(own));
      if (!page) {
        page = await context.newPage();
        await page.goto(`${own}popup.html`);
      }
      const cdp = await context.newCDPSession(page);
      const stopped = new Promise<void>((resolve) => {
        cdp.on('ServiceWorker.workerVersionUpdated', (event) => {
          const ours = event.versions.filter((v) => v.scriptURL.startsWith(own));
          if (ours.length > 0 && ours.every((v) => v.runningStatus === 'stopped')) resolve();
        });
      });
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await stopped;
      await cdp.detach();
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
