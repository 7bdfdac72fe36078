// Builds and signs the `transfer_with_authorization` TransactionV1 that settles a payment:
// shared's TransactionV1 builder (byte for byte what casper-js-sdk writes), signed with Node's
// crypto. casper-js-sdk only re-reads a stored transaction before it is sent again.
import { createRequire } from 'node:module';
import {
  type ArgLayout,
  approvedTransactionV1,
  buildContractCall,
  type CLArg,
  clArg,
  ENTRY_POINT,
  type ExactCasperPayload,
  hexToBytes,
  layoutArgs,
  type SecretKey,
} from '@x402-casper/shared';
import { type DigestSigner, digestSignerOf } from './signature.js';

/** A stored transaction as casper-js-sdk reads it back (its declarations do not compile here). */
export interface CasperTransaction {
  readonly hash: { toHex(): string };
  readonly approvals: unknown[];
  /** Throws unless the hash and approvals match the payload. */
  validate(): boolean;
}
type SdkTransaction = { fromJSON(json: unknown): CasperTransaction };
let sdkTransaction: SdkTransaction | undefined;

/**
 * casper-js-sdk's Transaction, loaded the first time a stored transaction is read back (a
 * resumed settlement): loaded up front, it took about 10 MB of heap that every major garbage
 * collection of a running facilitator walked, for a path most processes never take.
 */
function sdk(): SdkTransaction {
  sdkTransaction ??= (
    createRequire(import.meta.url)('casper-js-sdk') as { Transaction: SdkTransaction }
  ).Transaction;
  return sdkTransaction;
}
export type SigningKey = DigestSigner;

/** Longest TTL a node accepts is 2 h; settlement needs far less. */
export const MAX_TTL_MS = 30 * 60 * 1000;

/** What signs settlement transactions for a fee payer key from the config. */
export function signingKeyOf(secretKey: SecretKey): SigningKey {
  return digestSignerOf(secretKey);
}

/**
 * The entry point's named arguments in the token's layout: the amount named `amount` or
 * `value`, the window as u64 or U256; everything else is the same.
 */
export function transferArgs(payload: ExactCasperPayload, layout: ArgLayout): [string, CLArg][] {
  const { authorization } = payload;
  const names = layoutArgs(layout);
  const window = (value: string) =>
    names.window === 'U64' ? clArg.u64(BigInt(value)) : clArg.u256(BigInt(value));
  return [
    ['from', clArg.key(authorization.from, 'authorization.from')],
    ['to', clArg.key(authorization.to, 'authorization.to')],
    [names.amount, clArg.u256(BigInt(authorization.value))],
    ['valid_after', window(authorization.validAfter)],
    ['valid_before', window(authorization.validBefore)],
    ['nonce', clArg.bytes(hexToBytes(authorization.nonce, 'authorization.nonce'))],
    ['public_key', clArg.publicKey(payload.publicKey, 'publicKey')],
    ['signature', clArg.bytes(hexToBytes(payload.signature, 'signature'))],
  ];
}

export interface SettlementTransaction {
  hash: string;
  json: string;
  expiresAt: number;
}

/**
 * A signed PaymentLimited TransactionV1 calling the token package. Its TTL runs until the
 * authorization expires (the contract refuses it from then on), thirty minutes at most.
 */
export function buildSettlementTransaction(options: {
  payload: ExactCasperPayload;
  packageHash: string;
  argLayout: ArgLayout;
  chainName: string;
  paymentMotes: bigint;
  signingKey: SigningKey;
  nowMs?: number;
}): SettlementTransaction {
  const now = options.nowMs ?? Date.now();
  const untilExpiry = Number(options.payload.authorization.validBefore) * 1000 - now;
  if (untilExpiry <= 0) throw new RangeError('the authorization has expired: nothing to send');
  const ttl = Math.min(MAX_TTL_MS, untilExpiry);
  const unsigned = buildContractCall({
    chainName: options.chainName,
    initiator: options.signingKey.publicKey,
    packageHash: options.packageHash,
    entryPoint: ENTRY_POINT,
    args: transferArgs(options.payload, options.argLayout),
    paymentMotes: options.paymentMotes,
    timestampMs: now,
    ttlMs: ttl,
  });
  const { signingKey } = options;
  const json = approvedTransactionV1(
    unsigned,
    signingKey.publicKey,
    signingKey.sign(unsigned.hash),
  );
  return { hash: json.hash, json: JSON.stringify(json), expiresAt: now + ttl };
}

/** A stored transaction back as an SDK object, its hash and approvals checked. */
export function transactionFromJson(json: string): CasperTransaction {
  const transaction = sdk().fromJSON(JSON.parse(json));
  if (transaction.approvals.length === 0) throw new Error('stored transaction has no approval');
  transaction.validate();
  return transaction;
}

/**
 * The payment (motes) a stored settlement transaction was built with; undefined for JSON not in
 * the PaymentLimited form this facilitator writes.
 */
export function paymentOf(transactionJson: string): bigint | undefined {
  try {
    const amount = (
      JSON.parse(transactionJson) as {
        payload?: { pricing_mode?: { PaymentLimited?: { payment_amount?: unknown } } };
      }
    ).payload?.pricing_mode?.PaymentLimited?.payment_amount;
    return typeof amount === 'number' && Number.isSafeInteger(amount) ? BigInt(amount) : undefined;
  } catch {
    return undefined;
  }
}
