import { secretKeyFromHex, secretKeyFromPem, verifySignature } from '@x402-casper/shared';
import { beforeEach, describe, expect, it } from 'vitest';
import { browser } from 'wxt/browser';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { AUTO_LOCK_ALARM, Keyring, unlockDelayMs } from '../lib/keyring.js';
import { PASSWORD, vectors } from './helpers.js';

const [ed, secp] = vectors.keys;

let now = 1_700_000_000_000;
let autoLockMinutes = 15;
const keyring = () =>
  new Keyring(
    async () => autoLockMinutes,
    () => now,
  );

beforeEach(() => {
  fakeBrowser.reset();
  now = 1_700_000_000_000;
  autoLockMinutes = 15;
});

async function allStorage() {
  return {
    local: JSON.stringify(await browser.storage.local.get(null)),
    session: JSON.stringify(await browser.storage.session.get(null)),
  };
}

describe('keyring', () => {
  it('keeps the secret only encrypted at rest and decrypted in session storage', async () => {
    const ring = keyring();
    const account = await ring.create(PASSWORD, secretKeyFromPem(ed!.secretKeyPem));
    expect(account).toMatchObject({
      publicKey: ed!.publicKey,
      accountHash: ed!.accountHash,
      address: ed!.address,
      algorithm: 'ed25519',
    });
    const stored = await allStorage();
    expect(stored.local).not.toContain(ed!.secretKeyHex);
    expect(stored.session).toContain(ed!.secretKeyHex);
    const digest = new Uint8Array(32).fill(7);
    const signer = ring.signer(ed!.publicKey);
    expect(signer).toEqual({ publicKey: ed!.publicKey, signDigest: expect.any(Function) });
    expect(verifySignature(ed!.publicKey, digest, await signer.signDigest(digest))).toBe(true);

    await ring.lock();
    expect((await allStorage()).session).not.toContain(ed!.secretKeyHex);
    await expect(signer.signDigest(digest)).rejects.toMatchObject({ code: 'locked' });
    await expect(
      ring.create(PASSWORD, secretKeyFromHex('secp256k1', secp!.secretKeyHex)),
    ).rejects.toMatchObject({
      code: 'wallet_exists',
    });
  });

  it('refuses a short password and stores nothing', async () => {
    const ring = keyring();
    await expect(
      ring.create('short', secretKeyFromHex('ed25519', ed!.secretKeyHex)),
    ).rejects.toMatchObject({
      code: 'wrong_password',
    });
    expect(await ring.hasWallet()).toBe(false);
    expect(await browser.storage.local.get(null)).toEqual({});
  });

  it('locks itself after the configured minutes and can be kept open by use', async () => {
    autoLockMinutes = 2;
    const ring = keyring();
    await ring.create(PASSWORD, secretKeyFromHex('ed25519', ed!.secretKeyHex));
    expect(await ring.lockAt()).toBe(now + 2 * 60_000);
    expect((await browser.alarms.get(AUTO_LOCK_ALARM))?.scheduledTime).toBe(now + 2 * 60_000);

    now += 90_000;
    await ring.touch();
    expect(await ring.lockAt()).toBe(now + 2 * 60_000);

    now += 2 * 60_000;
    expect(await ring.isUnlocked()).toBe(false);
    expect((await allStorage()).session).not.toContain(ed!.secretKeyHex);
    expect(await browser.alarms.get(AUTO_LOCK_ALARM)).toBeUndefined();
    // Use while locked does not unlock.
    await ring.touch();
    expect(await ring.isUnlocked()).toBe(false);
  });

  it('makes you wait after repeated wrong passwords, then lets the right one in', async () => {
    expect([1, 2, 3, 4, 5, 20].map(unlockDelayMs)).toEqual([0, 0, 5_000, 10_000, 20_000, 300_000]);
    const ring = keyring();
    await ring.create(PASSWORD, secretKeyFromHex('ed25519', ed!.secretKeyHex));
    await ring.lock();
    await expect(ring.unlock('nope 1')).rejects.toMatchObject({
      code: 'wrong_password',
      retryAt: undefined,
    });
    await expect(ring.unlock('nope 2')).rejects.toMatchObject({ code: 'wrong_password' });
    await expect(ring.unlock('nope 3')).rejects.toMatchObject({
      code: 'wrong_password',
      retryAt: now + 5_000,
    });
    // Even the right password waits, without the vault being tried.
    await expect(ring.unlock(PASSWORD)).rejects.toMatchObject({
      code: 'throttled',
      retryAt: now + 5_000,
    });
    expect(await ring.retryAt()).toBe(now + 5_000);
    expect(await ring.isUnlocked()).toBe(false);

    now += 5_000;
    await ring.unlock(PASSWORD);
    expect(await ring.isUnlocked()).toBe(true);
    expect(await ring.retryAt()).toBeNull();
    // The count starts over after a success.
    await ring.lock();
    await expect(ring.unlock('nope again')).rejects.toMatchObject({ retryAt: undefined });
  });

  it('exports the secret key as PEM only with the password, and adds keys without duplicates', async () => {
    const ring = keyring();
    await ring.create(PASSWORD, secretKeyFromHex('ed25519', ed!.secretKeyHex));
    await expect(ring.exportPem('wrong password', ed!.publicKey)).rejects.toMatchObject({
      code: 'wrong_password',
    });
    const pem = await ring.exportPem(PASSWORD, ed!.publicKey);
    expect(secretKeyFromPem(pem).publicKey.hex).toBe(ed!.publicKey);

    const second = await ring.addKey(PASSWORD, secretKeyFromPem(secp!.secretKeyPem));
    expect(second).toMatchObject({
      publicKey: secp!.publicKey,
      algorithm: 'secp256k1',
      name: 'Account 2',
    });
    expect((await ring.accounts()).map((a) => a.publicKey)).toEqual([
      ed!.publicKey,
      secp!.publicKey,
    ]);
    // A name in storage is shown cleaned like a site's text.
    const stored = (await browser.storage.local.get('accounts')).accounts as object[];
    await browser.storage.local.set({
      accounts: stored.map((a, i) => (i === 0 ? { ...a, name: 'Main\u202E tnuocca\u200D' } : a)),
    });
    expect((await ring.accounts())[0]!.name).toBe('Main tnuocca');
    await expect(
      ring.addKey(PASSWORD, secretKeyFromHex('ed25519', ed!.secretKeyHex)),
    ).rejects.toMatchObject({
      code: 'wallet_exists',
    });
    const digest = new Uint8Array(32).fill(9);
    const signature = await ring.signDigest(secp!.publicKey, digest);
    expect(signature.slice(0, 2)).toBe('02');
    expect(verifySignature(secp!.publicKey, digest, signature)).toBe(true);
  });
});
