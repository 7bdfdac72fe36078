import { type QueryClient, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
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

export function useWalletState() {
  return useQuery({
    queryKey: ['state'],
    queryFn: () => call('state', {}),
    refetchInterval: 5_000,
  });
}
