import { describe, expect, it } from 'vitest';
import { installPageHook } from '../lib/page-hook.js';
import { PAGE_CHANNEL, type PageMessage } from '../lib/protocol.js';

/**
 * An XMLHttpRequest stand-in: answers 402 with PAYMENT-REQUIRED unless the request carries
 * PAYMENT-SIGNATURE, then 200. It records the URL of every open().
 */
class FakeXHR extends EventTarget {
  static readonly HEADERS_RECEIVED = 2;
  static opened: string[] = [];
  readyState = 0;
  status = 0;
  private signed = false;

  open(_method: string, url: string | URL) {
    FakeXHR.opened.push(String(url));
    this.readyState = 1;
    this.signed = false;
  }
  setRequestHeader(name: string) {
    if (name === 'PAYMENT-SIGNATURE') this.signed = true;
  }
  send() {
    setTimeout(() => {
      this.status = this.signed ? 200 : 402;
      this.readyState = 2;
      this.dispatchEvent(new Event('readystatechange'));
      this.readyState = 4;
      for (const type of ['readystatechange', 'load', 'loadend'])
        this.dispatchEvent(new Event(type));
    });
  }
  getResponseHeader(name: string) {
    return name === 'PAYMENT-REQUIRED' && this.status === 402 ? 'cmVxdWlyZWQ=' : null;
  }
  abort() {}
}

/** A window on https://news.example/articles/today.html whose base URL is /api/v2/. */
function fakeWindow() {
  const win = new EventTarget() as EventTarget & Record<string, unknown>;
  const posted: PageMessage[] = [];
  const answer = (data: unknown) => {
    const event = new Event('message');
    Object.assign(event, { data, source: win });
    win.dispatchEvent(event);
  };
  Object.assign(win, {
    location: {
      origin: 'https://news.example',
      href: 'https://news.example/articles/today.html',
    },
    document: { baseURI: 'https://news.example/api/v2/' },
    crypto: globalThis.crypto,
    top: null,
    performance: { getEntriesByType: () => [] },
    fetch: async () => new Response(''),
    XMLHttpRequest: FakeXHR,
    // The wallet (bridge) approves every payment at once.
    postMessage: (message: PageMessage) => {
      posted.push(message);
      if (message.to === 'wallet' && message.type === 'pay') {
        const reply = { channel: PAGE_CHANNEL, to: 'page', id: message.id };
        setTimeout(() => {
          answer({ ...reply, type: 'ack' });
          answer({ ...reply, type: 'signed', paymentSignature: 'c2lnbmF0dXJl' });
        });
      }
    },
  });
  return { win: win as unknown as Window & typeof globalThis, posted };
}

describe('the page hook', () => {
  it('pays an XMLHttpRequest and sends it again to the URL the page asked for, under <base href>', async () => {
    const { win, posted } = fakeWindow();
    installPageHook(win);
    FakeXHR.opened = [];
    const xhr = new win.XMLHttpRequest();
    const statuses: number[] = [];
    const done = new Promise<void>((resolve) =>
      xhr.addEventListener('load', () => {
        statuses.push(xhr.status);
        resolve();
      }),
    );
    xhr.open('GET', 'weather?city=Oslo');
    xhr.send();
    await done;

    const target = 'https://news.example/api/v2/weather?city=Oslo';
    expect(posted.find((m) => m.type === 'pay')).toMatchObject({ kind: 'xhr', url: target });
    expect(FakeXHR.opened).toEqual(['weather?city=Oslo', target]);
    // The page sees only the paid answer; the wallet hears how it went.
    expect(statuses).toEqual([200]);
    expect(posted.find((m) => m.type === 'result')).toMatchObject({ status: 200 });
  });
});
