// GET /health: per network, whether its RPC endpoint answers, the latest block height and
// the fee payer's CSPR. One check runs at a time and its result is shared for a few
// seconds, so however often /health is hit, the node sees a bounded number of calls.
import type { NetworkContext } from './network.js';

/** How long one health check's result answers /health. */
export const HEALTH_CACHE_MS = 5000;

export interface NetworkHealth {
  network: string;
  ok: boolean;
  blockHeight?: number;
  feePayer: string;
  feePayerBalance?: string;
  error?: string;
}

export interface HealthReport {
  ok: boolean;
  networks: NetworkHealth[];
}

async function networkHealth(context: NetworkContext): Promise<NetworkHealth> {
  const base = { network: context.config.network, feePayer: context.feePayer.publicKey };
  try {
    const [blockHeight, balance] = await Promise.all([
      context.chain.latestBlockHeight(),
      context.chain.accountBalance(context.feePayer.publicKey),
    ]);
    const funded = balance >= context.config.paymentMotes;
    return {
      ...base,
      ok: funded,
      blockHeight,
      feePayerBalance: balance.toString(),
      ...(funded
        ? {}
        : {
            error: `fee payer holds less than one payment (${context.config.paymentMotes} motes)`,
          }),
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
