// x402 payment requirements and signed payloads for a devnet token.
import {
  createPaymentPayload,
  type PaymentPayload,
  type PaymentRequirements,
  type SecretKey,
  secretKeySigner,
} from '@x402-casper/shared';

/** Requirements for paying `amount` of a devnet token to `payTo` (valid 300 s unless told). */
export function requirementsFor(
  network: string,
  token: { domainName: string; symbol?: string; decimals: number; packageHash: string },
  payTo: string,
  amount: string,
  maxTimeoutSeconds = 300,
): PaymentRequirements {
  return {
    scheme: 'exact',
    network,
    amount,
    asset: token.packageHash,
    payTo,
    maxTimeoutSeconds,
    extra: {
      name: token.domainName,
      version: '1',
      decimals: token.decimals,
      ...(token.symbol === undefined ? {} : { symbol: token.symbol }),
    },
  };
}

export async function paymentFor(
  payer: SecretKey,
  requirements: PaymentRequirements,
  options: { now?: number; nonce?: string } = {},
): Promise<{
  x402Version: number;
  paymentPayload: PaymentPayload;
  paymentRequirements: PaymentRequirements;
}> {
  const paymentPayload = await createPaymentPayload(requirements, secretKeySigner(payer), options);
  return { x402Version: 2, paymentPayload, paymentRequirements: requirements };
}
