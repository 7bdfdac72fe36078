import { type SecretKey, signDigest } from '../casper/keys.js';

/**
 * Whatever holds the payer's key: an in-memory key, the extension's background, a hardware
 * wallet. It signs a 32-byte digest and returns the tagged 65-byte signature as hex.
 */
export interface PaymentSigner {
  /** Tagged public key hex (`01…` ed25519, `02…` secp256k1). */
  readonly publicKey: string;
  signDigest(digest: Uint8Array): Promise<string>;
}

/** A signer over a secret key held in this process. */
export function secretKeySigner(secretKey: SecretKey): PaymentSigner {
  return {
    publicKey: secretKey.publicKey.hex,
    signDigest: async (digest) => signDigest(secretKey, digest),
  };
}
