import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  accountHashOf,
  addressOfPublicKey,
  generateSecretKey,
  type KeyAlgorithm,
  secretKeyToPem,
} from '@x402-casper/shared';
import { parseOptions, UsageError } from '../args.js';

/** `x402-casper keygen [--algorithm ed25519|secp256k1] --out FILE [--force]` */
export async function main(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    algorithm: { type: 'string', default: 'ed25519' },
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const algorithm = values.algorithm;
  if (algorithm !== 'ed25519' && algorithm !== 'secp256k1') {
    throw new UsageError(`--algorithm must be ed25519 or secp256k1, got "${algorithm}"`);
  }
  if (!values.out)
    throw new UsageError('--out FILE is required (where to write the secret key PEM)');
  if (existsSync(values.out) && !values.force) {
    throw new UsageError(`${values.out} already exists; pass --force to overwrite it`);
  }
  const key = generateSecretKey(algorithm as KeyAlgorithm);
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, secretKeyToPem(key), { mode: 0o600 });
  const summary = {
    algorithm,
    file: values.out,
    publicKey: key.publicKey.hex,
    accountHash: accountHashOf(key.publicKey),
    address: addressOfPublicKey(key.publicKey),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}
