// The facilitator without HTTP: its networks, its ledger, verification and settlement. The
// HTTP service and the @x402/core facilitator scheme both run on one of these.
import {
  type SettleRequest,
  type SupportedResponse,
  type VerifyRequest,
  type VerifyResponse,
  X402_VERSION,
} from '@x402-casper/shared';
import type { FacilitatorConfig } from './config.js';
import { Ledger } from './ledger.js';
import { type ChainOf, type NetworkContext, networkContexts, nodeChains } from './network.js';
import { type Log, type SettleOutcome, Settler } from './settle.js';
import { openDb } from './sql.js';
import { verify } from './verify.js';

export function supportedResponse(contexts: Map<string, NetworkContext>): SupportedResponse {
  const contextList = [...contexts.values()];
  return {
    kinds: contextList.map((context) => ({
      x402Version: X402_VERSION,
      scheme: 'exact',
      network: context.config.network,
      extra: {
        feePayer: context.feePayer.publicKey,
        feePayerAddress: context.feePayer.address,
        assets: context.config.assets.map((asset) => ({
          asset: asset.packageHash,
          name: asset.domainName,
          version: asset.version,
          decimals: asset.decimals,
          ...(asset.symbol ? { symbol: asset.symbol } : {}),
        })),
      },
    })),
    extensions: [],
    signers: { 'casper:*': [...new Set(contextList.map((c) => c.feePayer.publicKey))] },
  };
}

/** What the core runs on, given to it rather than made by it, so tests can give fakes. */
export interface EngineParts {
  ledger: Ledger;
  /** Each configured network's chain. */
  chainOf: ChainOf;
  /** The clock, ms since the epoch. */
  now: () => number;
  log: Log;
}

/**
 * The parts of a facilitator: the ledger in the configured database, each network's node and
 * the wall clock, unless `given` has its own.
 */
export function partsOf(
  config: FacilitatorConfig,
  log: Log,
  given: Partial<Omit<EngineParts, 'log'>> = {},
): EngineParts {
  return {
    ledger: given.ledger ?? new Ledger(openDb(config.database)),
    chainOf: given.chainOf ?? nodeChains(config),
    now: given.now ?? Date.now,
    log,
  };
}

export class Engine {
  readonly ledger: Ledger;
  readonly contexts: Map<string, NetworkContext>;
  readonly settler: Settler;

  /** The clock, ms since the epoch. */
  readonly now: () => number;

  constructor(
    private readonly config: FacilitatorConfig,
    parts: EngineParts,
  ) {
    const { ledger, chainOf, now, log } = parts;
    this.now = now;
    this.ledger = ledger;
    this.contexts = networkContexts(config, chainOf);
    this.settler = new Settler(this.contexts, this.ledger, {
      settleTimeoutMs: config.settleTimeoutMs,
      pollIntervalMs: config.pollIntervalMs,
      leaseMs: config.leaseMs,
      settlementMarginSeconds: config.settlementMarginSeconds,
      log,
      now: this.now,
    });
  }

  supported(): SupportedResponse {
    return supportedResponse(this.contexts);
  }

  verify(request: VerifyRequest): Promise<VerifyResponse> {
    return verify(this.contexts, this.ledger, request, {
      now: Math.floor(this.now() / 1000),
      settlementMarginSeconds: this.config.settlementMarginSeconds,
    });
  }

  /** Settles; `deliveryKey` identifies the caller's request for a repeated answer (see Settler). */
  settle(request: SettleRequest, deliveryKey?: string): Promise<SettleOutcome> {
    return this.settler.settle(request, deliveryKey);
  }

  /**
   * Waits for the ledger's schema, resumes the settlements left reserved or submitted with no
   * replica following them, then keeps sweeping for such rows. Returns how many it resumed.
   */
  async start(): Promise<number> {
    await this.ledger.ready;
    // An SQLite ledger belongs to one process: leases left in it are its previous run's.
    if (this.ledger.kind === 'sqlite') await this.ledger.clearLeases();
    const resumed = await this.settler.reconcile();
    // Rows no replica follows (a failed submission, a replica that died) are taken up again.
    this.settler.startSweeping(this.config.leaseMs);
    return resumed;
  }

  /** Stops following transactions (unfinished ones resume on the next start), closes the ledger. */
  async close(): Promise<void> {
    await this.settler.close();
    await this.ledger.close();
  }
}
