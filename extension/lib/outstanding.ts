// Authorizations a site holds and can still collect: when the same site (any of its hosts)
// asks the same payer to pay again on the same network (another query string, a price one
// unit off, another payee), the window says so before the person signs a second one.
import type { History } from './history.js';
import type { PaymentOption } from './options.js';
import { isFinal, RESEND_MARGIN_MS, type Settlements, stillCollectable } from './settlement.js';
import { registrableDomain } from './site.js';

/** One authorization the asking site can still collect, as the window shows it. */
export interface OutstandingAuthorization {
  /** The history record, for "Cancel it in Activity". */
  id: string;
  /** The host it was given to (a host of the asking site). */
  origin: string;
  url: string;
  /** Whom it pays. */
  payTo: string;
  amount: string;
  decimals: number;
  symbol: string;
  /** The authorization's validBefore (ms since epoch). */
  validUntil: number;
}

/** The newest still-valid records asked about: each costs a few reads of the chain. */
const AT_MOST = 5;
/** How long the window waits for those reads (in parallel) before it opens without them. */
const READ_WAIT_MS = 2_500;

/**
 * The authorizations `payer` gave any host of the site `asker` belongs to (registrable
 * domain), on the networks of `options`, to any payee, that the chain says are not collected
 * and still valid, newest first. Records already expired by their own validBefore cost no
 * read; at most AT_MOST are read, together, and a read slower than READ_WAIT_MS is left out.
 */
export async function outstandingAuthorizations(
  deps: { history: History; settlements: Settlements; now: () => number },
  asker: string,
  payer: string,
  options: PaymentOption[],
): Promise<OutstandingAuthorization[]> {
  const site = registrableDomain(asker);
  const now = deps.now();
  const candidates = (await deps.history.list())
    .filter(
      (r) =>
        r.payer === payer &&
        r.authorization !== undefined &&
        Number(r.authorization.validBefore) * 1000 - RESEND_MARGIN_MS > now &&
        (r.cancel === undefined || r.cancel.state === 'failed') &&
        !isFinal(r.chain) &&
        options.some((o) => o.network.id === r.network) &&
        registrableDomain(r.origin) === site,
    )
    .slice(0, AT_MOST);
  let stopWaiting = () => {};
  const timeout = new Promise<undefined>((resolve) => {
    const timer = setTimeout(resolve, READ_WAIT_MS);
    stopWaiting = () => clearTimeout(timer);
  });
  const checked = await Promise.all(
    candidates.map((candidate) =>
      Promise.race([deps.settlements.check(candidate.id).catch(() => undefined), timeout]),
    ),
  ).finally(stopWaiting);
  return checked.flatMap((record) =>
    record && stillCollectable(record, deps.now())
      ? [
          {
            id: record.id,
            origin: record.origin,
            url: record.url,
            payTo: record.payTo,
            amount: record.amount,
            decimals: record.decimals,
            symbol: record.symbol,
            validUntil:
              record.chain?.validUntil ?? Number(record.authorization!.validBefore) * 1000,
          },
        ]
      : [],
  );
}
