import { useQuery } from '@tanstack/react-query';
import type { Balance, WalletState } from '../lib/api.js';
import { call } from './api.js';
import { CSPR_DECIMALS, tokenAmount } from './format.js';

function Amount({
  balance,
  decimals,
  symbol,
}: {
  balance: Balance | undefined;
  decimals: number;
  symbol: string;
}) {
  if (!balance) return <span className="muted">…</span>;
  if (balance.error !== undefined) {
    return (
      <span className="muted" title={balance.error}>
        unavailable
      </span>
    );
  }
  return (
    <span className="amount" data-testid={`balance-${symbol}`}>
      {tokenAmount(balance.value ?? '0', decimals)} <small>{symbol}</small>
    </span>
  );
}

/** CSPR and token balances read from the chain, refreshed every 15 seconds. */
export function Assets({ state, onAddToken }: { state: WalletState; onAddToken: () => void }) {
  const balances = useQuery({
    queryKey: ['balances', state.network.id, state.network.rpcUrl, state.account?.publicKey],
    queryFn: () => call('balances', {}),
    refetchInterval: 15_000,
  });
  const data = balances.data;
  const rpcError = data?.cspr.error !== undefined && data.tokens.every((t) => t.error);
  return (
    <section className="stack">
      <ul className="list">
        <li className="item">
          <div>
            <strong>Casper</strong>
            <div className="muted small">CSPR · pays network fees</div>
          </div>
          <Amount balance={data?.cspr} decimals={CSPR_DECIMALS} symbol="CSPR" />
        </li>
        {state.tokens.map((token) => (
          <li className="item" key={token.packageHash}>
            <div>
              <strong>{token.name}</strong>
              <div className="muted small">{token.symbol} · CEP-18</div>
            </div>
            <Amount
              balance={data?.tokens.find((t) => t.token.packageHash === token.packageHash)}
              decimals={token.decimals}
              symbol={token.symbol}
            />
          </li>
        ))}
      </ul>
      {rpcError ? <p className="warning small">Cannot read balances: {data?.cspr.error}</p> : null}
      {state.tokens.length === 0 ? (
        <p className="muted small">No tokens known on {state.network.name} yet.</p>
      ) : null}
      <button type="button" className="link" onClick={onAddToken}>
        + Add a token
      </button>
    </section>
  );
}
