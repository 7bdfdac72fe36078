// Accepting a TransactionV1 the way a node's transaction acceptor does: parse it with
// casper-js-sdk, then apply the node's validity rules, refusing with -32016 and its reasons.
import {
  accountHashOf,
  bytesToHex,
  hexToBytes,
  parsePublicKey,
  verifySignature,
} from '@x402-casper/shared';
import { invalidParams, invalidTransaction, INVALID_TRANSACTION as REASON } from './errors.js';
import { type SdkCLValue, type SdkTransactionV1, sdk } from './sdk.js';
import { type TokenState, tokenByContractHash, type WorldState } from './state.js';
import type { ArgValue } from './token.js';
import { entryPointsOf } from './token.js';

/** Node limits (mainnet/testnet chainspec, FACTS §3). */
export const LIMITS = {
  minPaymentMotes: 2_500_000_000n,
  minBalanceMotes: 2_500_000_000n,
  maxTtlMs: 2 * 60 * 60 * 1000,
  timestampLeewayMs: 2_000,
  /** Payments up to 5 CSPR go to the small Wasm lane, whose runtime args are at most 512 bytes. */
  smallLanePaymentMotes: 5_000_000_000n,
  smallLaneMaxArgsBytes: 512,
  largerLaneMaxArgsBytes: 1_024,
} as const;

/** Wasm lanes as the devnet files them in block bodies: small (5) and medium (4). */
export function laneOf(paymentMotes: bigint): string {
  return paymentMotes <= LIMITS.smallLanePaymentMotes ? '5' : '4';
}

export interface AcceptedTransaction {
  hash: string;
  /** The TransactionV1 JSON as received. */
  json: Record<string, unknown>;
  initiatorAccountHash: string;
  /** `{PublicKey: hex}` or `{AccountHash: "account-hash-…"}`, as in the payload. */
  initiatorAddr: Record<string, string>;
  paymentMotes: string;
  packageHash: string;
  entryPoint: string;
  args: Record<string, ArgValue>;
  sizeEstimate: number;
}

export interface AcceptContext {
  chainName: string;
  /** Wall-clock time in ms, which a node's acceptor compares timestamps with. */
  nowMs: number;
  state: WorldState;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses with casper-js-sdk, which recomputes the hash; approvals are checked separately. */
function parseWithSdk(v1: Record<string, unknown>): SdkTransactionV1 {
  try {
    return sdk.TransactionV1.fromJSON({ ...v1, approvals: [] });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message === 'invalid transaction hash') throw invalidTransaction(REASON.hash);
    throw invalidParams('transaction', `not a valid TransactionV1: ${message}`);
  }
}

/** Decodes a runtime argument with the SDK into the form the token contract reads. */
function decodeArg(value: SdkCLValue): ArgValue {
  const type = JSON.stringify(value.type.toJSON());
  const bytes = value.bytes();
  let decoded: string | null = null;
  if (value.key) {
    decoded = bytes.length === 33 && (bytes[0] === 0 || bytes[0] === 1) ? bytesToHex(bytes) : null;
  } else if (value.publicKey) decoded = value.publicKey.toHex();
  else if (value.ui256 || value.ui64 || value.ui512 || value.ui32 || value.ui8) {
    decoded = (value.ui256 ?? value.ui64 ?? value.ui512 ?? value.ui32 ?? value.ui8)!.toString();
  } else if (type === '{"List":"U8"}') decoded = bytesToHex(bytes.subarray(4));
  else if (value.byteArray) decoded = bytesToHex(bytes);
  else if (value.stringVal) decoded = value.stringVal.toString();
  return { type, value: decoded };
}

function checkApprovals(v1: Record<string, unknown>, hash: string, initiatorAccountHash: string) {
  const approvals = v1.approvals;
  if (!Array.isArray(approvals)) throw invalidParams('transaction.approvals', 'must be an array');
  if (approvals.length === 0) throw invalidTransaction(REASON.emptyApprovals);
  const message = hexToBytes(hash);
  for (const approval of approvals) {
    const signer = isRecord(approval) ? approval.signer : undefined;
    const signature = isRecord(approval) ? approval.signature : undefined;
    if (
      typeof signer !== 'string' ||
      typeof signature !== 'string' ||
      !verifySignature(signer, message, signature)
    ) {
      throw invalidTransaction(REASON.invalidApproval);
    }
    if (accountHashOf(signer) !== initiatorAccountHash) {
      throw invalidTransaction(REASON.associatedKeys);
    }
  }
}

function targetToken(tx: SdkTransactionV1, state: WorldState): TokenState {
  const target = tx.payload.fields.target;
  const id = target.stored?.id;
  if (!target.stored || !id) throw invalidTransaction(REASON.unsupportedTarget);
  if (JSON.stringify(target.stored.runtime.toJSON()) !== '"VmCasperV1"') {
    throw invalidTransaction(REASON.runtime);
  }
  let token: TokenState | undefined;
  if (id.byPackageHash) {
    token = state.tokens[id.byPackageHash.addr.toHex()];
    if (!token) throw invalidTransaction(REASON.noSuchPackage);
    const version = id.byPackageHash.version;
    if (version !== undefined && version !== null && version !== 1) {
      throw invalidTransaction(REASON.noSuchContract);
    }
  } else if (id.byHash) {
    token = tokenByContractHash(state, id.byHash.toHex());
    if (!token) throw invalidTransaction(REASON.noSuchContract);
  } else {
    throw invalidTransaction(REASON.unsupportedTarget);
  }
  return token;
}

/**
 * Checks `params.transaction` like a node: config rules (chain name, pricing, TTL, timestamp,
 * args size), expiry, the initiator's account and balance, the target, then hash and
 * approvals. Throws an RpcError; returns what the chain needs to execute it.
 */
export function acceptTransaction(params: unknown, context: AcceptContext): AcceptedTransaction {
  if (!isRecord(params) || !isRecord(params.transaction)) {
    throw invalidParams('transaction', 'must be an object {Version1: …}');
  }
  if (params.transaction.Deploy !== undefined) {
    throw invalidTransaction(REASON.expectedTransaction);
  }
  const v1 = params.transaction.Version1;
  if (!isRecord(v1)) throw invalidParams('transaction.Version1', 'must be an object');
  const tx = parseWithSdk(v1);
  const payload = tx.payload;
  const hash = tx.hash.toHex();

  if (payload.chainName !== context.chainName) throw invalidTransaction(REASON.chainName);
  const pricing = payload.pricingMode.paymentLimited;
  if (!pricing) throw invalidTransaction(REASON.pricingMode);
  if (pricing.gasPriceTolerance < 1) throw invalidTransaction(REASON.gasPriceTolerance);
  const payment = BigInt(pricing.paymentAmount);
  if (payment < LIMITS.minPaymentMotes) throw invalidTransaction(REASON.paymentAmount);
  const ttl = payload.ttl.toMilliseconds();
  if (ttl > LIMITS.maxTtlMs) throw invalidTransaction(REASON.ttl);
  const timestamp = payload.timestamp.toMilliseconds();
  if (timestamp > context.nowMs + LIMITS.timestampLeewayMs) {
    throw invalidTransaction(REASON.timestampInFuture);
  }
  const fields = payload.fields;
  if (!fields.target.stored) throw invalidTransaction(REASON.unsupportedTarget);
  if (fields.entryPoint.type !== 'Custom' || !fields.entryPoint.customEntryPoint) {
    throw invalidTransaction(REASON.entryPointMustBeCustom);
  }
  const namedArgs = fields.args?.args;
  if (!fields.args || !namedArgs) throw invalidTransaction(REASON.expectedNamedArguments);
  const argsBytes = fields.args.toBytes().length;
  const maxArgs =
    payment <= LIMITS.smallLanePaymentMotes
      ? LIMITS.smallLaneMaxArgsBytes
      : LIMITS.largerLaneMaxArgsBytes;
  if (argsBytes > maxArgs) throw invalidTransaction(REASON.argsLength);
  if (timestamp + ttl < context.nowMs) throw invalidTransaction(REASON.expired);

  const initiator = payload.initiatorAddr;
  const initiatorAccountHash = initiator.publicKey
    ? accountHashOf(parsePublicKey(initiator.publicKey.toHex(), 'initiator_addr'))
    : (initiator.accountHash?.toHex() ?? '');
  const account = context.state.accounts[initiatorAccountHash];
  if (!account) throw invalidTransaction(REASON.noSuchAccount);
  if (BigInt(account.motes) < LIMITS.minBalanceMotes) {
    throw invalidTransaction(REASON.insufficientBalance);
  }

  const token = targetToken(tx, context.state);
  const entryPoint = fields.entryPoint.customEntryPoint;
  if (!entryPointsOf(token.argLayout).some((spec) => spec.name === entryPoint)) {
    throw invalidTransaction(REASON.noSuchEntryPoint);
  }

  checkApprovals(v1, hash, initiatorAccountHash);

  const args: Record<string, ArgValue> = {};
  for (const [name, value] of namedArgs) args[name] = decodeArg(value);
  const payloadJson = v1.payload as Record<string, unknown>;
  return {
    hash,
    json: v1,
    initiatorAccountHash,
    initiatorAddr: payloadJson.initiator_addr as Record<string, string>,
    paymentMotes: payment.toString(),
    packageHash: token.packageHash,
    entryPoint,
    args,
    sizeEstimate: JSON.stringify(v1).length,
  };
}
