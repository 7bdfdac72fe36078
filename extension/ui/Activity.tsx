import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { PaymentRecord } from '../lib/history.js';
import { call } from './api.js';
import { Hash } from './components.js';
import { hostOf, timeAgo, tokenAmount } from './format.js';

const STATUS: Record<PaymentRecord['status'], string> = {
  pending: 'Pending',
  paid: 'Paid',
  failed: 'Failed',
  rejected: 'Rejected',
};

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
  if (records.length === 0) {
    return <p className="muted center">No payments yet. They appear here as sites ask.</p>;
  }
  return (
    <section className="stack">
      <ul className="list" data-testid="history">
        {records.map((record) => (
          <li className="item payment" key={record.id} data-status={record.status}>
            <div className="grow">
              <div className="between">
                <strong title={record.origin}>{hostOf(record.origin)}</strong>
                <span className="amount">
                  {tokenAmount(record.amount, record.decimals)} <small>{record.symbol}</small>
                </span>
              </div>
              <div className="between small">
                <span>
                  <span className={`badge ${record.status}`}>{STATUS[record.status]}</span>
                  {record.status === 'paid' || record.status === 'failed' ? (
                    <span className="muted"> as reported by the site</span>
                  ) : null}
                </span>
                <span className="muted">
                  {record.approvedBy === 'budget' ? 'budget · ' : ''}
                  {timeAgo(record.time)}
                </span>
              </div>
              {record.message && record.status !== 'paid' ? (
                <p className="small message">{record.message}</p>
              ) : null}
              {record.transaction ? (
                <div className="small">
                  Transaction reported by the site{' '}
                  <Hash value={record.transaction} label="transaction hash" />
                </div>
              ) : null}
            </div>
          </li>
        ))}
      </ul>
      <button type="button" className="link" onClick={() => clear.mutate()}>
        Clear history
      </button>
    </section>
  );
}
