import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import {
  type ChainCheck,
  explorerUrl,
  historyCsv,
  isThisPayment,
  type PaymentRecord,
} from '../lib/history.js';
import { call } from './api.js';
import { ErrorText, Hash } from './components.js';
import { clock, hostOf, timeAgo, tokenAmount } from './format.js';

const STATUS: Record<PaymentRecord['status'], string> = {
  pending: 'Pending',
  paid: 'Paid',
  failed: 'Failed',
  rejected: 'Rejected',
};

/** What the chain says about a payment, in words: the wallet's own reading, not the site's. */
export function chainWords(record: PaymentRecord): string | null {
  const chain: ChainCheck | undefined = record.chain;
  if (!chain) return null;
  const until = chain.validUntil ? clock(chain.validUntil) : '';
  switch (chain.state) {
    case 'confirmed':
      return record.siteSaid === 'failed'
        ? 'Confirmed on chain: settled although the site said it failed.'
        : 'Confirmed on chain.';
    case 'unsettled':
      return `Not settled yet — valid until ${until}. The site can still collect it until then.`;
    case 'expired':
      return `Never settled: it expired at ${until} and can no longer be collected. Nothing was taken.`;
    case 'cancelled':
      return 'Cancelled on chain: it can no longer be collected.';
    default:
      return `Not confirmed on chain. ${chain.detail ?? ''}`.trim();
  }
}

/** Cancels an authorization that can still be collected (CEP-3009 cancel_authorization). */
function CancelAuthorization({ id, sent }: { id: string; sent: boolean }) {
  const client = useQueryClient();
  const [asked, setAsked] = useState(false);
  const quote = useQuery({
    queryKey: ['cancelQuote', id],
    queryFn: () => call('cancelQuote', { id }),
    enabled: asked,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const cancel = useMutation({
    mutationFn: () => call('cancelAuthorization', { id }),
    onSettled: () => client.invalidateQueries({ queryKey: ['history'] }),
  });
  if (!asked) {
    if (sent) return null;
    return (
      <div className="small">
        <button type="button" className="link" onClick={() => setAsked(true)}>
          Cancel authorization…
        </button>
      </div>
    );
  }
  const cost = quote.data;
  return (
    <div className="small stack" data-testid="cancel">
      {quote.isPending ? (
        <span className="muted">Reading the token and your CSPR balance…</span>
      ) : null}
      {cancel.isIdle ? <ErrorText error={quote.error} /> : null}
      {cost && !cancel.data ? (
        <div data-testid="cancel-cost">
          <p>
            Cancelling sends a transaction that costs{' '}
            <strong data-testid="cancel-payment">{tokenAmount(cost.paymentMotes, 9)} CSPR</strong>{' '}
            (paid from this account, whatever the site does).
          </p>
          <p data-testid="cancel-balance">
            {cost.balanceMotes !== undefined
              ? `Your CSPR balance on chain: ${tokenAmount(cost.balanceMotes, 9)} CSPR${cost.enough ? '.' : ' — not enough to pay for the cancel.'}`
              : `Your CSPR balance could not be read: ${cost.balanceError ?? ''}`}
          </p>
          {cancel.isIdle ? (
            <div className="actions">
              <button
                type="button"
                className="primary"
                disabled={cost.enough === false}
                onClick={() => cancel.mutate()}
              >
                Confirm: cancel for {tokenAmount(cost.paymentMotes, 9)} CSPR
              </button>
              <button type="button" className="link" onClick={() => setAsked(false)}>
                Keep it
              </button>
            </div>
          ) : null}
        </div>
      ) : null}
      {cancel.isPending ? (
        <span className="muted">Signing and sending; waiting for the chain…</span>
      ) : null}
      {cancel.data ? (
        <p
          data-testid="cancel-outcome"
          data-state={cancel.data.state}
          role={cancel.data.state === 'failed' ? 'alert' : undefined}
        >
          {cancel.data.message}
        </p>
      ) : null}
      <ErrorText error={cancel.error} />
    </div>
  );
}

/**
 * The transaction the site reported: called this payment's, and linked to the explorer, only
 * once the chain shows it is this authorization's transfer.
 */
function TransactionLine({ record }: { record: PaymentRecord }) {
  const transaction = record.transaction!;
  const read = record.chain?.transfer;
  const hash = <Hash value={transaction} label="transaction hash" />;
  if (read?.transaction === transaction && read.is === 'another') {
    return (
      <div className="small message" data-testid="transaction-not-this-payment">
        The site reported a transaction that is not this payment: {hash}
      </div>
    );
  }
  if (!isThisPayment(record)) {
    return <div className="small">Transaction reported by the site {hash}</div>;
  }
  const link = explorerUrl(record.network, transaction);
  return (
    <div className="small" data-testid="payment-transaction">
      This payment's transfer, read on chain {hash}
      {link ? (
        <>
          {' '}
          <a href={link} target="_blank" rel="noreferrer noopener" data-testid="explorer-link">
            view on {new URL(link).host}
          </a>
        </>
      ) : null}
    </div>
  );
}

/** Payment history: site, amount, token, status, transaction hash, time. */
export function Activity() {
  const client = useQueryClient();
  const history = useQuery({
    queryKey: ['history'],
    queryFn: () => call('history', {}),
    refetchInterval: 5_000,
  });
  const clear = useMutation({
    mutationFn: () => call('clearHistory', {}),
    onSuccess: () => client.invalidateQueries({ queryKey: ['history'] }),
  });
  const records = history.data ?? [];
  // The payment the approval window pointed to (?payment=<id>), shown first in view.
  const [pointed] = useState(() => new URLSearchParams(location.search).get('payment'));
  const pointedItem = useRef<HTMLLIElement | null>(null);
  const shown = records.length > 0;
  useEffect(() => {
    if (shown) pointedItem.current?.scrollIntoView({ block: 'center' });
  }, [shown]);
  if (records.length === 0) {
    return <p className="muted center">No payments yet. They appear here as sites ask.</p>;
  }
  return (
    <section className="stack">
      <ul className="list" data-testid="history">
        {records.map((record) => (
          <li
            className={record.id === pointed ? 'item payment pointed' : 'item payment'}
            key={record.id}
            data-status={record.status}
            data-pointed={record.id === pointed ? true : undefined}
            ref={record.id === pointed ? pointedItem : undefined}
          >
            <div className="grow">
              <div className="between">
                <strong title={record.origin}>{hostOf(record.origin)}</strong>
                <span className="amount">
                  {tokenAmount(record.amount, record.decimals)} <small>{record.symbol}</small>
                </span>
              </div>
              <div className="between small">
                <span>
                  <span className={`badge ${record.status}`}>
                    {record.chain?.state === 'cancelled' ? 'Cancelled' : STATUS[record.status]}
                  </span>
                  {(record.status === 'paid' || record.status === 'failed') &&
                  (record.chain?.state ?? 'unknown') === 'unknown' ? (
                    <span className="muted"> as reported by the site</span>
                  ) : null}
                </span>
                <span className="muted">
                  {record.approvedBy === 'budget' ? 'budget · ' : ''}
                  {timeAgo(record.time)}
                </span>
              </div>
              {record.page ? (
                <p className="small muted">Asked while you were on {hostOf(record.page)}</p>
              ) : null}
              {record.message && record.status !== 'paid' ? (
                <p className="small message">{record.message}</p>
              ) : null}
              {chainWords(record) ? (
                <p
                  className="small chain"
                  data-testid="chain-state"
                  data-chain={record.chain?.state}
                >
                  {chainWords(record)}
                </p>
              ) : null}
              {record.chain?.balance !== undefined ? (
                <p className="small chain" data-testid="chain-balance">
                  Your balance on chain: {tokenAmount(record.chain.balance, record.decimals)}{' '}
                  {record.symbol}
                  {BigInt(record.chain.balance) >= BigInt(record.amount)
                    ? ', enough for this price.'
                    : ', short of this price.'}
                </p>
              ) : null}
              {record.cancel?.state === 'submitted' && record.chain?.state !== 'cancelled' ? (
                <p className="small muted" data-testid="cancel-sent">
                  Cancel sent; waiting for the chain to execute it.
                </p>
              ) : null}
              {record.cancel?.state === 'failed' ? (
                <p className="small message" data-testid="cancel-failed">
                  Your cancel failed: {record.cancel.error}
                </p>
              ) : null}
              {record.chain?.state === 'unsettled' || record.cancel ? (
                <CancelAuthorization
                  id={record.id}
                  sent={
                    record.chain?.state !== 'unsettled' ||
                    (record.cancel !== undefined && record.cancel.state !== 'failed')
                  }
                />
              ) : null}
              {record.sentAgain ? (
                <p className="small muted" data-testid="sent-again">
                  The same authorization was sent again {record.sentAgain}{' '}
                  {record.sentAgain === 1 ? 'time' : 'times'} for this purchase (nothing new
                  signed).
                </p>
              ) : null}
              {record.transaction ? <TransactionLine record={record} /> : null}
            </div>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button
          type="button"
          className="link"
          onClick={() => {
            const blob = new Blob([historyCsv(records)], { type: 'text/csv;charset=utf-8' });
            const url = URL.createObjectURL(blob);
            const link = document.createElement('a');
            link.href = url;
            link.download = `x402-casper-history-${new Date().toISOString().slice(0, 10)}.csv`;
            link.click();
            setTimeout(() => URL.revokeObjectURL(url), 10_000);
          }}
        >
          Export CSV
        </button>
        <button type="button" className="link" onClick={() => clear.mutate()}>
          Clear history
        </button>
      </div>
    </section>
  );
}
