// Builds and signs the `transfer_with_authorization` TransactionV1 that settles a payment.
import {
  type ArgLayout,
  addressToFormattedKey,
  bytesToHex,
  type ExactCasperPayload,
  hexToBytes,
  layoutArgs,
  type SecretKey,
} from '@x402-casper/shared';
import { type Opaque, type SdkPrivateKey, type SdkTransaction, sdk } from './casper-sdk.js';
import { ENTRY_POINT } from './token-profile.js';

const {
  Args,
  CLTypeUInt8,
  CLValue,
  ContractCallBuilder,
  Key,
  KeyAlgorithm,
  PrivateKey,
  PublicKey,
  Timestamp,
  Transaction,
} = sdk;

export type CasperTransaction = SdkTransaction;
export type SigningKey = SdkPrivateKey;

/** Longest TTL a node accepts is 2 h; settlement needs far less. */
export const MAX_TTL_MS = 30 * 60 * 1000;

/** The casper-js-sdk key that signs approvals for a secret key from the config. */
export function signingKeyOf(secretKey: SecretKey): SigningKey {
  const algorithm =
    secretKey.algorithm === 'ed25519' ? KeyAlgorithm.ED25519 : KeyAlgorithm.SECP256K1;
  return PrivateKey.fromHex(bytesToHex(secretKey.bytes), algorithm);
}

function bytesArg(hex: string, field: string) {
  return CLValue.newCLList(
    CLTypeUInt8,
    Array.from(hexToBytes(hex, field), (byte) => CLValue.newCLUint8(byte)),
  );
}

/**
 * The entry point's named arguments in the token's layout: the amount named `amount` or
 * `value`, the window as u64 or U256; everything else is the same.
 */
export function transferArgs(payload: ExactCasperPayload, layout: ArgLayout): Opaque {
  const { authorization } = payload;
  const names = layoutArgs(layout);
  const window =
    names.window === 'U64'
      ? (value: string) => CLValue.newCLUint64(value)
      : (value: string) => CLValue.newCLUInt256(value);
  return Args.fromMap({
    from: CLValue.newCLKey(Key.newKey(addressToFormattedKey(authorization.from))),
    to: CLValue.newCLKey(Key.newKey(addressToFormattedKey(authorization.to))),
    [names.amount]: CLValue.newCLUInt256(authorization.value),
    valid_after: window(authorization.validAfter),
    valid_before: window(authorization.validBefore),
    nonce: bytesArg(authorization.nonce, 'nonce'),
    public_key: CLValue.newCLPublicKey(PublicKey.fromHex(payload.publicKey)),
    signature: bytesArg(payload.signature, 'signature'),
  });
}

export interface SettlementTransaction {
  transaction: CasperTransaction;
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
  const transaction = new ContractCallBuilder()
    .from(options.signingKey.publicKey)
    .byPackageHash(options.packageHash)
    .entryPoint(ENTRY_POINT)
    .runtimeArgs(transferArgs(options.payload, options.argLayout))
    .chainName(options.chainName)
    .timestamp(new Timestamp(new Date(now)))
    .ttl(ttl)
    .payment(Number(options.paymentMotes), 1)
    .build();
  transaction.sign(options.signingKey);
  return {
    transaction,
    hash: transaction.hash.toHex(),
    json: JSON.stringify(transaction.toJSON()),
    expiresAt: now + ttl,
  };
}

/** A stored transaction back as an SDK object, its hash and approvals checked. */
export function transactionFromJson(json: string): CasperTransaction {
  const transaction = Transaction.fromJSON(JSON.parse(json));
  if (transaction.approvals.length === 0) throw new Error('stored transaction has no approval');
  transaction.validate();
  return transaction;
}
