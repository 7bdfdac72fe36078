// GET /health: per network, whether its RPC endpoint answers, the latest block height, the
// fee payer's CSPR, and each token's entry-point layout and nonce state as read from the chain. One check runs at a time and its result is shared for a few
// seconds, so however often /health is hit, the node sees a bounded number of calls.
import type { ArgLayout, NonceStore } from '@x402-casper/shared';
import type { BlockView } from './chain.js';
import type { AssetConfig } from './config.js';
import { maxPayment, type NetworkContext } from './network.js';

/** How long one health check's result answers /health. */
export const HEALTH_CACHE_MS = 5000;

export interface NetworkHealth {
  network: string;
  ok: boolean;
  blockHeight?: number;
  feePayer: string;
  feePayerBalance?: string;
  tokens?: TokenHealth[];
  error?: string;
}

/**
 * A token as the chain shows it. `nonces`: where its used nonces are read (`used_nonces`, the
 * CEP's dictionary; `odra-state`, Odra's storage), or `unreadable`: /verify then relies on the
 * ledger and the contract for them. `problem`: it cannot be settled at all.
 */
export type TokenHealth =
  | { asset: string; layout: ArgLayout; nonces: NonceStore['kind'] }
  | { asset: string; problem: string };

async function tokenHealth(
  context: NetworkContext,
  asset: AssetConfig,
  block: BlockView,
): Promise<TokenHealth> {
  const profile = await context.chain.tokenProfile(asset, block);
  if (!profile.usable) return { asset: asset.packageHash, problem: profile.problem };
  return {
    asset: asset.packageHash,
    layout: profile.layout,
    nonces: profile.nonces.kind,
  };
}

export interface HealthReport {
  ok: boolean;
  networks: NetworkHealth[];
}

async function networkHealth(context: NetworkContext): Promise<NetworkHealth> {
  const base = { network: context.config.network, feePayer: context.feePayer.publicKey };
  try {
    const block = await context.chain.view('live');
    const [balance, tokens] = await Promise.all([
      context.chain.accountBalance(context.feePayer.publicKey, block),
      Promise.all(context.config.assets.map((asset) => tokenHealth(context, asset, block))),
    ]);
    const blockHeight = block.height;
    const funded = balance >= maxPayment(context.config);
    const unusable = tokens.filter((token) => 'problem' in token);
    const errors = [
      ...(funded
        ? []
        : [`fee payer holds less than one payment (${maxPayment(context.config)} motes)`]),
      ...unusable.map((token) => `token ${token.asset} cannot be settled`),
    ];
    return {
      ...base,
      ok: errors.length === 0,
      blockHeight,
      feePayerBalance: balance.toString(),
      tokens,
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    };
  } catch (error) {
    return { ...base, ok: false, error: (error as Error).message };
  }
}

export class HealthCheck {
  private cached: { report: HealthReport; at: number } | undefined;
  private running: Promise<HealthReport> | undefined;

  constructor(
    private readonly contexts: Map<string, NetworkContext>,
    private readonly now: () => number,
    private readonly cacheMs = HEALTH_CACHE_MS,
  ) {}

  /** The latest report if it is recent, else the running check's (one is started if none). */
  report(): Promise<HealthReport> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) {
      return Promise.resolve(this.cached.report);
    }
    this.running ??= this.check().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async check(): Promise<HealthReport> {
    const networks = await Promise.all([...this.contexts.values()].map(networkHealth));
    const report = { ok: networks.every((network) => network.ok), networks };
    this.cached = { report, at: this.now() };
    return report;
  }
}
