import type { Wallet } from '@x402-casper/e2e';

/**
 * Holds the wallet's service worker once it has the person's answer to the open approval:
 * the next write of the open approvals to storage.session (the one that closes it, right
 * before signing) never completes. Resolves with a check of whether it was held; stopping the
 * worker then stops it between the Approve click and the signature, every time.
 */
export async function holdAfterAnswer(wallet: Wallet): Promise<() => Promise<boolean>> {
  const worker = wallet.context.serviceWorkers().find((w) => w.url().startsWith(wallet.origin));
  if (!worker) throw new Error('the wallet has no service worker running');
  await worker.evaluate(() => {
    type Session = { set(items: Record<string, unknown>): Promise<void> };
    const scope = globalThis as unknown as {
      browser?: { runtime?: { id?: string }; storage: { session: Session } };
      chrome: { storage: { session: Session } };
      x402Held?: boolean;
    };
    // The API object the bundle uses (WXT's `browser`).
    const api = scope.browser?.runtime?.id ? scope.browser : scope.chrome;
    const session = api.storage.session;
    const set = session.set.bind(session);
    session.set = (items) => {
      if (!scope.x402Held && 'openApprovals' in items) {
        scope.x402Held = true;
        return new Promise<void>(() => {});
      }
      return set(items);
    };
  });
  return () =>
    worker.evaluate(() => (globalThis as unknown as { x402Held?: boolean }).x402Held === true);
}
