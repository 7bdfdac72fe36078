// A paid page is loaded by the browser itself, so the paid response's own headers apply to
// it (Content-Security-Policy, X-Frame-Options, sandbox, COOP, Content-Disposition, nosniff):
// a one-shot declarativeNetRequest session rule adds PAYMENT-SIGNATURE to the next top-level
// request for that exact URL in that tab, the tab loads the URL, and the rule is removed as
// soon as the request has gone out. What the site answered is read from the response
// headers (webRequest, observe only) and recorded like any other payment.
import { browser } from 'wxt/browser';
import type { RetryReport } from './outcome.js';

/** Loads paid pages (the browser in the extension, a fake in tests). */
export interface PaidPageLoader {
  /** Whether the wallet has access to this origin's page loads (granted host permission). */
  canLoad(origin: string): Promise<boolean>;
  /**
   * Loads `url` as the top page of `tabId` once with `PAYMENT-SIGNATURE: signature`.
   * Resolves with what the site answered, or null when the request never went out.
   */
  load(tabId: number, url: string, signature: string): Promise<RetryReport | null>;
}

/** How long a loaded rule may wait for its request before it is removed unused. */
const LOAD_TIMEOUT_MS = 60_000;

/** The host permission pattern for exactly one origin (scheme, host and port). */
export function originPattern(origin: string): string {
  return `${origin}/*`;
}

/** The URL a request for this page carries: the fragment never leaves the browser. */
export function requestUrl(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href;
}

type SessionRule = Parameters<
  typeof browser.declarativeNetRequest.updateSessionRules
>[0]['addRules'] extends (infer R)[] | undefined
  ? R
  : never;

/**
 * The rule that signs one page load: this tab only, top-level documents only, this URL only
 * (anchored at both ends, case-sensitive). URL filters read `*` and `^` as wildcards; a URL
 * holding them matches a little more loosely, still only in this tab and only until the
 * request goes out.
 */
export function paidLoadRule(
  id: number,
  tabId: number,
  url: string,
  signature: string,
): SessionRule {
  return {
    id,
    priority: 1,
    action: {
      type: 'modifyHeaders',
      requestHeaders: [{ header: 'PAYMENT-SIGNATURE', operation: 'set', value: signature }],
    },
    condition: {
      urlFilter: `|${url}|`,
      isUrlFilterCaseSensitive: true,
      tabIds: [tabId],
      resourceTypes: ['main_frame'],
    },
  };
}

/** The parts of the site's answer the wallet records. */
export function reportOf(
  statusCode: number,
  headers: { name: string; value?: string }[] | undefined,
): RetryReport {
  const find = (name: string) =>
    headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
  const paymentResponse = find('PAYMENT-RESPONSE');
  const paymentRequired = find('PAYMENT-REQUIRED');
  return {
    status: statusCode,
    ...(paymentResponse ? { paymentResponse } : {}),
    ...(paymentRequired ? { paymentRequired } : {}),
  };
}

/** Removes rules left by a worker that stopped mid-load (session rules outlive the worker). */
export async function clearPaidLoadRules(): Promise<void> {
  const rules = await browser.declarativeNetRequest.getSessionRules();
  if (rules.length > 0) {
    await browser.declarativeNetRequest.updateSessionRules({
      removeRuleIds: rules.map((rule) => rule.id),
    });
  }
}

let nextRuleId = 1;

export const paidPageLoader: PaidPageLoader = {
  canLoad: (origin) => browser.permissions.contains({ origins: [originPattern(origin)] }),

  async load(tabId, url, signature) {
    const target = requestUrl(url);
    const ruleId = nextRuleId++;
    const dnr = browser.declarativeNetRequest;
    const web = browser.webRequest;
    let ruleRemoved = false;
    const removeRule = () => {
      if (ruleRemoved) return;
      ruleRemoved = true;
      void dnr.updateSessionRules({ removeRuleIds: [ruleId] }).catch(() => undefined);
    };
    await dnr.updateSessionRules({ addRules: [paidLoadRule(ruleId, tabId, target, signature)] });

    return new Promise<RetryReport | null>((resolve) => {
      let sent = false;
      let done = false;
      const filter = {
        urls: [originPattern(new URL(target).origin)],
        tabId,
        types: ['main_frame' as const],
      };
      const finish = (report: RetryReport | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        web.onSendHeaders.removeListener(onSent);
        web.onHeadersReceived.removeListener(onHeaders);
        web.onErrorOccurred.removeListener(onError);
        browser.tabs.onRemoved.removeListener(onTabClosed);
        removeRule();
        resolve(report);
      };
      const onSent = (details: { url: string }) => {
        if (details.url !== target) return;
        sent = true;
        removeRule();
      };
      const onHeaders = (details: {
        url: string;
        statusCode: number;
        responseHeaders?: { name: string; value?: string }[];
      }) => {
        if (details.url === target) finish(reportOf(details.statusCode, details.responseHeaders));
        return undefined;
      };
      const onError = (details: { url: string }) => {
        if (details.url === target) finish(sent ? { status: 0 } : null);
      };
      const onTabClosed = (closed: number) => {
        if (closed === tabId) finish(sent ? { status: 0 } : null);
      };
      const timer = setTimeout(() => finish(sent ? { status: 0 } : null), LOAD_TIMEOUT_MS);
      web.onSendHeaders.addListener(onSent, filter);
      web.onHeadersReceived.addListener(onHeaders, filter, ['responseHeaders']);
      web.onErrorOccurred.addListener(onError, filter);
      browser.tabs.onRemoved.addListener(onTabClosed);
      browser.tabs.update(tabId, { url: target }).catch(() => finish(null));
    });
  },
};
