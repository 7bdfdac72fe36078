import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { parseAmount } from '@x402-casper/shared';
import { useState } from 'react';
import { browser } from 'wxt/browser';
import type { PaymentOption } from '../lib/options.js';
import { originPattern } from '../lib/paid-load.js';
import { call } from './api.js';
import { ErrorText, Field, Hash, Row } from './components.js';
import { clock, duration, hostOf, tokenAmount } from './format.js';
import { useArmed, useStorageRefresh, useWalletState } from './hooks.js';
import { UnlockForm } from './Unlock.js';

const APPROVE_DELAY_MS = 700;

function optionLabel(option: PaymentOption) {
  return `${tokenAmount(option.amount, option.decimals)} ${option.symbol} on ${option.network.name}`;
}

/** The approval window: who asks, for what, how much, to whom, on which network, until when. */
export function Approval({ id }: { id: string }) {
  const client = useQueryClient();
  useStorageRefresh(client);
  const state = useWalletState();
  const approval = useQuery({
    queryKey: ['approval', id],
    queryFn: () => call('approval', { id }),
    // Polling also keeps the background awake while the person reads.
    refetchInterval: 3_000,
  });
  // Approve stays disabled for a moment after the request is shown.
  const armed = useArmed(approval.data != null, APPROVE_DELAY_MS);
  const [choice, setChoice] = useState(0);
  // The account's balance of the chosen token, read from the chain (not from the site).
  const balance = useQuery({
    queryKey: ['approval-balance', id, choice],
    queryFn: () => call('approvalBalance', { id, option: choice }),
    enabled: approval.data != null,
    refetchInterval: 10_000,
  });
  const [atomic, setAtomic] = useState(false);
  const [allow, setAllow] = useState(false);
  const [allowance, setAllowance] = useState('');
  const decide = useMutation({
    /** `access`: the browser's answer when asked for access to the site (paid page loads). */
    mutationFn: async ({ approve, access }: { approve: boolean; access?: Promise<boolean> }) => {
      if (access && !(await access)) {
        throw new Error(
          'Without access to this site the wallet cannot load the paid page. Approve again and allow it, or reject.',
        );
      }
      return call('decide', {
        id,
        decision: approve
          ? { approve: true, option: choice, ...(allow ? { dailyAllowance: allowance } : {}) }
          : { approve: false },
      });
    },
  });

  const view = approval.data;
  if (approval.isPending || state.isPending)
    return <main className="page muted center">Loading…</main>;
  if (!view) {
    return (
      <main className="page stack center">
        <h1>Nothing to approve</h1>
        <p className="muted">This payment request is no longer open. You can close this window.</p>
        <button type="button" onClick={() => window.close()}>
          Close
        </button>
      </main>
    );
  }
  // Which host asked is only the page's word when the browser did not see it: the page asks.
  const asker = view.askerUnconfirmed && view.page ? view.page : view.origin;
  const index = view.options[choice] ? choice : 0;
  const option = view.options[index]!;
  const budget = view.budgets[index] ?? null;
  const price = `${tokenAmount(option.amount, option.decimals)} ${option.symbol}`;
  const wallet = state.data;
  const unlocked = wallet?.unlocked ?? false;
  let allowanceError: string | null = null;
  if (allow) {
    try {
      if (parseAmount(allowance.trim(), option.decimals, 'allowance') < BigInt(option.amount))
        allowanceError = `Enter at least this payment's price, ${price}.`;
    } catch {
      allowanceError = 'Enter an amount like 0.5';
    }
  }

  return (
    <main className="page stack approval-page">
      <header className="site">
        <span className="muted small">Payment request from</span>
        <h1 className="origin" data-testid="origin">
          {hostOf(asker)}
        </h1>
        <span className="muted small">{asker}</span>
        {view.page && view.askerUnconfirmed ? (
          <span className="warning small" data-testid="asker-unconfirmed">
            Only the page says so: {hostOf(view.page)} reports that {hostOf(view.origin)} asked to
            be paid, and the browser could not confirm it. Treat this as a request from{' '}
            {hostOf(view.page)}.
          </span>
        ) : view.page ? (
          <span className="warning small" data-testid="third-party-warning">
            Not the page you are on: you are on {hostOf(view.page)}, and {hostOf(view.origin)}{' '}
            answered its request asking to be paid.
          </span>
        ) : null}
        {view.claimedOrigin ? (
          <span className="warning small" data-testid="claim-warning">
            The request says it pays for {hostOf(view.claimedOrigin)}, but {hostOf(asker)} is the
            host that asked.
          </span>
        ) : null}
        {view.tabUrl ? (
          <span className="warning small" data-testid="frame-warning">
            Inside a frame on {hostOf(view.tabUrl)}
          </span>
        ) : null}
        {view.insecure ? (
          <span className="warning small" data-testid="insecure-warning">
            This site does not use HTTPS: what it asks for could have been changed on the way.
          </span>
        ) : null}
        {view.unknownTop ? (
          <span className="warning small" data-testid="frame-warning">
            Inside a frame of a page the browser does not name
          </span>
        ) : null}
      </header>

      <section className="price">
        <div className="big" data-testid="amount">
          {tokenAmount(option.amount, option.decimals)} <span>{option.symbol}</span>
        </div>
        {atomic ? (
          <div className="small muted" data-testid="atomic">
            {option.amount} atomic units ({option.decimals} decimals)
          </div>
        ) : (
          <button type="button" className="link small" onClick={() => setAtomic(true)}>
            Show atomic units
          </button>
        )}
      </section>

      {view.outstanding.map((held) => (
        <section
          key={held.id}
          className="warning small stack tight"
          role="alert"
          data-testid="outstanding"
        >
          <span>
            You already gave {hostOf(held.origin)} an authorization of{' '}
            <strong>
              {tokenAmount(held.amount, held.decimals)} {held.symbol}
            </strong>{' '}
            {held.payTo === option.payTo ? (
              'to this payee'
            ) : (
              <>
                to another payee, <Hash value={held.payTo} label="payee" />
              </>
            )}
            , valid until <strong>{clock(held.validUntil)}</strong>. The chain says it has not
            collected it: the site can still collect it until then, whatever you answer here.
          </span>
          <span className="url" title={held.url}>
            For {held.url}
          </span>
          <a
            href={browser.runtime.getURL(
              `/popup.html?tab=activity&payment=${encodeURIComponent(held.id)}`,
            )}
            target="_blank"
            rel="noreferrer"
          >
            Cancel it in Activity
          </a>
        </section>
      ))}

      {balance.data?.value !== undefined && BigInt(balance.data.value) < BigInt(option.amount) ? (
        <p className="warning" role="alert" data-testid="balance-short">
          Your balance on chain is {tokenAmount(balance.data.value, option.decimals)}{' '}
          {option.symbol}: short of this price. The site cannot collect it unless your balance grows
          before it expires.
        </p>
      ) : null}

      {option.warnings.map((warning) => (
        <p key={warning} className="warning small" role="alert">
          {warning}
        </p>
      ))}

      <section className="card stack tight">
        <Row label="For">
          <span>
            <span className="url" title={view.resource.url}>
              {view.resource.url}
            </span>
            {view.resource.description ? (
              <span className="site-text" data-testid="site-description">
                <span className="site-text-label">The site describes it as</span>
                <q>{view.resource.description}</q>
              </span>
            ) : null}
          </span>
        </Row>
        <Row label="Pay to">
          <Hash value={option.payTo} label="payee" />
        </Row>
        <Row label="Network">
          {option.network.name} <span className="muted small">({option.network.id})</span>
        </Row>
        <Row label="Token">
          <span>
            {option.token ? option.token.name : 'Unknown token'}{' '}
            <Hash value={option.asset} label="token package hash" />
          </span>
        </Row>
        <Row label="Expires">{duration(option.maxTimeoutSeconds)} after you approve</Row>
        <Row label="Your balance">
          <span data-testid="balance">
            {balance.data?.value !== undefined
              ? `${tokenAmount(balance.data.value, option.decimals)} ${option.symbol} on chain`
              : balance.data?.error
                ? 'cannot be read from the chain right now'
                : 'reading from the chain…'}
          </span>
        </Row>
        {wallet?.account ? (
          <Row label="From">
            {wallet.account.name} <Hash value={wallet.account.publicKey} label="your public key" />
          </Row>
        ) : null}
      </section>

      {view.options.length > 1 ? (
        <fieldset className="card stack tight">
          <legend>The site accepts several payments: choose one</legend>
          {view.options.map((o, index) => (
            <label key={`${o.index}`} className="choice">
              <input
                type="radio"
                name="option"
                checked={choice === index}
                onChange={() => setChoice(index)}
              />
              {optionLabel(o)}
              {o.token ? '' : ' (unknown token)'}
            </label>
          ))}
        </fieldset>
      ) : null}

      {view.page ? (
        <p className="muted small">
          Payments without asking are only offered to a site asking on its own pages.
        </p>
      ) : view.insecure ? (
        <p className="muted small">
          Payments without asking are only offered for sites that use HTTPS.
        </p>
      ) : option.token && budget ? (
        <p className="muted small" data-testid="existing-budget">
          You have a budget here: up to {tokenAmount(budget.maxPerDay, option.decimals)}{' '}
          {option.symbol} per day and {tokenAmount(budget.maxPerPayment, option.decimals)} per
          payment ({tokenAmount(budget.spent, option.decimals)} spent today). This payment goes
          beyond it; change the budget under Budgets in the wallet.
        </p>
      ) : option.token ? (
        <section className="stack tight">
          <label className="choice">
            <input type="checkbox" checked={allow} onChange={(e) => setAllow(e.target.checked)} />
            Allow this site to charge me up to an amount per day in {option.symbol}, paid to this
            payee, without asking
          </label>
          {allow ? (
            <p className="muted small">
              At most {price} per payment, this payment's price. You can change both under Budgets
              in the wallet.
            </p>
          ) : null}
          {allow ? (
            <Field label={`Up to (${option.symbol} per day)`}>
              <input
                inputMode="decimal"
                placeholder={tokenAmount(BigInt(option.amount) * 10n, option.decimals).replace(
                  /,/g,
                  '',
                )}
                value={allowance}
                onChange={(e) => setAllowance(e.target.value)}
              />
            </Field>
          ) : null}
          {allow && allowanceError && allowance ? (
            <p className="error small">{allowanceError}</p>
          ) : null}
        </section>
      ) : (
        <p className="muted small">
          Add this token to your token list to allow payments without asking.
        </p>
      )}

      {view.kind === 'navigation' ? (
        <p className="muted small" data-testid="page-access">
          The wallet loads the paid page for you, with the payment attached. For that it needs
          access to {hostOf(view.origin)}; your browser may ask you once.
        </p>
      ) : null}

      {unlocked ? null : (
        <section className="card stack tight">
          <strong>Unlock to approve</strong>
          <UnlockForm retryAt={wallet?.retryAt ?? null} />
        </section>
      )}

      <ErrorText error={decide.error} />
      <div className="actions sticky">
        <button
          type="button"
          className="danger"
          disabled={decide.isPending}
          onClick={() => decide.mutate({ approve: false })}
        >
          Reject
        </button>
        <button
          type="button"
          className="primary"
          disabled={
            !armed ||
            !unlocked ||
            decide.isPending ||
            (allow && (allowanceError !== null || !allowance))
          }
          onClick={() =>
            decide.mutate({
              approve: true,
              // Asked here, in the click: the browser only asks the person during one.
              ...(view.kind === 'navigation'
                ? {
                    access: browser.permissions.request({
                      origins: [originPattern(view.origin)],
                    }),
                  }
                : {}),
            })
          }
        >
          Approve
        </button>
      </div>
    </main>
  );
}
