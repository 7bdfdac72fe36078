import { findKnownAsset } from '../casper/assets.js';
import { X402InputError } from '../errors.js';
import { createPaymentPayload } from '../exact/create.js';
import { EXACT_SCHEME, parseExactRequirements } from '../exact/requirements.js';
import type { PaymentSigner } from '../exact/signer.js';
import { parseUint } from '../uint.js';
import { X402_VERSION } from '../x402/schemas.js';
import type { SchemeRequirements } from './types.js';

/** What @x402/core's x402Client passes along: the resolved atomic spend cap, if any. */
export interface PaymentPayloadContext {
  extensions?: Record<string, unknown>;
  maxAmountPerPayment?: string;
}

/**
 * The Casper `exact` scheme for @x402/core's `x402Client` (and so `@x402/fetch`,
 * `@x402/axios`): signs a CEP-3009 TransferWithAuthorization with `signer`.
 * Register it per network: `client.register('casper:casper-test', new ExactCasperClientScheme(signer))`.
 */
export class ExactCasperClientScheme {
  readonly scheme = EXACT_SCHEME;

  constructor(private readonly signer: PaymentSigner) {}

  /**
   * The dollar stablecoins this scheme knows (csprUSD on casper:casper and casper:casper-test),
   * for @x402/core's `x402Client`: it lets them through its default spend controls, with its
   * dollar cap; any other token still needs an explicit opt-in.
   */
  findDefaultAsset(
    asset: string,
    network: string,
  ): { asset: string; decimals: number; symbol: string } | undefined {
    const known = findKnownAsset(network, asset);
    if (!known?.usd) return undefined;
    return { asset: known.packageHash, decimals: known.decimals, symbol: known.symbol };
  }

  async createPaymentPayload(
    x402Version: number,
    requirements: SchemeRequirements,
    context?: PaymentPayloadContext,
  ): Promise<{ x402Version: number; payload: Record<string, unknown> }> {
    if (x402Version !== X402_VERSION) {
      throw new X402InputError('x402Version', `must be ${X402_VERSION}, got ${x402Version}`);
    }
    const exact = parseExactRequirements(requirements);
    if (context?.maxAmountPerPayment !== undefined) {
      const cap = parseUint(context.maxAmountPerPayment, 'maxAmountPerPayment');
      if (exact.amount > cap) {
        throw new X402InputError(
          'requirements.amount',
          `${exact.amount} is above the spend cap of ${cap} per payment`,
        );
      }
    }
    const signed = await createPaymentPayload(requirements, this.signer);
    return { x402Version: X402_VERSION, payload: signed.payload };
  }
}
