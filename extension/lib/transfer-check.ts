// Whether a transaction a site reported is this payment: a call of the token's
// transfer_with_authorization with this authorization's from, to, amount and nonce, as the
// node returns it (`info_get_transaction`). Only then is it called this payment's transaction
// and linked to an explorer.
import { decodeByteList, decodeUnsigned, ENTRY_POINT } from '@x402-casper/shared';

/** What the wallet signed, as the transfer must carry it. */
export interface ExpectedTransfer {
  /** Token contract package hash. */
  asset: string;
  /** The token's current contract hash, for a call made by contract rather than package. */
  contractHash?: string;
  from: string;
  to: string;
  amount: string;
  nonce: string;
}

/**
 * this-payment: the transaction is this authorization's transfer; another: it is something
 * else (another call, token, payer, payee, amount or nonce); unreadable: the node's answer
 * does not have a TransactionV1's shape (a legacy deploy, say), so the wallet cannot tell.
 */
export type ReportedTransfer = 'this-payment' | 'another' | 'unreadable';

type Json = Record<string, unknown>;
const object = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;

/** The hex of a CLValue argument's value, or undefined when it is not one. */
function argBytes(args: unknown[], name: string): { bytes: string; type: unknown } | undefined {
  for (const entry of args) {
    if (!Array.isArray(entry) || entry[0] !== name) continue;
    const value = object(entry[1]);
    if (typeof value?.bytes !== 'string') return undefined;
    return { bytes: value.bytes.toLowerCase(), type: value.cl_type };
  }
  return undefined;
}

/** A `Bytes` argument (List<U8>, or a 32-byte array) as hex. */
function bytesOf(arg: { bytes: string; type: unknown } | undefined): string | undefined {
  if (!arg) return undefined;
  if (object(arg.type)?.ByteArray !== undefined) return arg.bytes;
  return decodeByteList(arg.bytes);
}

/** Reads `info_get_transaction`'s result: is its transaction this payment? */
export function reportedTransfer(result: unknown, expected: ExpectedTransfer): ReportedTransfer {
  const fields = object(
    object(object(object(object(result)?.transaction)?.Version1)?.payload)?.fields,
  );
  const args = object(fields?.args)?.Named;
  if (!fields || !Array.isArray(args)) return 'unreadable';
  const entryPoint = object(fields.entry_point)?.Custom;
  const id = object(object(object(fields.target)?.Stored)?.id);
  const byPackage = object(id?.ByPackageHash)?.addr;
  const byContract = id?.ByHash;
  const target =
    typeof byPackage === 'string'
      ? byPackage.toLowerCase() === expected.asset.toLowerCase()
      : typeof byContract === 'string' && expected.contractHash !== undefined
        ? byContract.toLowerCase() === expected.contractHash.toLowerCase()
        : false;
  if (entryPoint !== ENTRY_POINT || !target) return 'another';
  try {
    const amount = argBytes(args, 'amount') ?? argBytes(args, 'value');
    const same =
      argBytes(args, 'from')?.bytes === expected.from.toLowerCase() &&
      argBytes(args, 'to')?.bytes === expected.to.toLowerCase() &&
      amount !== undefined &&
      decodeUnsigned(amount.bytes, 256) === BigInt(expected.amount) &&
      bytesOf(argBytes(args, 'nonce')) === expected.nonce.toLowerCase().replace(/^0x/, '');
    return same ? 'this-payment' : 'another';
  } catch {
    // An argument that is not the CLValue it should be: not this payment's transfer.
    return 'another';
  }
}
