import { base64ToBytes, bytesToHex } from '@x402-casper/shared';
import { describe, expect, it } from 'vitest';
import { WalletError } from '../lib/errors.js';
import { MIN_PBKDF2_ITERATIONS, openVault, sealVault } from '../lib/vault.js';
import { PASSWORD, vectors } from './helpers.js';

const key = vectors.keys[0]!;
const contents = {
  keys: [{ id: key.publicKey, algorithm: key.algorithm, secretHex: key.secretKeyHex }],
};

describe('vault encryption', () => {
  it('seals with AES-GCM under PBKDF2-SHA256 with at least 600,000 iterations, and opens again', async () => {
    const sealed = await sealVault(contents, PASSWORD);
    expect(sealed.kdf).toMatchObject({ name: 'PBKDF2', hash: 'SHA-256' });
    expect(sealed.kdf.iterations).toBeGreaterThanOrEqual(600_000);
    expect(base64ToBytes(sealed.kdf.salt)).toHaveLength(16);
    expect(base64ToBytes(sealed.cipher.iv)).toHaveLength(12);
    // The secret is nowhere in what is stored, in any encoding.
    const stored = JSON.stringify(sealed);
    expect(stored).not.toContain(key.secretKeyHex);
    expect(bytesToHex(base64ToBytes(sealed.ciphertext))).not.toContain(key.secretKeyHex);
    expect(await openVault(sealed, PASSWORD)).toEqual(contents);
  });

  it('refuses a wrong password and a tampered ciphertext alike', async () => {
    const sealed = await sealVault(contents, PASSWORD);
    await expect(openVault(sealed, 'wrong password')).rejects.toMatchObject({
      code: 'wrong_password',
    });
    const bytes = base64ToBytes(sealed.ciphertext);
    bytes[0]! ^= 1;
    const tampered = { ...sealed, ciphertext: Buffer.from(bytes).toString('base64') };
    await expect(openVault(tampered, PASSWORD)).rejects.toBeInstanceOf(WalletError);
  });

  it('uses a fresh salt and IV every time and never fewer iterations than the floor', async () => {
    await expect(sealVault(contents, PASSWORD, MIN_PBKDF2_ITERATIONS - 1)).rejects.toThrow(
      /at least 600000/,
    );
    const weak = { ...(await sealVault(contents, PASSWORD)) };
    const again = await sealVault(contents, PASSWORD);
    expect(again.kdf.salt).not.toBe(weak.kdf.salt);
    expect(again.cipher.iv).not.toBe(weak.cipher.iv);
    weak.kdf = { ...weak.kdf, iterations: 1000 };
    await expect(openVault(weak, PASSWORD)).rejects.toMatchObject({ code: 'no_wallet' });
  });
});
