import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { errorResponse, isExtensionPage } from '../lib/api.js';
import { AUTO_LOCK_ALARM } from '../lib/keyring.js';
import { clearPaidLoadRules, paidPageLoader } from '../lib/paid-load.js';
import { type PortLike, servePayPort } from '../lib/pay-port.js';
import { createWallet } from '../lib/wallet.js';
import { approvalWindows } from '../lib/windows.js';

export default defineBackground(() => {
  const wallet = createWallet({ windows: approvalWindows, pages: paidPageLoader });
  // A worker stopped in the middle of a paid page load may have left its one-shot rule.
  void clearPaidLoadRules();
  // What a stopped worker left: requests it was asking about (recorded as interrupted), and
  // authorizations whose outcome it never learned (asked of the chain).
  void wallet.ready.then(() => wallet.payments.recoverInterrupted()).catch(() => undefined);
  void wallet.ready.then(() => wallet.settlements.checkOpen()).catch(() => undefined);

  // Only the extension's own pages and this worker may read or write its storage: the
  // unlocked keys in storage.session, and the vault, budgets, accounts, settings and history
  // in storage.local. Content scripts (the bridge) never need it. (Budgets are authenticated
  // anyway, and accounts derived from their keys, in case a write gets through.)
  void browser.storage.session.setAccessLevel?.({ accessLevel: 'TRUSTED_CONTEXTS' });
  void browser.storage.local.setAccessLevel?.({ accessLevel: 'TRUSTED_CONTEXTS' });

  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === AUTO_LOCK_ALARM) void wallet.keyring.lockAt();
  });

  browser.windows.onRemoved.addListener((windowId) => wallet.payments.windowClosed(windowId));

  // 402 answers to pages' fetch and XMLHttpRequest, as the browser sees them (observe only;
  // only hosts the wallet has access to): what confirms a page's word on which host asked.
  browser.webRequest.onHeadersReceived.addListener(
    (details) => {
      const paymentRequired = details.responseHeaders?.find(
        (h) => h.name.toLowerCase() === 'payment-required',
      )?.value;
      if (details.statusCode === 402 && paymentRequired && details.tabId >= 0) {
        wallet.seen.saw({
          tabId: details.tabId,
          frameId: details.frameId,
          url: details.url,
          paymentRequired,
        });
      }
      return undefined;
    },
    { urls: ['http://*/*', 'https://*/*'], types: ['xmlhttprequest'] },
    ['responseHeaders'],
  );

  browser.runtime.onConnect.addListener((port) => {
    servePayPort(port as unknown as PortLike, wallet.payments, wallet.ready);
  });

  browser.runtime.onMessage.addListener((message, sender, sendResponse) => {
    const own = browser.runtime.getURL('/').replace(/\/$/, '');
    if (!isExtensionPage(sender, browser.runtime.id, own)) return false;
    void wallet.ready.then(() => wallet.api.handle(message), errorResponse).then(sendResponse);
    return true;
  });
});
