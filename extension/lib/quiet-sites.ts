// How long a site that keeps being told no has to wait before it may open another window:
// rejections in a row per tab and per registrable domain, kept in storage.session (trusted
// contexts only), so a service worker stopped when idle does not forget them.
import { registrableDomain } from './site.js';
import type { Requester } from './site-policy.js';
import { readArea, Serial, writeArea } from './store.js';

/** After this many rejections in a row, a site gets no window for a while… */
const REJECTIONS_BEFORE_QUIET = 3;
/** …a minute, doubling with each further rejection, at most 15 minutes. */
const REJECTED_QUIET_MS = 60_000;
const MAX_REJECTED_QUIET_MS = 15 * 60_000;
/** The tabs and sites remembered at most (the oldest counts go first). */
const KEEP_AT_MOST = 500;
const STORED = 'rejections';

interface Count {
  count: number;
  /** Until when its requests get no window (ms since epoch). */
  until: number;
}

export class QuietSites {
  /**
   * Per tab and per registrable domain (of the host that asked and of the page): rejections
   * in a row. Sub-origins of one site in frames, or many tabs of one site, share a count.
   * Read from storage.session once, then kept here and written back on every change.
   */
  private counts: Promise<Map<string, Count>> | undefined;
  private readonly serial = new Serial();

  constructor(private readonly now: () => number) {}

  /** Whether a site was told no too often to open another window now. */
  async isQuiet(requester: Requester, asker: string): Promise<boolean> {
    const counts = await this.load();
    const now = this.now();
    return keysOf(requester, asker).some((key) => now < (counts.get(key)?.until ?? 0));
  }

  /** The person said no: the tab and both sites count one more rejection in a row. */
  rejected(requester: Requester, asker: string): Promise<void> {
    return this.change((counts) => {
      for (const key of keysOf(requester, asker)) {
        const count = (counts.get(key)?.count ?? 0) + 1;
        const beyond = count - REJECTIONS_BEFORE_QUIET;
        const quiet =
          beyond >= 0 ? Math.min(REJECTED_QUIET_MS * 2 ** beyond, MAX_REJECTED_QUIET_MS) : 0;
        // Re-inserted, so the map stays ordered from the oldest change to the newest.
        counts.delete(key);
        counts.set(key, { count, until: this.now() + quiet });
      }
    });
  }

  /** The person said yes: the count starts again. */
  approved(requester: Requester, asker: string): Promise<void> {
    return this.change((counts) => {
      for (const key of keysOf(requester, asker)) counts.delete(key);
    });
  }

  private load(): Promise<Map<string, Count>> {
    this.counts ??= readArea<[string, Count][]>('session', STORED, []).then(
      (stored) =>
        new Map(
          (Array.isArray(stored) ? stored : []).filter(
            (entry): entry is [string, Count] =>
              Array.isArray(entry) &&
              typeof entry[0] === 'string' &&
              Number.isSafeInteger(entry[1]?.count) &&
              Number.isFinite(entry[1]?.until),
          ),
        ),
    );
    return this.counts;
  }

  private change(step: (counts: Map<string, Count>) => void): Promise<void> {
    return this.serial.run(async () => {
      const counts = await this.load();
      step(counts);
      for (const key of [...counts.keys()].slice(0, Math.max(0, counts.size - KEEP_AT_MOST))) {
        counts.delete(key);
      }
      await writeArea('session', STORED, [...counts]);
    });
  }
}

function keysOf(requester: Requester, asker: string): string[] {
  return [
    ...new Set([
      `tab ${requester.tabId}`,
      `site ${registrableDomain(asker)}`,
      `site ${registrableDomain(requester.origin)}`,
    ]),
  ];
}
