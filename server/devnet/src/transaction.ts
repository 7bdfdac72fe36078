// Accepting a TransactionV1 the way a node's transaction acceptor does: parse it with
// casper-js-sdk, then apply the node's validity rules, refusing with -32016 and its reasons.
import {
  accountHashOf,
  blake2b256,
  bytesToHex,
  hexToBytes,
  parsePublicKey,
  verifySignature,
} from '@x402-casper/shared';
import { invalidParams, invalidTransaction, INVALID_TRANSACTION as REASON } from './errors.js';
import { type SdkCLValue, type SdkTransactionV1, sdk } from './sdk.js';
import { type TokenState, tokenByContractHash, versionsOf, type WorldState } from './state.js';
import type { ArgValue } from './token.js';
import { entryPointsOf } from './token.js';
import { contractOfTarget, type WasmCall, type WasmTarget } from './wasm/execute.js';
import { wasmValue } from './wasm/store.js';

/** Node limits (mainnet/testnet chainspec, FACTS §3). */
export const LIMITS = {
  minPaymentMotes: 2_500_000_000n,
  minBalanceMotes: 2_500_000_000n,
  maxTtlMs: 2 * 60 * 60 * 1000,
  timestampLeewayMs: 2_000,
} as const;

export interface Lane {
  id: string;
  /** Max serialized transaction size, bytes. */
  maxSize: number;
  /** Max serialized runtime args, bytes. */
  maxArgs: number;
  /** Max gas (the payment of a PaymentLimited transaction, gas price 1). */
  maxGas: bigint;
}

/**
 * The Wasm lanes, smallest first. Sizes, args lengths and the gas limits of lanes 2–4 are
 * resources/production/chainspec.toml's [transactions.v1] (casper-node feat-2.0, the newest
 * chainspec available here: install_upgrade_lane and wasm_lanes). Lane 5's gas limit is FACTS
 * §3's 5 CSPR (what a real node answers: payments up to 5 CSPR land in the small lane) where
 * that chainspec says 1.5 CSPR. A transaction goes to the smallest lane whose gas limit its
 * payment fits, as FACTS describes; that lane's size and args limits then apply.
 */
export const WASM_LANES: readonly Lane[] = [
  { id: '5', maxSize: 12_288, maxArgs: 512, maxGas: 5_000_000_000n },
  { id: '4', maxSize: 172_032, maxArgs: 1_024, maxGas: 50_000_000_000n },
  { id: '3', maxSize: 344_064, maxArgs: 1_024, maxGas: 500_000_000_000n },
];
export const INSTALL_UPGRADE_LANE: Lane = {
  id: '2',
  maxSize: 1_048_576,
  maxArgs: 2_048,
  maxGas: 1_000_000_000_000n,
};

/** The lane a payment goes to, or undefined when none takes it (the node refuses it). */
export function laneOf(paymentMotes: bigint, installUpgrade = false): Lane | undefined {
  if (installUpgrade) {
    return paymentMotes <= INSTALL_UPGRADE_LANE.maxGas ? INSTALL_UPGRADE_LANE : undefined;
  }
  return WASM_LANES.find((lane) => paymentMotes <= lane.maxGas);
}

/**
 * Whether a TransactionV1 fits a lane's `maxSize`: its serialized length (hash, payload,
 * approvals). The JSON form spends at least a character on every serialized byte (bytes as
 * hex, numbers, tags and lengths as words and keys), so a transaction whose JSON is under half
 * the limit fits without serializing it through the SDK (about 0.8 ms per transaction).
 */
function fitsLane(tx: SdkTransactionV1, v1: Record<string, unknown>, maxSize: number): boolean {
  if (JSON.stringify(v1).length * 2 <= maxSize) return true;
  return serializedLength(tx, v1) <= maxSize;
}

/** A TransactionV1's serialized length: hash, payload, approvals (public key and signature). */
function serializedLength(tx: SdkTransactionV1, v1: Record<string, unknown>): number {
  const approvals = Array.isArray(v1.approvals) ? v1.approvals : [];
  let length = tx.toBytes().length;
  for (const approval of approvals) {
    if (!isRecord(approval)) continue;
    const signer = typeof approval.signer === 'string' ? approval.signer : '';
    const signature = typeof approval.signature === 'string' ? approval.signature : '';
    length += (signer.length + signature.length) / 2;
  }
  return length;
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
  /**
   * A JS token called by contract hash: that contract, which runs only while it is the
   * package's current version (an upgrade disables it).
   */
  contractHash?: string;
  entryPoint: string;
  args: Record<string, ArgValue>;
  sizeEstimate: number;
  /** For Wasm: what runs (module bytes or a stored Wasm contract) and its runtime args. */
  wasm?: WasmCall;
}

/** What the chain needs besides the record: a session's module bytes, stored by their hash. */
export interface Accepted {
  record: AcceptedTransaction;
  module?: { hash: string; bytes: Uint8Array };
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

type Resolved =
  | { kind: 'token'; token: TokenState; contractHash?: string }
  | { kind: 'wasm'; target: WasmTarget };

/** A named key of the initiator's account that holds a `hash-…` key. */
function namedHash(state: WorldState, accountHash: string, name: string): string {
  const key = state.accounts[accountHash]?.namedKeys?.[name];
  if (!key?.startsWith('hash-')) throw invalidTransaction(REASON.noSuchNamedKey);
  return key.slice(5);
}

function resolveTarget(
  tx: SdkTransactionV1,
  state: WorldState,
  initiatorAccountHash: string,
  entryPoint: string,
): Resolved {
  const target = tx.payload.fields.target;
  const id = target.stored?.id;
  if (!target.stored || !id) throw invalidTransaction(REASON.unsupportedTarget);
  if (JSON.stringify(target.stored.runtime.toJSON()) !== '"VmCasperV1"') {
    throw invalidTransaction(REASON.runtime);
  }
  let wasm: Exclude<WasmTarget, { kind: 'session' }>;
  if (id.byPackageHash || id.byPackageName) {
    const packageHash = id.byPackageHash
      ? id.byPackageHash.addr.toHex()
      : namedHash(state, initiatorAccountHash, id.byPackageName!.name);
    const version = (id.byPackageHash ?? id.byPackageName)!.version ?? null;
    const token = state.tokens[packageHash];
    if (token) {
      // Only the current (newest) version is enabled; an older one cannot be called.
      if (version !== null && version !== versionsOf(token).length) {
        throw invalidTransaction(REASON.noSuchContract);
      }
      return { kind: 'token', token };
    }
    if (!wasmValue(state, `hash-${packageHash}`)) throw invalidTransaction(REASON.noSuchPackage);
    wasm = { kind: 'package', packageHash, version, entryPoint };
  } else if (id.byHash || id.byName) {
    const contractHash = id.byHash
      ? id.byHash.toHex()
      : namedHash(state, initiatorAccountHash, id.byName!);
    const found = tokenByContractHash(state, contractHash);
    if (found) return { kind: 'token', token: found.token, contractHash };
    wasm = { kind: 'contract', contractHash, entryPoint };
  } else {
    throw invalidTransaction(REASON.unsupportedTarget);
  }
  const resolved = contractOfTarget(state, wasm);
  if ('error' in resolved) throw invalidTransaction(REASON.noSuchContract);
  const contract = wasmValue(state, `hash-${resolved.contractHash}`);
  if (!contract || !('Contract' in contract)) throw invalidTransaction(REASON.noSuchContract);
  if (!contract.Contract.entryPoints.some((ep) => ep.name === entryPoint)) {
    throw invalidTransaction(REASON.noSuchEntryPoint);
  }
  return { kind: 'wasm', target: wasm };
}

/**
 * Checks `params.transaction` like a node: config rules (chain name, pricing, TTL, timestamp,
 * args size), expiry, the initiator's account and balance, the target, then hash and
 * approvals. Throws an RpcError; returns what the chain needs to execute it.
 */
export function acceptTransaction(params: unknown, context: AcceptContext): Accepted {
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
  const session = fields.target.session;
  if (!fields.target.stored && !session) throw invalidTransaction(REASON.unsupportedTarget);
  if (session) {
    if (JSON.stringify(session.runtime.toJSON()) !== '"VmCasperV1"') {
      throw invalidTransaction(REASON.runtime);
    }
    if (fields.entryPoint.type !== 'Call') throw invalidTransaction(REASON.sessionEntryPoint);
    if (session.moduleBytes.length === 0) throw invalidTransaction(REASON.emptyModuleBytes);
  } else if (fields.entryPoint.type !== 'Custom' || !fields.entryPoint.customEntryPoint) {
    throw invalidTransaction(REASON.entryPointMustBeCustom);
  }
  const namedArgs = fields.args?.args;
  if (!fields.args || !namedArgs) throw invalidTransaction(REASON.expectedNamedArguments);
  const lane = laneOf(payment, session?.isInstallUpgrade ?? false);
  if (!lane) throw invalidTransaction(REASON.noLane);
  if (!fitsLane(tx, v1, lane.maxSize)) throw invalidTransaction(REASON.excessiveSize);
  const argsBytes = fields.args.toBytes();
  if (argsBytes.length > lane.maxArgs) throw invalidTransaction(REASON.argsLength);
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

  const entryPoint = session ? 'call' : (fields.entryPoint.customEntryPoint as string);
  let resolved: Resolved;
  let module: Accepted['module'];
  if (session) {
    const blob = bytesToHex(blake2b256(session.moduleBytes));
    module = { hash: blob, bytes: session.moduleBytes };
    resolved = {
      kind: 'wasm',
      target: { kind: 'session', blob, installUpgrade: session.isInstallUpgrade },
    };
  } else {
    resolved = resolveTarget(tx, context.state, initiatorAccountHash, entryPoint);
  }
  if (
    resolved.kind === 'token' &&
    !entryPointsOf(resolved.token.argLayout, resolved.token.nonceStorage).some(
      (spec) => spec.name === entryPoint,
    )
  ) {
    throw invalidTransaction(REASON.noSuchEntryPoint);
  }

  checkApprovals(v1, hash, initiatorAccountHash);

  const args: Record<string, ArgValue> = {};
  for (const [name, value] of namedArgs) args[name] = decodeArg(value);
  const payloadJson = v1.payload as Record<string, unknown>;
  const record: AcceptedTransaction = {
    hash,
    json: v1,
    initiatorAccountHash,
    initiatorAddr: payloadJson.initiator_addr as Record<string, string>,
    paymentMotes: payment.toString(),
    packageHash:
      resolved.kind === 'token'
        ? resolved.token.packageHash
        : resolved.target.kind === 'package'
          ? resolved.target.packageHash
          : '',
    ...(resolved.kind === 'token' && resolved.contractHash !== undefined
      ? { contractHash: resolved.contractHash }
      : {}),
    entryPoint,
    args,
    sizeEstimate: JSON.stringify(v1).length,
  };
  if (resolved.kind === 'wasm') {
    record.wasm = { target: resolved.target, args: bytesToHex(argsBytes) };
  }
  return module ? { record, module } : { record };
}
