import { type QueryClient, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { browser } from 'wxt/browser';
import { call } from './api.js';

/** Refetches everything shown when the wallet's storage changes (a payment, a lock, …). */
export function useStorageRefresh(client: QueryClient) {
  useEffect(() => {
    const listener = () => void client.invalidateQueries();
    browser.storage.onChanged.addListener(listener);
    return () => browser.storage.onChanged.removeListener(listener);
  }, [client]);
}

/**
 * False until `ready` has held for `delayMs` with the page visible, and false again whenever
 * it is hidden: a window that appears under the cursor cannot take a click meant for the
 * page beneath it.
 */
export function useArmed(ready: boolean, delayMs: number): boolean {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      setArmed(false);
      if (ready && document.visibilityState === 'visible') {
        timer = setTimeout(() => setArmed(true), delayMs);
      }
    };
    arm();
    document.addEventListener('visibilitychange', arm);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', arm);
    };
  }, [ready, delayMs]);
  return armed;
}

export function useWalletState() {
  return useQuery({
    queryKey: ['state'],
    queryFn: () => call('state', {}),
    refetchInterval: 5_000,
  });
}
