// What the wallet believes about who is asking: the browser's word on the requester (never the
// page's), which host asked, whether that host is reached safely, and how long a site that
// keeps being told no, or whose paid page load just failed, has to wait before it asks again.
import type { DeclineReason, RequestKind } from './protocol.js';
import { registrableDomain } from './site.js';

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
/** After this many rejections in a row, a site gets no window for a while… */
const REJECTIONS_BEFORE_QUIET = 3;
/** …a minute, doubling with each further rejection, at most 15 minutes. */
const REJECTED_QUIET_MS = 60_000;
const MAX_REJECTED_QUIET_MS = 15 * 60_000;

export interface Refusal {
  reason: DeclineReason;
  message: string;
}

/** The wallet's memory of how sites behaved, for this worker's life. */
export class SitePolicy {
  /** Per tab: a paid page load the site refused, whose 402 page must not ask again at once. */
  private readonly failedLoads = new Map<number, { url: string; until: number }>();
  /**
   * Per tab and per registrable domain (of the host that asked and of the page): rejections
   * in a row, and until when their requests get no window. Sub-origins of one site in
   * frames, or many sites in one tab, share a count.
   */
  private readonly rejections = new Map<string, { count: number; until: number }>();

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

  /** Whether a site was told no too often to open another window now. */
  isQuiet(requester: Requester, asker: string): boolean {
    const now = this.now();
    return this.quietKeys(requester, asker).some(
      (key) => now < (this.rejections.get(key)?.until ?? 0),
    );
  }

  /** The person said no: the tab and both sites count one more rejection in a row. */
  rejected(requester: Requester, asker: string): void {
    for (const key of this.quietKeys(requester, asker)) {
      const count = (this.rejections.get(key)?.count ?? 0) + 1;
      const beyond = count - REJECTIONS_BEFORE_QUIET;
      const quiet =
        beyond >= 0 ? Math.min(REJECTED_QUIET_MS * 2 ** beyond, MAX_REJECTED_QUIET_MS) : 0;
      this.rejections.set(key, { count, until: this.now() + quiet });
    }
  }

  /** The person said yes: the count starts again. */
  approved(requester: Requester, asker: string): void {
    for (const key of this.quietKeys(requester, asker)) this.rejections.delete(key);
  }

  private quietKeys(requester: Requester, asker: string): string[] {
    return [
      ...new Set([
        `tab ${requester.tabId}`,
        `site ${registrableDomain(asker)}`,
        `site ${registrableDomain(requester.origin)}`,
      ]),
    ];
  }
}
