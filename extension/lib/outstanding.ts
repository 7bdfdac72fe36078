// Authorizations a site holds and can still collect: when the same site asks the same payer to
// pay the same payee again (another query string, a price one unit off), the window says so
// before the person signs a second one.
import type { History } from './history.js';
import type { PaymentOption } from './options.js';
import { isFinal, type Settlements, stillCollectable } from './settlement.js';

/** One authorization the asking site can still collect, as the window shows it. */
export interface OutstandingAuthorization {
  /** The history record, for "Cancel it in Activity". */
  id: string;
  url: string;
  amount: string;
  decimals: number;
  symbol: string;
  /** The authorization's validBefore (ms since epoch). */
  validUntil: number;
}

/** The newest records looked at: each costs a few reads of the chain. */
const AT_MOST = 3;

/**
 * The authorizations `payer` gave the host `asker` for the payees of `options` (on their
 * networks) that the chain says are not collected and still valid, newest first.
 */
export async function outstandingAuthorizations(
  deps: { history: History; settlements: Settlements; now: () => number },
  asker: string,
  payer: string,
  options: PaymentOption[],
): Promise<OutstandingAuthorization[]> {
  const candidates = (await deps.history.list())
    .filter(
      (r) =>
        r.origin === asker &&
        r.payer === payer &&
        r.authorization !== undefined &&
        (r.cancel === undefined || r.cancel.state === 'failed') &&
        !isFinal(r.chain) &&
        options.some((o) => o.network.id === r.network && o.payTo === r.payTo),
    )
    .slice(0, AT_MOST);
  const found: OutstandingAuthorization[] = [];
  for (const candidate of candidates) {
    const checked = await deps.settlements.check(candidate.id).catch(() => undefined);
    if (!checked || !stillCollectable(checked, deps.now())) continue;
    found.push({
      id: checked.id,
      url: checked.url,
      amount: checked.amount,
      decimals: checked.decimals,
      symbol: checked.symbol,
      validUntil: checked.chain?.validUntil ?? Number(checked.authorization!.validBefore) * 1000,
    });
  }
  return found;
}
