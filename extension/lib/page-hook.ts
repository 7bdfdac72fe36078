// Runs in the page's own JavaScript world (MAIN): no extension APIs here, and nothing secret.
// It notices 402 answers to fetch, XMLHttpRequest and the page load itself, and asks the
// wallet through the bridge (window.postMessage). For fetch and XMLHttpRequest it retries
// with the PAYMENT-SIGNATURE it gets; a paid page load is done by the wallet itself.
import { PAGE_CHANNEL, type PageMessage, type PortRequest, type RequestKind } from './protocol.js';

const REQUIRED = 'PAYMENT-REQUIRED';
const SIGNATURE = 'PAYMENT-SIGNATURE';
const RESPONSE = 'PAYMENT-RESPONSE';
/** How long to wait for the bridge to confirm it took the request (it answers at once). */
const ACK_TIMEOUT_MS = 3_000;

type Answer = { id: string; signature: string | null };

export function installPageHook(win: Window & typeof globalThis): void {
  const nativeFetch = win.fetch.bind(win);
  const post = (message: PageMessage) => {
    const origin = win.location.origin;
    win.postMessage(message, origin && origin !== 'null' ? origin : '*');
  };

  /**
   * A random request id. crypto.randomUUID exists only in secure contexts; a plain-http page
   * on the network has getRandomValues alone, so the id is made from that, everywhere.
   */
  function randomId(): string {
    const bytes = win.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Asks the wallet to pay; resolves with a signature, or null when it will not pay. */
  function ask(
    kind: RequestKind,
    url: string,
    method: string,
    paymentRequired: string,
  ): Promise<Answer> {
    try {
      return askWallet(kind, url, method, paymentRequired);
    } catch {
      // Whatever goes wrong here, the page gets its 402 rather than an exception.
      return Promise.resolve({ id: '', signature: null });
    }
  }

  function askWallet(kind: RequestKind, url: string, method: string, paymentRequired: string) {
    const id = randomId();
    return new Promise<Answer>((resolve) => {
      let acked = false;
      const done = (signature: string | null) => {
        win.removeEventListener('message', onMessage);
        clearTimeout(timer);
        resolve({ id, signature });
      };
      const onMessage = (event: MessageEvent) => {
        if (event.source !== win) return;
        const data = event.data as Partial<PageMessage & { type: string }> | null;
        if (!data || data.channel !== PAGE_CHANNEL || data.to !== 'page' || data.id !== id) return;
        if (data.type === 'ack') acked = true;
        else if (data.type === 'signed' && 'paymentSignature' in data) {
          done(String(data.paymentSignature));
        } else if (data.type === 'declined' || data.type === 'loading') done(null);
      };
      const timer = setTimeout(() => {
        if (!acked) done(null);
      }, ACK_TIMEOUT_MS);
      win.addEventListener('message', onMessage);
      post({
        channel: PAGE_CHANNEL,
        to: 'wallet',
        id,
        type: 'pay',
        kind,
        url,
        method,
        paymentRequired,
      });
    });
  }

  function report(
    id: string,
    status: number,
    headers: { get(name: string): string | null } | null,
  ) {
    const result: PortRequest = {
      type: 'result',
      status,
      ...(headers?.get(RESPONSE) ? { paymentResponse: headers.get(RESPONSE)! } : {}),
      ...(headers?.get(REQUIRED) ? { paymentRequired: headers.get(REQUIRED)! } : {}),
    };
    post({ channel: PAGE_CHANNEL, to: 'wallet', id, ...result });
  }

  // fetch -------------------------------------------------------------------------------
  win.fetch = async function paidFetch(input: RequestInfo | URL, init?: RequestInit) {
    const request = new Request(input, init);
    const spare = request.clone();
    const response = await nativeFetch(request);
    const required = response.status === 402 ? response.headers.get(REQUIRED) : null;
    if (!required) return response;
    // The host that asked is the one that answered: the URL after any redirect.
    const answer = await ask('fetch', response.url || request.url, request.method, required);
    if (!answer.signature) return response;
    const headers = new Headers(spare.headers);
    headers.set(SIGNATURE, answer.signature);
    let paid: Response;
    try {
      paid = await nativeFetch(new Request(spare, { headers }));
    } catch (error) {
      report(answer.id, 0, null);
      throw error;
    }
    report(answer.id, paid.status, paid.headers);
    return paid;
  };

  // XMLHttpRequest ----------------------------------------------------------------------
  const NativeXHR = win.XMLHttpRequest;
  const EVENTS = [
    'readystatechange',
    'loadstart',
    'progress',
    'abort',
    'error',
    'load',
    'timeout',
    'loadend',
  ];
  const nativeOpen = NativeXHR.prototype.open;
  const nativeSend = NativeXHR.prototype.send;
  const nativeSetHeader = NativeXHR.prototype.setRequestHeader;

  class PayingXMLHttpRequest extends NativeXHR {
    private request = {
      method: 'GET',
      url: '',
      async: true,
      user: null as string | null | undefined,
      password: null as string | null | undefined,
      headers: [] as [string, string][],
      body: null as Document | XMLHttpRequestBodyInit | null | undefined,
    };
    /** normal: events pass; holding: the 402 round is hidden; replaying: the paid round. */
    private phase: 'normal' | 'holding' | 'reopening' | 'replaying' = 'normal';
    private required = '';
    private answerId: string | null = null;
    /** Bumped by every open() and abort() of the page: a payment for an older request is dropped. */
    private generation = 0;

    constructor() {
      super();
      // Registered before any listener of the page, so these run first and can hide events.
      for (const type of EVENTS) super.addEventListener(type, (event) => this.filter(event));
    }

    override open(
      method: string,
      url: string | URL,
      async = true,
      user?: string | null,
      password?: string | null,
    ): void {
      this.phase = 'normal';
      this.generation++;
      this.request = {
        method,
        // Relative URLs resolve against the document's base URL (<base href>), as open() does.
        url: new URL(String(url), win.document.baseURI).href,
        async: async !== false,
        user,
        password,
        headers: [],
        body: null,
      };
      nativeOpen.call(this, method, url, async !== false, user, password);
    }

    override setRequestHeader(name: string, value: string): void {
      this.request.headers.push([name, value]);
      nativeSetHeader.call(this, name, value);
    }

    override send(body?: Document | XMLHttpRequestBodyInit | null): void {
      this.request.body = body;
      nativeSend.call(this, body);
    }

    override abort(): void {
      if (this.phase === 'replaying' && this.answerId) report(this.answerId, 0, null);
      this.answerId = null;
      this.generation++;
      this.phase = 'normal';
      super.abort();
    }

    private filter(event: Event) {
      if (this.phase === 'holding' || this.phase === 'reopening') {
        event.stopImmediatePropagation();
        if (this.phase === 'holding' && event.type === 'loadend') void this.pay();
        return;
      }
      if (this.phase === 'replaying') {
        if (event.type === 'loadstart') event.stopImmediatePropagation();
        if (event.type === 'loadend') {
          this.phase = 'normal';
          if (this.answerId)
            report(this.answerId, this.status, { get: (n) => this.getResponseHeader(n) });
          this.answerId = null;
        }
        return;
      }
      if (
        event.type === 'readystatechange' &&
        this.readyState === NativeXHR.HEADERS_RECEIVED &&
        this.status === 402 &&
        this.request.async
      ) {
        const required = this.getResponseHeader(REQUIRED);
        if (required) {
          this.required = required;
          this.phase = 'holding';
          event.stopImmediatePropagation();
        }
      }
    }

    /** After the hidden 402: pay, then send the request again (signed, or as it was). */
    private async pay() {
      const { method, url, user, password, headers, body } = this.request;
      const generation = this.generation;
      let answer: Answer;
      try {
        answer = await ask('xhr', this.responseURL || url, method.toUpperCase(), this.required);
      } catch {
        // Never leave the page's request hanging: it is sent again as it was.
        answer = { id: '', signature: null };
      }
      // The page aborted or reused this object meanwhile: its new request is its own.
      if (generation !== this.generation) return;
      this.answerId = answer.signature ? answer.id : null;
      this.phase = 'reopening';
      nativeOpen.call(this, method, url, true, user, password);
      for (const [name, value] of headers) nativeSetHeader.call(this, name, value);
      if (answer.signature) nativeSetHeader.call(this, SIGNATURE, answer.signature);
      this.phase = 'replaying';
      nativeSend.call(this, body);
    }
  }
  win.XMLHttpRequest = PayingXMLHttpRequest;

  // A page load answered with 402 (a paywall page) ---------------------------------------
  if (win.top === win) {
    const entry = win.performance.getEntriesByType('navigation')[0] as
      | (PerformanceNavigationTiming & { responseStatus?: number })
      | undefined;
    if (entry?.responseStatus === 402) void payForPage();
  }

  /**
   * A script cannot read the headers of its own page load, so it asks again for the same URL
   * to learn what the site wants. If the person pays, the wallet has the browser load the
   * page with the payment: the paid response then arrives with its own headers
   * (Content-Security-Policy, framing, downloads), which a script writing it could not keep.
   */
  async function payForPage() {
    const url = win.location.href;
    const probe = await nativeFetch(url, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      credentials: 'include',
    });
    const required = probe.status === 402 ? probe.headers.get(REQUIRED) : null;
    if (required) await ask('navigation', url, 'GET', required);
  }
}
