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
 * has neither a TransactionV1's nor a Deploy's shape, so the wallet cannot tell.
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

/** A hash as hex, without the prefix a node may print (`hash-`, `contract-package-`…). */
const bare = (hash: string) =>
  hash.toLowerCase().replace(/^(contract-package-|package-|contract-|hash-)/, '');

/** What a transaction calls: its entry point, the package or contract, and the arguments. */
interface Call {
  entryPoint: unknown;
  byPackage: unknown;
  byContract: unknown;
  args: unknown;
}

/** A TransactionV1's call (`payload.fields`). */
function v1Call(tx: Json): Call | undefined {
  const fields = object(object(tx.payload)?.fields);
  if (!fields) return undefined;
  const id = object(object(object(fields.target)?.Stored)?.id);
  return {
    entryPoint: object(fields.entry_point)?.Custom,
    byPackage: object(id?.ByPackageHash)?.addr,
    byContract: id?.ByHash,
    args: object(fields.args)?.Named,
  };
}

/**
 * A legacy Deploy's session call: a stored contract by package hash or by contract hash. A
 * native transfer is another call; Wasm, or a contract named by the sender's own named keys,
 * cannot be told.
 */
function deployCall(deploy: Json): Call | undefined {
  const session = object(deploy.session);
  if (session?.Transfer !== undefined) {
    return { entryPoint: 'Transfer', byPackage: undefined, byContract: undefined, args: [] };
  }
  const byPackage = object(session?.StoredVersionedContractByHash);
  const byContract = object(session?.StoredContractByHash);
  const call = byPackage ?? byContract;
  if (!call) return undefined;
  return {
    entryPoint: call.entry_point,
    byPackage: byPackage?.hash,
    byContract: byContract?.hash,
    args: call.args,
  };
}

/**
 * Reads `info_get_transaction`'s result: is its transaction (a TransactionV1, or a legacy
 * Deploy) this payment?
 */
export function reportedTransfer(result: unknown, expected: ExpectedTransfer): ReportedTransfer {
  const transaction = object(object(result)?.transaction);
  const v1 = object(transaction?.Version1);
  const deploy = object(transaction?.Deploy);
  const call = v1 ? v1Call(v1) : deploy ? deployCall(deploy) : undefined;
  const args = call?.args;
  if (!call || !Array.isArray(args)) return 'unreadable';
  const { byPackage, byContract } = call;
  const target =
    typeof byPackage === 'string'
      ? bare(byPackage) === bare(expected.asset)
      : typeof byContract === 'string' && expected.contractHash !== undefined
        ? bare(byContract) === bare(expected.contractHash)
        : false;
  if (call.entryPoint !== ENTRY_POINT || !target) return 'another';
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
