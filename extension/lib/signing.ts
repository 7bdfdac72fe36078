// Signing one authorization for one payment option, once it is approved (by the person or a
// budget): the keyring signs the digest (no key leaves it), the history gets the record first.
import {
  addressOfPublicKey,
  createPaymentPayload,
  encodePaymentSignature,
  type ResourceInfo,
} from '@x402-casper/shared';
import { randomId } from './approval-queue.js';
import type { History, PaymentRecord } from './history.js';
import type { Keyring } from './keyring.js';
import type { PaymentOption } from './options.js';
import { askerOf, type PayRequest, type Requester } from './site-policy.js';
import { siteText } from './text.js';

export interface Signed {
  type: 'signed';
  paymentSignature: string;
  paymentId: string;
  notice?: string;
}

/** What the history records of a request for `option`, before any outcome. */
export function recordBase(
  requester: Requester,
  request: PayRequest,
  resource: ResourceInfo,
  option: PaymentOption,
  now: number,
): Omit<PaymentRecord, 'status'> {
  const asker = askerOf(requester, request);
  const description = siteText(resource.description, 160);
  return {
    id: randomId(),
    time: now,
    origin: asker,
    ...(asker !== requester.origin ? { page: requester.origin } : {}),
    requester: requester.origin,
    url: resource.url || request.url,
    ...(description ? { description } : {}),
    network: option.network.id,
    asset: option.asset,
    symbol: option.symbol,
    decimals: option.decimals,
    knownToken: option.token !== undefined,
    amount: option.amount,
    payTo: option.payTo,
  };
}

export class AuthorizationSigner {
  constructor(
    private readonly keyring: Keyring,
    private readonly history: History,
    private readonly now: () => number,
  ) {}

  /** Signs `option` with `account`, records it pending, and answers the header value. */
  async sign(
    requester: Requester,
    request: PayRequest,
    resource: ResourceInfo,
    option: PaymentOption,
    approvedBy: 'window' | 'budget',
    account: string,
  ): Promise<Signed> {
    const payload = await createPaymentPayload(option.requirements, this.keyring.signer(account), {
      now: Math.floor(this.now() / 1000),
      resource,
    });
    const paymentSignature = encodePaymentSignature(payload);
    const { from, nonce, validAfter, validBefore } = payload.payload.authorization as Record<
      'from' | 'nonce' | 'validAfter' | 'validBefore',
      string
    >;
    const record: PaymentRecord = {
      ...recordBase(requester, request, resource, option, this.now()),
      payer: addressOfPublicKey(account),
      approvedBy,
      status: 'pending',
      message: 'Signed; waiting for the site to settle.',
      authorization: { from, nonce, validAfter, validBefore },
      paymentSignature,
    };
    await this.history.add(record);
    // A click is activity and keeps the wallet open; a budget payment is not and does not.
    if (approvedBy === 'window') await this.keyring.touch();
    return { type: 'signed', paymentSignature, paymentId: record.id };
  }
}
