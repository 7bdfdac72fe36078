// The 402 answers the browser itself saw (webRequest, observe only). A page reports which URL
// answered its request with 402, and a page can say anything; where the wallet has access to
// that host, the browser shows it the response too, so the page's word can be checked.
import { requestUrl } from './paid-load.js';

/** A 402 response with PAYMENT-REQUIRED, as the browser reported it. */
export interface SeenAnswer {
  tabId: number;
  frameId: number;
  url: string;
  paymentRequired: string;
}

/** How long a seen answer is remembered: the page asks the wallet right after it arrives. */
const KEEP_MS = 60_000;
const KEEP_AT_MOST = 100;
/** How long to wait for the browser's report when the page's message came first. */
const WAIT_MS = 1_500;

export class SeenAnswers {
  private recent: (SeenAnswer & { at: number })[] = [];
  private readonly waiting = new Set<() => void>();

  constructor(
    /** Whether the wallet has access to this origin (only then does the browser report it). */
    private readonly hasAccess: (origin: string) => Promise<boolean>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The browser reports a response answered with 402 and a PAYMENT-REQUIRED header. */
  saw(answer: SeenAnswer): void {
    const now = this.now();
    this.recent = [
      ...this.recent.filter((seen) => now - seen.at < KEEP_MS),
      { ...answer, url: requestUrl(answer.url), at: now },
    ].slice(-KEEP_AT_MOST);
    for (const wake of this.waiting) wake();
  }

  /**
   * Whether the browser saw `answer` (the same tab, frame, URL and PAYMENT-REQUIRED) arrive.
   * False at once when the wallet has no access to the URL's host: the browser cannot tell.
   */
  async confirms(answer: SeenAnswer): Promise<boolean> {
    let url: string;
    try {
      url = requestUrl(answer.url);
    } catch {
      return false;
    }
    if (!(await this.hasAccess(new URL(url).origin).catch(() => false))) return false;
    const found = () =>
      this.recent.some(
        (seen) =>
          seen.tabId === answer.tabId &&
          seen.frameId === answer.frameId &&
          seen.url === url &&
          seen.paymentRequired === answer.paymentRequired &&
          this.now() - seen.at < KEEP_MS,
      );
    if (found()) return true;
    return new Promise<boolean>((resolve) => {
      const done = (result: boolean) => {
        this.waiting.delete(wake);
        clearTimeout(timer);
        resolve(result);
      };
      const wake = () => {
        if (found()) done(true);
      };
      const timer = setTimeout(() => done(false), WAIT_MS);
      this.waiting.add(wake);
    });
  }
}
