import { browser } from 'wxt/browser';
import type { ApprovalWindows } from './approval-queue.js';

/** Approval windows as small browser popups, one per request. */
export const approvalWindows: ApprovalWindows = {
  async open(approvalId) {
    const created = await browser.windows.create({
      url: browser.runtime.getURL(`/approval.html?request=${encodeURIComponent(approvalId)}`),
      type: 'popup',
      width: 420,
      height: 720,
      focused: true,
    });
    return created?.id;
  },
  async close(windowId) {
    await browser.windows.remove(windowId).catch(() => undefined);
  },
};
