// What the wallet believes about who is asking: the browser's word on the requester (never the
// page's), which host asked, whether that host is reached safely, and whether a page load may
// ask (how long a site that keeps being told no waits is quiet-sites.ts).
import type { DeclineReason, RequestKind } from './protocol.js';

/** Who asks, as the browser (not the page) reported it. */
export interface Requester {
  origin: string;
  tabId: number;
  frameId: number;
  /** URL of the tab's top page, when the browser tells it. */
  tabUrl?: string;
  /** URL of the asking document, as the browser reported it. */
  url?: string;
}

export interface PayRequest {
  kind: RequestKind;
  url: string;
  method: string;
  paymentRequired: string;
  /** The origin of the page that led to the asking document ('' for none). */
  referrer?: string;
  /** A page of another origin opened the asking window. */
  openedByOther?: boolean;
  /** The person has interacted with the asking document. */
  activated?: boolean;
}

export function originOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

export function hostOf(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

/**
 * Whether the request comes from the page the person is on: the top frame, or a frame of
 * the same origin as the top page. A budget is for a site the person visits, not for every
 * page that embeds it.
 */
export function isTopSite(requester: Requester): boolean {
  return requester.frameId === 0 || originOf(requester.tabUrl) === requester.origin;
}

/**
 * Whether what the site asks for reaches the wallet unaltered: https, or plain http only on
 * this computer (localhost, loopback addresses). Anything else could be changed on the way.
 */
export function isSecureOrigin(origin: string): boolean {
  const url = new URL(origin);
  if (url.protocol === 'https:') return true;
  const host = url.hostname;
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]'
  );
}

/**
 * The host that asked for the payment: the origin of the response that answered 402 (the
 * URL the request went to, after redirects), not the page that made the request.
 */
export function askerOf(requester: Requester, request: PayRequest): string {
  return originOf(request.url) ?? requester.origin;
}

/** How long after a paid page load failed its 402 page is not asked about again. */
const FAILED_LOAD_QUIET_MS = 10_000;

export interface Refusal {
  reason: DeclineReason;
  message: string;
}

/** Which page loads may ask, and a refused paid load's 402 page, for this worker's life. */
export class SitePolicy {
  /** Per tab: a paid page load the site refused, whose 402 page must not ask again at once. */
  private readonly failedLoads = new Map<number, { url: string; until: number }>();

  constructor(private readonly now: () => number) {}

  /**
   * A page load is paid by loading the page again with the payment, so only the top page
   * itself may ask, for its own URL (both without their fragments: `url` and `requestUrl`); and
   * a 402 page that a paid load just produced does not ask again (the person would see the
   * window again at once).
   */
  refuseNavigation(requester: Requester, url: string, requesterUrl: string | undefined) {
    if (requester.frameId !== 0 || requesterUrl !== url) {
      return {
        reason: 'not_payable',
        message: 'Only the top page itself can ask to pay for loading it.',
      } satisfies Refusal;
    }
    const failed = this.failedLoads.get(requester.tabId);
    this.failedLoads.delete(requester.tabId);
    if (failed && failed.url === url && this.now() < failed.until) {
      return {
        reason: 'rejected',
        message: 'The site refused the paid page load; reload the page to try again.',
      } satisfies Refusal;
    }
    return undefined;
  }

  /** The site refused the paid page load of `url` in this tab. */
  loadFailed(tabId: number, url: string): void {
    this.failedLoads.set(tabId, { url, until: this.now() + FAILED_LOAD_QUIET_MS });
  }
}
