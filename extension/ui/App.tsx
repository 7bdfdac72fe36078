import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorText } from './components.js';
import { useStorageRefresh, useWalletState } from './hooks.js';
import { Onboarding } from './Onboarding.js';
import { UnlockScreen } from './Unlock.js';
import { Wallet } from './Wallet.js';

/** The popup: onboarding, unlock, or the wallet. */
export function App() {
  const client = useQueryClient();
  useStorageRefresh(client);
  const state = useWalletState();
  // Stays on onboarding until the person has seen their new account.
  const [onboarding, setOnboarding] = useState(false);
  if (state.isPending) return <main className="page muted center">Loading…</main>;
  if (state.error)
    return (
      <main className="page">
        <ErrorText error={state.error} />
      </main>
    );
  if (!state.data.hasWallet || onboarding) {
    return <Onboarding onCreated={() => setOnboarding(true)} onDone={() => setOnboarding(false)} />;
  }
  if (!state.data.unlocked) return <UnlockScreen retryAt={state.data.retryAt} />;
  return <Wallet state={state.data} />;
}
