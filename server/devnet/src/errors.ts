/** A JSON-RPC error answered the way a Casper node (sidecar) answers it. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** The node's error codes and messages this devnet answers with (casper-sidecar's ErrorCode). */
export const RPC_ERRORS = {
  parse: { code: -32700, message: 'Parse error' },
  invalidRequest: { code: -32600, message: 'Invalid Request' },
  methodNotFound: { code: -32601, message: 'Method not found' },
  invalidParams: { code: -32602, message: 'Invalid params' },
  internal: { code: -32603, message: 'Internal error' },
  noSuchBlock: { code: -32001, message: 'No such block' },
  failedToParseQueryKey: { code: -32002, message: 'Failed to parse query key' },
  queryFailed: { code: -32003, message: 'Query failed' },
  noSuchAccount: { code: -32009, message: 'No such account' },
  failedToGetDictionaryURef: { code: -32010, message: 'Failed to get dictionary URef' },
  noSuchStateRoot: { code: -32012, message: 'No such state root' },
  noSuchTransaction: { code: -32014, message: 'No such transaction' },
  invalidTransaction: { code: -32016, message: 'Invalid transaction' },
  purseNotFound: { code: -32026, message: 'Purse not found' },
} as const;

export type RpcErrorKind = keyof typeof RPC_ERRORS;

export function rpcError(kind: RpcErrorKind, data?: unknown): RpcError {
  const { code, message } = RPC_ERRORS[kind];
  return new RpcError(code, message, data);
}

/** `-32602 Invalid params` naming the parameter that was wrong. */
export function invalidParams(field: string, reason: string): RpcError {
  return rpcError('invalidParams', `${field}: ${reason}`);
}

/**
 * The reason texts a node gives when it refuses a TransactionV1 (casper-node binary port
 * `ErrorCode` messages); the sidecar answers `-32016` with data
 * `"the transaction was invalid: <reason>"`.
 */
export const INVALID_TRANSACTION = {
  hash: 'the transaction sent to the network had an invalid hash',
  emptyApprovals: 'the transaction sent to the network had no approvals',
  invalidApproval: 'the transaction sent to the network had an invalid approval',
  associatedKeys: 'invalid associated keys',
  chainName: 'the transaction sent to the network had an invalid chain name',
  pricingMode: 'the transaction sent to the network had an invalid pricing mode',
  gasPriceTolerance: 'gas price tolerance too low',
  paymentAmount: 'Invalid payment amount for Transaction::V1',
  ttl: 'the transaction sent to the network had an excessive time to live',
  timestampInFuture:
    'the transaction sent to the network had a timestamp that has not yet occurred',
  expired: 'transaction has expired',
  argsLength: 'the transaction sent to the network had excessive args length',
  expectedNamedArguments: 'expected named arguments',
  entryPointMustBeCustom:
    'the non-native transaction sent to the network must have a custom entry point',
  runtime: 'invalid transaction runtime',
  noSuchAccount: 'no such addressable entity',
  insufficientBalance: 'insufficient balance',
  noSuchPackage: 'no such package at hash',
  noSuchContract: 'no such contract at hash',
  noSuchEntryPoint: 'no such entry point',
  expectedTransaction: 'expected transaction V1, got deploy',
  noSuchNamedKey: 'no such named key in the initiator account',
  sessionEntryPoint: 'the session code must have the Call entry point',
  emptyModuleBytes: 'the transaction sent to the network had empty module bytes',
  excessiveSize: 'the transaction sent to the network had an excessive size',
  /** types/src/transaction/transaction_v1/errors_v1.rs (feat-2.0), NoWasmLaneMatchesTransaction. */
  noLane: 'Could not match any generic wasm lane to the specified transaction',
  /** Not a node text: this devnet runs stored contracts and session Wasm, not native transfers. */
  unsupportedTarget: 'the devnet executes stored contracts and session Wasm, not native targets',
} as const;

export function invalidTransaction(reason: string): RpcError {
  return rpcError('invalidTransaction', `the transaction was invalid: ${reason}`);
}
