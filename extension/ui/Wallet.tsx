import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { WalletState } from '../lib/api.js';
import type { NetworkKind } from '../lib/settings.js';
import { Activity } from './Activity.js';
import { Assets } from './Assets.js';
import { call } from './api.js';
import { Budgets } from './Budgets.js';
import { Hash, Row } from './components.js';
import { Settings } from './Settings.js';

type Tab = 'assets' | 'activity' | 'budgets' | 'settings';
const TABS: [Tab, string][] = [
  ['assets', 'Assets'],
  ['activity', 'Activity'],
  ['budgets', 'Budgets'],
  ['settings', 'Settings'],
];

export function Wallet({ state }: { state: WalletState }) {
  const client = useQueryClient();
  // Opened on a tab of its own (the approval window's "Cancel it in Activity"): ?tab=activity.
  const [tab, setTab] = useState<Tab>(() => {
    const asked = new URLSearchParams(location.search).get('tab');
    return TABS.some(([value]) => value === asked) ? (asked as Tab) : 'assets';
  });
  const refresh = () => client.invalidateQueries();
  const lock = useMutation({ mutationFn: () => call('lock', {}), onSuccess: refresh });
  const network = useMutation({
    mutationFn: (kind: NetworkKind) => call('updateSettings', { activeNetwork: kind }),
    onSuccess: refresh,
  });
  const account = useMutation({
    mutationFn: (publicKey: string) => call('selectAccount', { publicKey }),
    onSuccess: refresh,
  });
  const current = state.account;
  return (
    <div className="wallet">
      <header className="topbar">
        <span className="brand">x402-casper</span>
        <select
          aria-label="Network"
          value={state.settings.activeNetwork}
          onChange={(e) => network.mutate(e.target.value as NetworkKind)}
        >
          {(['mainnet', 'testnet', 'local'] as const).map((kind) => (
            <option key={kind} value={kind}>
              {state.networks[kind].name}
            </option>
          ))}
        </select>
        <button type="button" className="lock" onClick={() => lock.mutate()}>
          Lock
        </button>
      </header>
      {current ? (
        <section className="account card">
          {state.accounts.length > 1 ? (
            <select
              aria-label="Account"
              value={current.publicKey}
              onChange={(e) => account.mutate(e.target.value)}
            >
              {state.accounts.map((a) => (
                <option key={a.publicKey} value={a.publicKey}>
                  {a.name}
                </option>
              ))}
            </select>
          ) : (
            <strong>{current.name}</strong>
          )}
          <Row label="Public key">
            <Hash value={current.publicKey} label="public key" />
          </Row>
          <Row label="Account hash">
            <Hash value={current.accountHash} label="account hash" />
          </Row>
        </section>
      ) : null}
      <div className="tabs" role="tablist">
        {TABS.map(([value, label]) => (
          <button
            key={value}
            type="button"
            role="tab"
            aria-selected={tab === value}
            className={tab === value ? 'selected' : ''}
            onClick={() => setTab(value)}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="content">
        {tab === 'assets' ? <Assets state={state} onAddToken={() => setTab('settings')} /> : null}
        {tab === 'activity' ? <Activity /> : null}
        {tab === 'budgets' ? <Budgets /> : null}
        {tab === 'settings' ? <Settings state={state} /> : null}
      </div>
    </div>
  );
}
