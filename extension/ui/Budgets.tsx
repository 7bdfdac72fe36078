import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { parseAmount } from '@x402-casper/shared';
import { useState } from 'react';
import type { BudgetView } from '../lib/api.js';
import { call } from './api.js';
import { ErrorText, Field, Hash } from './components.js';
import { hostOf, tokenAmount } from './format.js';

function keyOf(budget: BudgetView) {
  return {
    origin: budget.origin,
    account: budget.account,
    network: budget.network,
    asset: budget.asset,
    payTo: budget.payTo,
  };
}

function BudgetItem({ budget }: { budget: BudgetView }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [perDay, setPerDay] = useState(
    tokenAmount(budget.maxPerDay, budget.decimals).replace(/,/g, ''),
  );
  const [perPayment, setPerPayment] = useState(
    tokenAmount(budget.maxPerPayment, budget.decimals).replace(/,/g, ''),
  );
  const refresh = () => client.invalidateQueries({ queryKey: ['budgets'] });
  const save = useMutation({
    mutationFn: () =>
      call('setBudget', {
        key: keyOf(budget),
        maxPerDay: parseAmount(perDay.trim(), budget.decimals, 'maxPerDay').toString(),
        maxPerPayment: parseAmount(perPayment.trim(), budget.decimals, 'maxPerPayment').toString(),
      }),
    onSuccess: () => {
      setEditing(false);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => call('removeBudget', { key: keyOf(budget) }),
    onSuccess: refresh,
  });
  const spent = BigInt(budget.spent);
  const cap = BigInt(budget.maxPerDay);
  const percent = cap > 0n ? Number((spent * 100n) / cap) : 0;
  return (
    <li className="item budget">
      <div className="grow stack tight">
        <div className="between">
          <strong title={budget.origin}>{hostOf(budget.origin)}</strong>
          <span className="muted small">{budget.network}</span>
        </div>
        <div className="small">
          {tokenAmount(budget.spent, budget.decimals)} of{' '}
          {tokenAmount(budget.maxPerDay, budget.decimals)} {budget.symbol} spent today · at most{' '}
          {tokenAmount(budget.maxPerPayment, budget.decimals)} per payment
        </div>
        <div className="meter" aria-hidden="true">
          <span style={{ width: `${Math.min(100, percent)}%` }} />
        </div>
        <div className="small muted">
          Payee <Hash value={budget.payTo} label="payee" />
        </div>
        <div className="small muted">
          From <Hash value={budget.account} label="paying account" />
        </div>
        {editing ? (
          <form
            className="stack tight"
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate();
            }}
          >
            <Field label={`Per day (${budget.symbol})`}>
              <input
                value={perDay}
                inputMode="decimal"
                onChange={(e) => setPerDay(e.target.value)}
              />
            </Field>
            <Field label={`Per payment (${budget.symbol})`}>
              <input
                value={perPayment}
                inputMode="decimal"
                onChange={(e) => setPerPayment(e.target.value)}
              />
            </Field>
            <ErrorText error={save.error} />
            <div className="actions">
              <button type="button" onClick={() => setEditing(false)}>
                Cancel
              </button>
              <button type="submit" className="primary" disabled={save.isPending}>
                Save
              </button>
            </div>
          </form>
        ) : (
          <div className="actions">
            <button type="button" onClick={() => setEditing(true)}>
              Change
            </button>
            <button type="button" className="danger" onClick={() => remove.mutate()}>
              Remove
            </button>
          </div>
        )}
      </div>
    </li>
  );
}

/** Allowances to pay without asking, per site, network, token and payee. */
export function Budgets() {
  const budgets = useQuery({ queryKey: ['budgets'], queryFn: () => call('budgets', {}) });
  const refused = useQuery({
    queryKey: ['budgets', 'refused'],
    queryFn: () => call('refusedBudgets', {}),
  });
  const list = budgets.data ?? [];
  const rewritten = refused.data?.rewritten ?? 0;
  const rolledBack = refused.data?.rolledBack ?? 0;
  const warning =
    rewritten || rolledBack ? (
      <div className="stack tight">
        {rewritten ? (
          <p className="warning small" role="alert" data-testid="refused-budgets">
            {rewritten} stored {rewritten === 1 ? 'budget was' : 'budgets were'} changed outside the
            wallet (or saved by an older version) and {rewritten === 1 ? 'is' : 'are'} ignored:
            nothing is paid from {rewritten === 1 ? 'it' : 'them'}.
          </p>
        ) : null}
        {rolledBack ? (
          <p className="warning small" role="alert" data-testid="rolled-back-budgets">
            {rolledBack} stored {rolledBack === 1 ? 'budget was' : 'budgets were'} written back from
            an earlier state (undoing what was spent) and {rolledBack === 1 ? 'is' : 'are'} ignored:
            nothing is paid from {rolledBack === 1 ? 'it' : 'them'}.
          </p>
        ) : null}
      </div>
    ) : null;
  if (list.length === 0) {
    return (
      <>
        {warning}
        <p className="muted center">
          No budgets. When you approve a payment you can allow a site to charge up to an amount per
          day without asking.
        </p>
      </>
    );
  }
  return (
    <ul className="list">
      {warning}
      {list.map((budget) => (
        <BudgetItem
          key={`${budget.origin} ${budget.account} ${budget.network} ${budget.asset} ${budget.payTo}`}
          budget={budget}
        />
      ))}
    </ul>
  );
}
