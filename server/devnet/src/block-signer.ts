// The validator's block signatures through Node's crypto (OpenSSL). ed25519 signatures are
// deterministic (RFC 8032), so these are the very bytes shared's pure-JS signDigest makes, at a
// fraction of its CPU: @noble/curves derives the public key again for every signature, and the
// devnet signs a block every block interval, on the same cores as whatever it serves.
import { createPrivateKey, sign } from 'node:crypto';
import { KEY_TAG, type SecretKey, secretKeyToPem } from '@x402-casper/shared';

/** A signer of digests as `key`, an ed25519 key: tagged signature hex, as signDigest answers. */
export function blockSigner(key: SecretKey): (digest: Uint8Array) => string {
  if (key.algorithm !== 'ed25519') throw new Error('the devnet validator signs with ed25519');
  const privateKey = createPrivateKey(secretKeyToPem(key));
  const tag = KEY_TAG.ed25519.toString(16).padStart(2, '0');
  return (digest) => tag + sign(null, digest, privateKey).toString('hex');
}
