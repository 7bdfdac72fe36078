import { type DevAccount, defaultDevAccounts } from '../../src/devnet/index.js';

/** The default genesis accounts, in order: facilitator, merchant, alice, bob. */
export function devAccounts(): [DevAccount, DevAccount, DevAccount, DevAccount] {
  return defaultDevAccounts() as [DevAccount, DevAccount, DevAccount, DevAccount];
}
