import {
  accountHashOf,
  addressOfPublicKey,
  bytesToHex,
  hexToBytes,
  type KeyAlgorithm,
  type PaymentSigner,
  parsePublicKey,
  type SecretKey,
  secretKeyFromHex,
  secretKeyToPem,
  signDigest,
} from '@x402-casper/shared';
import { browser } from 'wxt/browser';
import { WalletError } from './errors.js';
import { readArea, removeArea, Serial, writeArea } from './store.js';
import { siteText } from './text.js';
import {
  checkNewPassword,
  openVault,
  type SealedVault,
  sealVault,
  type VaultKey,
} from './vault.js';

/** What anyone in the extension may know about an account: no secret in it. */
export interface AccountInfo {
  /** The tagged public key hex; also the account's id. */
  publicKey: string;
  name: string;
  algorithm: KeyAlgorithm;
  accountHash: string;
  /** x402 address: `00` + account hash. */
  address: string;
}

interface Unlocked {
  keys: VaultKey[];
  /** When the wallet locks itself (ms since epoch). */
  lockAt: number;
  /** The key that authenticates budgets (hex): from the vault, never in storage.local. */
  sealKey?: string;
}

interface Failures {
  count: number;
  retryAt: number;
}

const VAULT = 'vault';
const ACCOUNTS = 'accounts';
const FAILURES = 'unlockFailures';
const UNLOCKED = 'unlocked';
export const AUTO_LOCK_ALARM = 'auto-lock';

/** Free attempts before the wallet makes you wait; then 5 s, 10 s, … up to 5 minutes. */
export const FREE_ATTEMPTS = 3;
export function unlockDelayMs(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(5_000 * 2 ** (failures - FREE_ATTEMPTS), 300_000);
}

function accountInfo(key: SecretKey, name: string): AccountInfo {
  return {
    publicKey: key.publicKey.hex,
    name,
    algorithm: key.algorithm,
    accountHash: accountHashOf(key.publicKey),
    address: addressOfPublicKey(key.publicKey),
  };
}

/**
 * The keys: sealed at rest in `storage.local`, decrypted only into `storage.session`
 * (memory, never written to disk, closed to content scripts) while unlocked.
 */
export class Keyring {
  private readonly serial = new Serial();

  constructor(
    private readonly autoLockMinutes: () => Promise<number>,
    private readonly now: () => number = Date.now,
  ) {}

  async hasWallet(): Promise<boolean> {
    return (await readArea<SealedVault | null>('local', VAULT, null)) !== null;
  }

  /**
   * The accounts, with their hash and address worked out from the public key, never read
   * from storage; while unlocked, only those whose key is in the vault. A rewritten record
   * cannot make the wallet show another account hash, nor an account it has no key for.
   */
  async accounts(): Promise<AccountInfo[]> {
    const stored = await readArea<AccountInfo[]>('local', ACCOUNTS, []);
    const unlocked = await this.unlockedSession();
    const known = unlocked ? new Set(unlocked.keys.map((k) => k.id)) : undefined;
    const accounts: AccountInfo[] = [];
    for (const account of Array.isArray(stored) ? stored : []) {
      try {
        const publicKey = parsePublicKey(String(account?.publicKey));
        if (known && !known.has(publicKey.hex)) continue;
        accounts.push({
          publicKey: publicKey.hex,
          name: siteText(account.name, 40) || 'Account',
          algorithm: publicKey.algorithm,
          accountHash: accountHashOf(publicKey),
          address: addressOfPublicKey(publicKey),
        });
      } catch {
        // Not a public key: not an account.
      }
    }
    return accounts;
  }

  /** The key budgets are authenticated with; null while locked. */
  async sealKey(): Promise<Uint8Array | null> {
    const unlocked = await this.unlockedSession();
    return unlocked?.sealKey ? hexToBytes(unlocked.sealKey, 'sealKey', 32) : null;
  }

  private async unlockedSession(): Promise<Unlocked | null> {
    const unlocked = await readArea<Unlocked | null>('session', UNLOCKED, null);
    return unlocked && this.now() < unlocked.lockAt ? unlocked : null;
  }

  /** Sets the password and stores the first key; the wallet is unlocked afterwards. */
  create(password: string, key: SecretKey): Promise<AccountInfo> {
    return this.serial.run(async () => {
      if (await this.hasWallet()) {
        throw new WalletError('wallet_exists', 'A wallet already exists in this browser.');
      }
      checkNewPassword(password);
      const keys = [{ id: key.publicKey.hex, algorithm: key.algorithm, secretHex: hexOf(key) }];
      const sealKey = newSealKey();
      await writeArea('local', VAULT, await sealVault({ keys, sealKey }, password));
      const info = accountInfo(key, 'Account 1');
      await writeArea('local', ACCOUNTS, [info]);
      await this.startSession(keys, sealKey);
      return info;
    });
  }

  /** Adds another key; needs the password because the vault is re-encrypted. */
  addKey(password: string, key: SecretKey): Promise<AccountInfo> {
    return this.serial.run(async () => {
      const contents = await this.openWithPassword(password);
      if (contents.keys.some((k) => k.id === key.publicKey.hex)) {
        throw new WalletError('wallet_exists', 'This key is already in the wallet.');
      }
      contents.keys.push({
        id: key.publicKey.hex,
        algorithm: key.algorithm,
        secretHex: hexOf(key),
      });
      contents.sealKey ??= newSealKey();
      await writeArea('local', VAULT, await sealVault(contents, password));
      const accounts = await this.accounts();
      const info = accountInfo(key, `Account ${accounts.length + 1}`);
      await writeArea('local', ACCOUNTS, [...accounts, info]);
      await this.startSession(contents.keys, contents.sealKey);
      return info;
    });
  }

  unlock(password: string): Promise<void> {
    return this.serial.run(async () => {
      const contents = await this.openWithPassword(password);
      if (!contents.sealKey) {
        // A vault from before budgets were authenticated: it gets its key now.
        contents.sealKey = newSealKey();
        await writeArea('local', VAULT, await sealVault(contents, password));
      }
      await this.startSession(contents.keys, contents.sealKey);
    });
  }

  async lock(): Promise<void> {
    await removeArea('session', UNLOCKED);
    await browser.alarms.clear(AUTO_LOCK_ALARM);
  }

  /** Unlock state; an expired session is locked on the spot (timers can be late). */
  async lockAt(): Promise<number | null> {
    const unlocked = await readArea<Unlocked | null>('session', UNLOCKED, null);
    if (!unlocked) return null;
    if (this.now() >= unlocked.lockAt) {
      await this.lock();
      return null;
    }
    return unlocked.lockAt;
  }

  async isUnlocked(): Promise<boolean> {
    return (await this.lockAt()) !== null;
  }

  /** Pushes the auto-lock deadline back after the person used the wallet. */
  async touch(): Promise<void> {
    const unlocked = await readArea<Unlocked | null>('session', UNLOCKED, null);
    if (unlocked && this.now() < unlocked.lockAt) {
      await this.startSession(unlocked.keys, unlocked.sealKey);
    }
  }

  /** The decrypted key of an account; `locked` when the wallet is locked. Never leaves here. */
  private async secretKey(publicKey: string): Promise<SecretKey> {
    if ((await this.lockAt()) === null) throw new WalletError('locked', 'The wallet is locked.');
    const unlocked = await readArea<Unlocked | null>('session', UNLOCKED, null);
    const key = unlocked?.keys.find((k) => k.id === publicKey);
    if (!key) throw new WalletError('not_found', 'No such account.');
    return secretKeyFromHex(key.algorithm, key.secretHex);
  }

  /**
   * Signs a 32-byte digest with an account's key (Casper's way, tagged 65 bytes hex): the key
   * never leaves the keyring. `locked` when the wallet is locked.
   */
  async signDigest(publicKey: string, digest: Uint8Array): Promise<string> {
    if (digest.length !== 32) throw new WalletError('unsupported', 'A digest is 32 bytes.');
    return signDigest(await this.secretKey(publicKey), digest);
  }

  /** A signer for an account: it signs digests here, and holds no key itself. */
  signer(publicKey: string): PaymentSigner {
    return { publicKey, signDigest: (digest) => this.signDigest(publicKey, digest) };
  }

  /** The secret key as PEM, only after the password is entered again. */
  exportPem(password: string, publicKey: string): Promise<string> {
    return this.serial.run(async () => {
      const contents = await this.openWithPassword(password);
      const key = contents.keys.find((k) => k.id === publicKey);
      if (!key) throw new WalletError('not_found', 'No such account.');
      return secretKeyToPem(secretKeyFromHex(key.algorithm, key.secretHex));
    });
  }

  /** When the next password attempt is allowed, if the wallet is making you wait. */
  async retryAt(): Promise<number | null> {
    const failures = await readArea<Failures>('local', FAILURES, { count: 0, retryAt: 0 });
    return failures.retryAt > this.now() ? failures.retryAt : null;
  }

  private async openWithPassword(password: string) {
    const sealed = await readArea<SealedVault | null>('local', VAULT, null);
    if (!sealed) throw new WalletError('no_wallet', 'There is no wallet yet.');
    const failures = await readArea<Failures>('local', FAILURES, { count: 0, retryAt: 0 });
    if (failures.retryAt > this.now()) {
      const seconds = Math.ceil((failures.retryAt - this.now()) / 1000);
      throw new WalletError(
        'throttled',
        `Too many wrong passwords. Try again in ${seconds} s.`,
        failures.retryAt,
      );
    }
    try {
      const contents = await openVault(sealed, typeof password === 'string' ? password : '');
      if (failures.count > 0) await removeArea('local', FAILURES);
      return contents;
    } catch (error) {
      if (error instanceof WalletError && error.code === 'wrong_password') {
        const count = failures.count + 1;
        const delay = unlockDelayMs(count);
        await writeArea('local', FAILURES, { count, retryAt: delay ? this.now() + delay : 0 });
        if (delay) {
          throw new WalletError(
            'wrong_password',
            `Wrong password. Wait ${Math.ceil(delay / 1000)} s before trying again.`,
            this.now() + delay,
          );
        }
      }
      throw error;
    }
  }

  private async startSession(keys: VaultKey[], sealKey: string | undefined) {
    const lockAt = this.now() + (await this.autoLockMinutes()) * 60_000;
    await writeArea('session', UNLOCKED, {
      keys,
      lockAt,
      ...(sealKey ? { sealKey } : {}),
    } satisfies Unlocked);
    await browser.alarms.create(AUTO_LOCK_ALARM, { when: lockAt });
  }
}

function newSealKey(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

function hexOf(key: SecretKey): string {
  return bytesToHex(key.bytes);
}
