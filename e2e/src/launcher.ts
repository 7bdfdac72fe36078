import { cpSync, statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestInfo } from '@playwright/test';
import type { KeyAlgorithm } from '@x402-casper/shared';
import { newAccount } from './accounts.js';
import { launchChromium } from './chromium.js';
import type { Funds, TestDevnet } from './devnet.js';
import { type BudgetLimits, callExtension, openExtensionPage, Wallet } from './wallet.js';

/** How a test's wallet is set up (`test.use({ walletOptions })`). */
export interface WalletOptions {
  /** Lets each site approved with `wallet.approve()` charge up to these limits without asking. */
  budget?: BudgetLimits;
  /** What the wallet's account holds, in whole units (each default: 100 CSPR, 1000 tokens). */
  funds?: Omit<Funds, 'token'>;
  /** `false`: the extension is installed and on the devnet, but holds no key yet. */
  onboard?: boolean;
  /** Key algorithm of the account; default ed25519. */
  algorithm?: KeyAlgorithm;
  /** More Chromium flags, e.g. `--host-resolver-rules=MAP shop.test 127.0.0.1`. */
  browserArgs?: string[];
  /**
   * The node the wallet reads the chain from; default the devnet's. A site that only checks a
   * payment's shape (never settles it) wants one the wallet cannot reach, so that the wallet goes
   * by what the site reports instead of finding the payment unsettled on chain.
   */
  rpcUrl?: string;
}

export const WALLET_PASSWORD = 'x402-casper e2e password';
const DEFAULT_FUNDS = { cspr: '100', tokens: '1000' };
/** Chromium's "profile in use" markers: never copied. */
const SINGLETON = /[/\\]Singleton(Lock|Socket|Cookie)$/;

/**
 * Where profiles go: `/dev/shm` (memory) when it has a GiB free, else the system's temporary
 * folder. A profile is copied for every test; on disk that is most of a wallet's set-up time.
 */
export function scratchDir(): string {
  try {
    const { bavail, bsize } = statfsSync('/dev/shm');
    if (bavail * bsize >= 2 ** 30) return '/dev/shm';
  } catch {
    // No /dev/shm here.
  }
  return tmpdir();
}

/**
 * Which of the wallet's networks stands for the devnet: testnet or mainnet when it has their
 * id (a devnet with their chain name), else the local network.
 */
function networkKindOf(network: string): 'mainnet' | 'testnet' | 'local' {
  if (network === 'casper:casper') return 'mainnet';
  if (network === 'casper:casper-test') return 'testnet';
  return 'local';
}

interface Template {
  dir: string;
  extensionId: string;
}

/**
 * Launches wallets for one worker. The set-up every wallet shares is done once, into a template
 * Chromium profile: the extension installed (first run), the local network (testnet or mainnet
 * for a devnet with their chain name) pointed at the worker's devnet and made active, its token
 * added. Each wallet runs on a copy of it and gets an
 * account of its own: a fresh key, funded on the devnet, imported with the password.
 */
export class WalletLauncher {
  private template: Promise<Template> | undefined;
  private readonly open = new Set<Wallet>();

  constructor(
    private readonly devnet: TestDevnet,
    private readonly dir: string,
    private readonly headless: boolean,
  ) {}

  async launch(options: WalletOptions = {}): Promise<Wallet> {
    const account = newAccount(options.algorithm);
    const [template] = await Promise.all([
      this.templateProfile(),
      this.devnet.fund(account, { ...DEFAULT_FUNDS, ...options.funds }),
    ]);
    const profile = await mkdtemp(join(this.dir, 'profile-'));
    cpSync(template.dir, profile, { recursive: true, filter: (source) => !SINGLETON.test(source) });
    const context = await launchChromium(profile, {
      headless: this.headless,
      args: options.browserArgs ?? [],
    });
    const wallet: Wallet = new Wallet(
      context,
      template.extensionId,
      account,
      WALLET_PASSWORD,
      options.budget,
      async () => {
        this.open.delete(wallet);
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    );
    this.open.add(wallet);
    if (options.rpcUrl !== undefined) {
      await wallet.call('updateNetwork', {
        kind: networkKindOf(this.devnet.network),
        rpcUrl: options.rpcUrl,
      });
    }
    if (options.onboard !== false) {
      await wallet.call('create', {
        password: WALLET_PASSWORD,
        key: { kind: 'pem', pem: account.pem },
      });
    }
    return wallet;
  }

  /** Attaches a screenshot of every approval window still open (for a failed test). */
  async attachApprovals(testInfo: TestInfo, wallets: Iterable<Wallet> = this.open): Promise<void> {
    let n = 0;
    for (const wallet of wallets) {
      for (const window of wallet.approvalWindows()) {
        n += 1;
        const body = await window.screenshot({ fullPage: true }).catch(() => undefined);
        if (body) {
          await testInfo.attach(`approval-window-${n}`, { body, contentType: 'image/png' });
        }
      }
    }
  }

  async closeAll(): Promise<void> {
    for (const wallet of [...this.open]) await wallet.close();
  }

  private templateProfile(): Promise<Template> {
    this.template ??= this.makeTemplate();
    return this.template;
  }

  private async makeTemplate(): Promise<Template> {
    const dir = await mkdtemp(join(this.dir, 'template-'));
    const context = await launchChromium(dir, { headless: true });
    try {
      const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
      const extensionId = new URL(worker.url()).host;
      const page = await openExtensionPage(context, extensionId);
      const { network, rpcUrl, token } = this.devnet;
      const kind = networkKindOf(network);
      await callExtension(page, 'updateNetwork', {
        kind,
        rpcUrl,
        ...(kind === 'local' ? { id: network } : {}),
      });
      await callExtension(page, 'updateSettings', { activeNetwork: kind });
      await callExtension(page, 'addToken', {
        networkId: network,
        token: {
          packageHash: token.packageHash,
          name: token.name,
          symbol: token.symbol,
          decimals: token.decimals,
        },
      });
      return { dir, extensionId };
    } finally {
      await context.close();
    }
  }
}
