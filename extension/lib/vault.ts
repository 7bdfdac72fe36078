import {
  base64ToBytes,
  bytesToBase64,
  bytesToUtf8,
  type KeyAlgorithm,
  utf8ToBytes,
} from '@x402-casper/shared';
import { WalletError } from './errors.js';

/** OWASP 2023 floor for PBKDF2-HMAC-SHA256; a vault never uses fewer. */
export const MIN_PBKDF2_ITERATIONS = 600_000;
export const MIN_PASSWORD_LENGTH = 8;

/** One secret key inside the vault. Only ever decrypted in the background. */
export interface VaultKey {
  id: string;
  algorithm: KeyAlgorithm;
  /** 32-byte secret, hex. Never logged, never sent to a page. */
  secretHex: string;
}

export interface VaultContents {
  keys: VaultKey[];
  /** 32 bytes (hex) that authenticate budgets; only ever in the vault and storage.session. */
  sealKey?: string;
}

/** What is stored at rest: nothing in it is readable without the password. */
export interface SealedVault {
  version: 1;
  kdf: { name: 'PBKDF2'; hash: 'SHA-256'; iterations: number; salt: string };
  cipher: { name: 'AES-GCM'; iv: string };
  ciphertext: string;
}

async function deriveKey(password: string, salt: Uint8Array, iterations: number) {
  const material = await crypto.subtle.importKey(
    'raw',
    utf8ToBytes(password) as BufferSource,
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export function checkNewPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new WalletError(
      'wrong_password',
      `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`,
    );
  }
  return password;
}

/** Encrypts the vault contents with AES-256-GCM under a PBKDF2-SHA256 key from the password. */
export async function sealVault(
  contents: VaultContents,
  password: string,
  iterations = MIN_PBKDF2_ITERATIONS,
): Promise<SealedVault> {
  if (!Number.isSafeInteger(iterations) || iterations < MIN_PBKDF2_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be at least ${MIN_PBKDF2_ITERATIONS}`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await deriveKey(password, salt, iterations);
  const plaintext = utf8ToBytes(JSON.stringify(contents));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plaintext as BufferSource),
  );
  plaintext.fill(0);
  return {
    version: 1,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: bytesToBase64(salt) },
    cipher: { name: 'AES-GCM', iv: bytesToBase64(iv) },
    ciphertext: bytesToBase64(ciphertext),
  };
}

/** Decrypts a sealed vault; a wrong password (or tampered data) is a `wrong_password` error. */
export async function openVault(sealed: SealedVault, password: string): Promise<VaultContents> {
  if (sealed.version !== 1 || sealed.kdf.iterations < MIN_PBKDF2_ITERATIONS) {
    throw new WalletError('no_wallet', 'The stored vault has an unsupported format.');
  }
  const key = await deriveKey(password, base64ToBytes(sealed.kdf.salt), sealed.kdf.iterations);
  let plaintext: Uint8Array;
  try {
    plaintext = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: base64ToBytes(sealed.cipher.iv) as BufferSource },
        key,
        base64ToBytes(sealed.ciphertext) as BufferSource,
      ),
    );
  } catch {
    throw new WalletError('wrong_password', 'Wrong password.');
  }
  const contents = JSON.parse(bytesToUtf8(plaintext)) as VaultContents;
  plaintext.fill(0);
  return contents;
}
