// The Casper `exact` scheme for @x402/core's x402Facilitator: the same verification and
// settlement engine as our HTTP facilitator (ledger, chain checks, one transaction per
// authorization), behind the SchemeNetworkFacilitator interface.
import {
  EXACT_SCHEME,
  parseVerifyRequest,
  type SettleResponse,
  type VerifyRequest,
  type VerifyResponse,
  X402InputError,
} from '@x402-casper/shared';
import type { FacilitatorConfig } from './config.js';
import { Engine, partsOf } from './engine.js';
import type { Log } from './settle.js';

/** A CAIP-2 id, typed as @x402/core types it. */
type Network = `${string}:${string}`;

/** Why a request could not be read, as the x402 reason and a message naming the field. */
function malformed(error: unknown): { reason: string; message: string } {
  if (error instanceof X402InputError) return { reason: 'invalid_payload', message: error.message };
  throw error;
}

const ignore = () => {};
const silent: Log = { info: ignore, warn: ignore, error: ignore };

export class ExactCasperFacilitatorScheme {
  readonly scheme = EXACT_SCHEME;
  readonly caipFamily = 'casper:*';
  /** The configured networks: register the scheme for these. */
  readonly networks: Network[];
  private readonly engine: Engine;
  /** The ledger migrated and unfinished settlements resumed; verify and settle wait for it. */
  private readonly started: Promise<number>;

  /**
   * Opens the ledger at `config.database` and resumes settlements a previous run left
   * unfinished. An SQLite ledger file belongs to one running facilitator: do not share it with
   * a `startFacilitator` service (a PostgreSQL ledger may be shared, as replicas share it).
   * `config.host`, `port`, `apiKeys` and `rateLimit` are unused.
   * Settlement events go to `log` (by default nowhere).
   */
  constructor(config: FacilitatorConfig, log: Log = silent) {
    this.engine = new Engine(config, partsOf(config, log));
    this.networks = config.networks.map((n) => n.network as Network);
    this.started = this.engine.start();
    this.started.catch((error: unknown) => log.error({ err: error }, 'cannot open the ledger'));
  }

  getExtra(network: string): Record<string, unknown> | undefined {
    const kinds = this.engine.supported().kinds;
    return kinds.find((kind) => kind.network === network)?.extra;
  }

  getSigners(network: string): string[] {
    const context = this.engine.contexts.get(network);
    return context ? [context.feePayer.publicKey] : [];
  }

  async verify(paymentPayload: unknown, requirements: unknown): Promise<VerifyResponse> {
    let request: VerifyRequest;
    try {
      request = this.request(paymentPayload, requirements);
    } catch (error) {
      const { reason, message } = malformed(error);
      return { isValid: false, invalidReason: reason, invalidMessage: message };
    }
    await this.started;
    return this.engine.verify(request);
  }

  async settle(
    paymentPayload: unknown,
    requirements: unknown,
  ): Promise<SettleResponse & { network: Network }> {
    let request: VerifyRequest;
    try {
      request = this.request(paymentPayload, requirements);
    } catch (error) {
      const { reason, message } = malformed(error);
      const network = (requirements as { network?: unknown } | null)?.network;
      return {
        success: false,
        errorReason: reason,
        errorMessage: message,
        transaction: '',
        network: (typeof network === 'string' ? network : '') as Network,
      };
    }
    await this.started;
    const { response } = await this.engine.settle(request);
    return { ...response, network: response.network as Network };
  }

  /** Stops following transactions (unfinished ones resume on the next start), closes the ledger. */
  close(): Promise<void> {
    return this.engine.close();
  }

  private request(paymentPayload: unknown, requirements: unknown): VerifyRequest {
    const x402Version = (paymentPayload as { x402Version?: unknown } | null)?.x402Version;
    return parseVerifyRequest({ x402Version, paymentPayload, paymentRequirements: requirements });
  }
}
