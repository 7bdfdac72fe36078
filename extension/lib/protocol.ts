import { MAX_HEADER_LENGTH, X402InputError } from '@x402-casper/shared';

/** Name of the port a content script opens for one payment request. */
export const PAY_PORT = 'x402-pay';
/** Tag on window.postMessage traffic between the page hook and the bridge. */
export const PAGE_CHANNEL = 'x402-casper/v1';

export type RequestKind = 'fetch' | 'xhr' | 'navigation';

/** Content script → background, on the pay port. */
export type PortRequest =
  | {
      type: 'pay';
      kind: RequestKind;
      url: string;
      method: string;
      paymentRequired: string;
      /**
       * The origin of the page that led to the tab's top document (`document.referrer`, read
       * by the bridge, not the page), or '' when none. Budgets pay only what the site started.
       * For a frame the top's, read when same-origin; otherwise unknown (see provenanceOf).
       */
      referrer?: string;
      /** Whether a page of another origin opened the tab's top window (`window.opener`). */
      openedByOther?: boolean;
      /**
       * Whether the person has interacted with the tab's top document (a click, a key:
       * `navigator.userActivation.hasBeenActive`, read by the bridge).
       */
      activated?: boolean;
    }
  | { type: 'result'; status: number; paymentResponse?: string; paymentRequired?: string };

/** Background → content script, on the pay port. */
export type PortReply =
  | { type: 'signed'; paymentSignature: string }
  /** A page load: the wallet loads the paid page in the tab itself. */
  | { type: 'loading' }
  | { type: 'declined'; reason: DeclineReason; message: string }
  | { type: 'notice'; tone: 'info' | 'error'; text: string };

export type DeclineReason = 'not_payable' | 'rejected' | 'unavailable';

/** Page hook ↔ bridge, on window.postMessage. */
export type PageMessage =
  | ({ channel: typeof PAGE_CHANNEL; to: 'wallet'; id: string } & PortRequest)
  | ({ channel: typeof PAGE_CHANNEL; to: 'page'; id: string } & (
      | { type: 'ack' }
      | { type: 'signed'; paymentSignature: string }
      | { type: 'loading' }
      | { type: 'declined'; reason: DeclineReason }
    ));

const KINDS: readonly RequestKind[] = ['fetch', 'xhr', 'navigation'];
const MAX_URL_LENGTH = 8192;

function optionalHeader(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_HEADER_LENGTH) {
    throw new X402InputError(
      field,
      `must be a header value of at most ${MAX_HEADER_LENGTH} characters`,
    );
  }
  return value;
}

/** Checks a message from a content script; pages control what reaches it, so trust nothing. */
export function parsePortRequest(value: unknown): PortRequest {
  const input = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (input.type === 'pay') {
    if (!KINDS.includes(input.kind as RequestKind)) {
      throw new X402InputError('kind', 'must be fetch, xhr or navigation');
    }
    if (typeof input.url !== 'string' || input.url.length > MAX_URL_LENGTH) {
      throw new X402InputError('url', 'must be a URL');
    }
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new X402InputError('url', 'must be a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new X402InputError('url', 'must be http or https');
    }
    if (typeof input.method !== 'string' || !/^[A-Za-z]{1,16}$/.test(input.method)) {
      throw new X402InputError('method', 'must be an HTTP method');
    }
    const paymentRequired = optionalHeader(input.paymentRequired, 'paymentRequired');
    if (!paymentRequired) throw new X402InputError('paymentRequired', 'header is missing');
    let referrer: string | undefined;
    if (typeof input.referrer === 'string') {
      try {
        referrer = input.referrer ? new URL(input.referrer).origin : '';
      } catch {
        referrer = '';
      }
    }
    return {
      type: 'pay',
      kind: input.kind as RequestKind,
      url: url.href,
      method: input.method.toUpperCase(),
      paymentRequired,
      ...(referrer !== undefined ? { referrer } : {}),
      ...(input.openedByOther === true ? { openedByOther: true } : {}),
      ...(input.activated === true ? { activated: true } : {}),
    };
  }
  if (input.type === 'result') {
    const status = input.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 0 || status > 999) {
      throw new X402InputError('status', 'must be an HTTP status');
    }
    const paymentResponse = optionalHeader(input.paymentResponse, 'paymentResponse');
    const paymentRequired = optionalHeader(input.paymentRequired, 'paymentRequired');
    return {
      type: 'result',
      status,
      ...(paymentResponse ? { paymentResponse } : {}),
      ...(paymentRequired ? { paymentRequired } : {}),
    };
  }
  throw new X402InputError('type', 'must be pay or result');
}
