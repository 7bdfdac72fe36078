import { X402InputError } from '@x402-casper/shared';
import { WalletError } from './errors.js';
import type { Payments } from './payments.js';
import { PAY_PORT, type PortReply, parsePortRequest } from './protocol.js';
import type { Requester } from './site-policy.js';

/** The parts of a runtime.Port this module uses (a real Port, or a fake in tests). */
export interface PortLike {
  name: string;
  sender?: {
    id?: string;
    tab?: { id?: number; url?: string };
    frameId?: number;
    origin?: string;
    url?: string;
  };
  postMessage(message: PortReply): void;
  disconnect(): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
}

/**
 * Who is asking, from what the browser says about the sender: its tab, its frame and the
 * frame's origin. Nothing the page wrote is used. Only http(s) frames in a tab qualify.
 * A sandboxed document has an opaque origin (`'null'`): it is nobody's site, so it is
 * refused rather than taken for the site its URL names. The URL stands in for the origin
 * only when the browser reports no origin at all.
 */
export function requesterOf(sender: PortLike['sender']): Requester | null {
  const tabId = sender?.tab?.id;
  const frameId = sender?.frameId;
  if (typeof tabId !== 'number' || tabId < 0 || typeof frameId !== 'number') return null;
  let origin = sender?.origin;
  if (origin === undefined) {
    try {
      origin = sender?.url ? new URL(sender.url).origin : undefined;
    } catch {
      origin = undefined;
    }
  }
  if (!origin || !/^https?:\/\/[^/]+$/.test(origin)) return null;
  return {
    origin,
    tabId,
    frameId,
    ...(sender?.tab?.url ? { tabUrl: sender.tab.url } : {}),
    ...(sender?.url ? { url: sender.url } : {}),
  };
}

/**
 * Serves one payment on one port: a `pay` request, the answer, then the page's `result`.
 * The answer goes back on the same port, so it reaches only the tab and frame that asked.
 */
/** `ready`: settles once the wallet's storage can be read (see migrations.ts). */
export function servePayPort(
  port: PortLike,
  payments: Payments,
  ready: Promise<void> = Promise.resolve(),
): void {
  if (port.name !== PAY_PORT) return;
  const requester = requesterOf(port.sender);
  if (!requester) {
    port.postMessage({
      type: 'declined',
      reason: 'unavailable',
      message: 'Payments are only possible from web pages (http or https).',
    });
    port.disconnect();
    return;
  }
  const gone = new AbortController();
  let stage: 'pay' | 'busy' | 'result' | 'done' = 'pay';
  let paymentId = '';
  const send = (message: PortReply) => {
    if (!gone.signal.aborted) port.postMessage(message);
  };
  const finish = () => {
    stage = 'done';
    if (!gone.signal.aborted) port.disconnect();
  };
  port.onDisconnect.addListener(() => {
    gone.abort();
    if (stage === 'result') void payments.abandoned(paymentId);
  });
  port.onMessage.addListener((message) => {
    let request: ReturnType<typeof parsePortRequest>;
    try {
      request = parsePortRequest(message);
    } catch (error) {
      const text = error instanceof X402InputError ? error.message : 'bad message';
      send({ type: 'declined', reason: 'not_payable', message: text });
      finish();
      return;
    }
    if (request.type === 'pay' && stage === 'pay') {
      stage = 'busy';
      ready
        .then(() => payments.request(requester, request, gone.signal))
        .then(
          (answer) => {
            if (answer.type === 'declined') {
              send(answer);
              finish();
              return;
            }
            if (answer.type === 'loading') {
              // The page is replaced by the paid load; the wallet records the site's answer.
              send({ type: 'loading' });
              finish();
              return;
            }
            paymentId = answer.paymentId;
            stage = 'result';
            if (answer.notice) send({ type: 'notice', tone: 'info', text: answer.notice });
            send({ type: 'signed', paymentSignature: answer.paymentSignature });
          },
          (error: unknown) => {
            const message = error instanceof WalletError ? error.message : 'The wallet failed.';
            send({ type: 'declined', reason: 'unavailable', message });
            finish();
          },
        );
      return;
    }
    if (request.type === 'result' && stage === 'result') {
      stage = 'busy';
      payments.report(paymentId, request).then(
        (outcome) => {
          if (outcome.status === 'failed')
            send({ type: 'notice', tone: 'error', text: outcome.message });
          finish();
        },
        () => finish(),
      );
      return;
    }
    finish();
  });
}
