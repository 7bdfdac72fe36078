// Deterministic development keys, like anvil's well-known accounts. They are public:
// never fund them on a real network.
import {
  accountHashOf,
  blake2b256,
  type SecretKey,
  secretKeyFromBytes,
  utf8ToBytes,
} from '@x402-casper/shared';

/**
 * The secret key of a named dev account: ed25519 with seed
 * blake2b-256("x402-casper devnet account <name>").
 */
export function devSecretKey(name: string): SecretKey {
  return secretKeyFromBytes(
    'ed25519',
    blake2b256(utf8ToBytes(`x402-casper devnet account ${name}`)),
  );
}

export interface DevAccount {
  name: string;
  secretKey: SecretKey;
  /** Tagged public key hex. */
  publicKey: string;
  accountHash: string;
}

/** Accounts of the default genesis: CSPR in motes and CX402 in atomic units (6 decimals). */
export const DEFAULT_ACCOUNTS = [
  { name: 'facilitator', motes: 1_000_000n * 10n ** 9n, tokens: 0n },
  { name: 'merchant', motes: 1_000n * 10n ** 9n, tokens: 0n },
  { name: 'alice', motes: 10_000n * 10n ** 9n, tokens: 10_000n * 10n ** 6n },
  { name: 'bob', motes: 10_000n * 10n ** 9n, tokens: 10_000n * 10n ** 6n },
] as const;

export function devAccount(name: string): DevAccount {
  const secretKey = devSecretKey(name);
  return {
    name,
    secretKey,
    publicKey: secretKey.publicKey.hex,
    accountHash: accountHashOf(secretKey.publicKey),
  };
}

/** The default genesis accounts with their secret keys (facilitator, merchant, alice, bob). */
export function defaultDevAccounts(): [DevAccount, DevAccount, DevAccount, DevAccount] {
  const [facilitator, merchant, alice, bob] = DEFAULT_ACCOUNTS;
  return [
    devAccount(facilitator.name),
    devAccount(merchant.name),
    devAccount(alice.name),
    devAccount(bob.name),
  ];
}

/** The devnet's single validator, which proposes and signs every block. */
export function validatorKey(): SecretKey {
  return devSecretKey('validator');
}
