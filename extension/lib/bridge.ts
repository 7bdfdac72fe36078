// Runs in the content script's ISOLATED world: the only page-side code that can talk to the
// background. It forwards the page hook's requests, one port per payment, and hands answers
// back to the same frame. Who is asking is decided by the background from the port's sender.
import { browser } from 'wxt/browser';
import { showNotice } from './notice.js';
import { PAGE_CHANNEL, PAY_PORT, type PageMessage, type PortReply } from './protocol.js';

type ToWallet = Extract<PageMessage, { to: 'wallet' }>;

/** Whether a page of another origin opened this window (its location cannot even be read). */
function openedByOther(win: Window): boolean {
  if (!win.opener) return false;
  try {
    return (win.opener as Window).location.origin !== win.location.origin;
  } catch {
    return true;
  }
}

/** Who led to the page and whether the person used it, as the browser says. */
export interface Provenance {
  referrer: string;
  openedByOther: boolean;
  activated: boolean;
}

/**
 * The provenance of the page a frame is in: the top document's (who led to the tab, whether
 * another site opened it, whether the person used it), read directly when the frame is the
 * top or same-origin with it, so a same-origin frame of a page another site opened cannot
 * pass for the site's own. A top this world cannot read (another origin) is unknown, and
 * reported as a page another site opened, never used: nothing pays from a budget for it.
 */
export function provenanceOf(win: Window): Provenance {
  let top: Window;
  try {
    top = win.top ?? win;
    // Throws when the top is of another origin.
    void top.document.referrer;
  } catch {
    return { referrer: '', openedByOther: true, activated: false };
  }
  return {
    referrer: top.document.referrer,
    openedByOther: openedByOther(top),
    activated: top.navigator.userActivation?.hasBeenActive === true,
  };
}

export function startBridge(win: Window): void {
  const ports = new Map<string, ReturnType<typeof browser.runtime.connect>>();
  const reply = (message: Extract<PageMessage, { to: 'page' }>) => {
    const origin = win.location.origin;
    win.postMessage(message, origin && origin !== 'null' ? origin : '*');
  };

  win.addEventListener('message', (event: MessageEvent) => {
    // Only this frame's own page hook: other frames post with a different source.
    if (event.source !== win) return;
    const data = event.data as Partial<ToWallet> | null;
    if (!data || data.channel !== PAGE_CHANNEL || data.to !== 'wallet') return;
    if (typeof data.id !== 'string' || data.id.length > 64) return;
    const id = data.id;

    if (data.type === 'pay') {
      if (ports.has(id)) return;
      reply({ channel: PAGE_CHANNEL, to: 'page', id, type: 'ack' });
      let port: ReturnType<typeof browser.runtime.connect>;
      try {
        port = browser.runtime.connect({ name: PAY_PORT });
      } catch {
        reply({ channel: PAGE_CHANNEL, to: 'page', id, type: 'declined', reason: 'unavailable' });
        return;
      }
      ports.set(id, port);
      let answered = false;
      port.onMessage.addListener((message: PortReply) => {
        if (message.type === 'notice') {
          showNotice(win.document, message.text, message.tone);
        } else if (message.type === 'signed' && !answered) {
          answered = true;
          reply({
            channel: PAGE_CHANNEL,
            to: 'page',
            id,
            type: 'signed',
            paymentSignature: message.paymentSignature,
          });
        } else if (message.type === 'loading' && !answered) {
          answered = true;
          reply({ channel: PAGE_CHANNEL, to: 'page', id, type: 'loading' });
        } else if (message.type === 'declined' && !answered) {
          answered = true;
          reply({
            channel: PAGE_CHANNEL,
            to: 'page',
            id,
            type: 'declined',
            reason: message.reason,
          });
        }
      });
      port.onDisconnect.addListener(() => {
        ports.delete(id);
        if (!answered) {
          answered = true;
          reply({ channel: PAGE_CHANNEL, to: 'page', id, type: 'declined', reason: 'unavailable' });
        }
      });
      port.postMessage({
        type: 'pay',
        kind: data.kind,
        url: data.url,
        method: data.method,
        paymentRequired: data.paymentRequired,
        // Who led to the tab's page and whether the person used it, as the browser says (the
        // page's script cannot change what this world reads): budgets pay only for what the
        // site itself started.
        ...provenanceOf(win),
      });
      return;
    }
    if (data.type === 'result') {
      ports.get(id)?.postMessage({
        type: 'result',
        status: data.status,
        paymentResponse: data.paymentResponse,
        paymentRequired: data.paymentRequired,
      });
    }
  });
}
