import {
  accountHashOf,
  addressOfPublicKey,
  generateSecretKey,
  type KeyAlgorithm,
  secretKeyToPem,
} from '@x402-casper/shared';

/** A Casper account made for a test: its key never leaves the test run. */
export interface TestAccount {
  /** Public key hex with its algorithm tag (`01…` ed25519, `02…` secp256k1). */
  publicKey: string;
  accountHash: string;
  /** `00` + account hash: what `payTo` and `authorization.from` carry. */
  address: string;
  /** The secret key as PEM (what the wallet imports). */
  pem: string;
}

/** A fresh key pair. */
export function newAccount(algorithm: KeyAlgorithm = 'ed25519'): TestAccount {
  const key = generateSecretKey(algorithm);
  return {
    publicKey: key.publicKey.hex,
    accountHash: accountHashOf(key.publicKey),
    address: addressOfPublicKey(key.publicKey),
    pem: secretKeyToPem(key),
  };
}
