// An emulator of the Go facilitator of make-software/casper-x402 (the code base of CSPR.cloud's
// x402 facilitator), for interop tests. Written from reading, not copying:
//   apps/facilitator/main.go, apps/facilitator/config.go            (HTTP shell, handlers)
//   x402/mechanisms/casper/exact/facilitator/scheme.go, errors.go   (verify, settle, reasons)
//   x402/mechanisms/casper/utils.go, constants.go, types.go         (address/asset checks)
//   x402/signers/casper/facilitator.go                              (fee payer, put, wait)
//   docs/api-reference.md, docs/user-guide.md                       (documented shapes)
// and the upstream Go x402 library it registers with (x402-foundation/x402 go/facilitator.go,
// go/types.go, go/types/v2.go, go/errors.go) plus casper-go-sdk's AccountHash.ToHex.
//
// What it reproduces:
// - GET /supported: {kinds: [{x402Version: 2, scheme: "exact", network, extra: {feePayer}}],
//   extensions: [], signers: {"casper:*": [feePayer]}}, feePayer being the fee payer's bare
//   account hash (64 hex, no tag). `supportedShape` also gives `extensions`/`signers` as null
//   (older upstream types) or leaves them out (the kinds-only shape CSPR.cloud documents).
// - POST /verify: Gin BindJSON (a bad body → 400 {"error":"invalid request"}), version
//   detection (invalid_version, invalid_v2_payload, invalid_v2_requirements), scheme/network
//   routing (no_facilitator_for_network), then the Casper checks in the Go order, each with its
//   invalid_exact_casper_* reason and message: scheme, network, payload fields, to == payTo,
//   value == amount (string compare), address/asset format, non-zero amount, validAfter ≤ now
//   ≤ validBefore on the wall clock, validBefore − now ≥ 6 s, extra.name/version, nonce and
//   signature lengths, and the EIP-712 signature. Failures are HTTP 200 {isValid: false,
//   invalidReason, invalidMessage?} with no payer (Go builds these VerifyErrors without one).
//   Like Go it does NOT check balance, nonce state, or that publicKey's account is `from`.
// - POST /settle: verify again (failure → invalid_exact_casper_verification_failed carrying the
//   verify message, no payer); build a `transfer_with_authorization` TransactionV1 by package
//   hash with the Go argument layout (`from`/`to` as account-hash Keys — always account-hash,
//   even for a 01 address —, `amount` U256, `valid_after`/`valid_before` U256, `nonce` and
//   `signature` as List<U8>, `public_key`), PaymentLimited 14 CSPR (Go hard-codes it),
//   gas_price_tolerance 1, standard payment, TTL 15 min, chain name = network without
//   "casper:"; sign with the fee payer, account_put_transaction (failure →
//   invalid_exact_casper_put_deploy_failed with the hash), then poll info_get_transaction every
//   2 s, skipping RPC errors and results with no execution info or block height 0, until an
//   execution result (error_message → invalid_exact_casper_wait_deploy_failed "transaction
//   execution failed: …") or the handler's 60 s deadline ("context deadline exceeded").
//   Failures are HTTP 200 {success: false, errorReason, errorMessage?, payer?, transaction,
//   network}; `transaction` is "" unless a transaction was submitted (upstream SettleResponse
//   has no omitempty on it), `failedTransaction: 'omit'` leaves it out as some deployments do.
//   Every settle submits a new transaction: the Go code keeps no ledger, so a repeated or
//   concurrent settle of one authorization pays gas again and reverts on chain.
// - GET /health → {"status":"ok"}; any other path → Gin's 404 text.
// - The access token: the Go facilitator itself never reads Authorization (main.go installs no
//   such middleware; examples/server/main.go sends the key verbatim as `Authorization: <key>`,
//   no "Bearer"). CSPR.cloud checks it in front of the service: docs.cspr.cloud documents the
//   bare `authorization: <access token>` header and 401 {"error": {"code": "unauthorized",
//   "message"}}. With `accessTokens` set, this emulator plays that gateway: every route but
//   /health wants the header equal to one token, byte for byte ("Bearer <token>" is refused);
//   without it, or with a wrong one, 401 in CSPR.cloud's error shape.
// The Go code submits a TransactionV1 (types.MakeTransactionV1), not a legacy Deploy, so this
// does too, built with casper-js-sdk.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  accountHashOf,
  bytesToHex,
  parsePublicKey,
  type SecretKey,
  transferWithAuthorizationDigest,
} from '@x402-casper/shared';
import { sdk } from '../sdk.js';
import {
  detectVersion,
  type GoPayload,
  type GoRequirements,
  ginJson,
  ginNotFound,
  goPayload,
  goRequirements,
  goStruct,
  RpcError,
  readBody,
  rpcCall,
  serveGin,
} from './go-wire.js';

/** The reason strings of the Go Casper mechanism (errors.go) and of the upstream library. */
export const GO_REASONS = {
  unsupportedScheme: 'invalid_exact_casper_unsupported_scheme',
  networkMismatch: 'invalid_exact_casper_network_mismatch',
  malformedPayload: 'invalid_exact_casper_malformed_payload',
  payToMismatch: 'invalid_exact_casper_payto_mismatch',
  amountMismatch: 'invalid_exact_casper_amount_mismatch',
  invalidPayTo: 'invalid_exact_casper_invalid_payto',
  invalidAmount: 'invalid_exact_casper_invalid_amount',
  invalidAsset: 'invalid_exact_casper_invalid_asset',
  payloadExpired: 'invalid_exact_casper_payload_expired',
  notYetValid: 'invalid_exact_casper_not_yet_valid',
  insufficientTime: 'invalid_exact_casper_insufficient_time_to_settle',
  missingTokenName: 'invalid_exact_casper_missing_token_name',
  missingTokenVersion: 'invalid_exact_casper_missing_token_version',
  failedToHash: 'invalid_exact_casper_failed_to_hash',
  invalidSignature: 'invalid_exact_casper_invalid_signature',
  verificationFailed: 'invalid_exact_casper_verification_failed',
  buildDeployFailed: 'invalid_exact_casper_build_deploy_failed',
  signDeployFailed: 'invalid_exact_casper_sign_deploy_failed',
  putDeployFailed: 'invalid_exact_casper_put_deploy_failed',
  waitDeployFailed: 'invalid_exact_casper_wait_deploy_failed',
  // upstream x402-foundation/x402 go/errors.go
  invalidVersion: 'invalid_version',
  invalidV2Payload: 'invalid_v2_payload',
  invalidV2Requirements: 'invalid_v2_requirements',
  noFacilitatorForNetwork: 'no_facilitator_for_network',
} as const;

/** The gas payment Settle puts on every transaction: 14 CSPR (scheme.go hard-codes it). */
export const GO_PAYMENT_MOTES = 14_000_000_000;
/** The TTL Settle gives the transaction: 900 000 000 000 ns of a Go time.Duration. */
export const GO_TTL_MS = 15 * 60 * 1000;

const ADDRESS = /^(00|01)[0-9a-fA-F]{64}$/;
const PACKAGE_HASH = /^[0-9a-fA-F]{64}$/;
const HEX = /^([0-9a-fA-F]{2})*$/;

export interface GoFacilitatorOptions {
  /** The one CAIP-2 network served (CASPER_NETWORKS), e.g. casper:casper-net-1. */
  network: string;
  /** RPCURL_<NET>. */
  rpcUrl: string;
  /** SECRET_KEY_PEM_<NET>: the account that pays gas. */
  feePayer: SecretKey;
  /** CSPR.cloud access tokens; when set, the gateway check described above is on. */
  accessTokens?: string[];
  host?: string;
  port?: number;
  /** WaitForTransaction's ticker; default 2000 ms as in the Go signer. */
  pollIntervalMs?: number;
  /** The /settle handler's context deadline; default 60 000 ms. */
  settleTimeoutMs?: number;
  /** `empty` (default): a failed settle carries transaction "" (or the hash once submitted). */
  failedTransaction?: 'empty' | 'omit';
  /** `go` (default): extensions [] and signers; `null`: both null; `absent`: kinds only. */
  supportedShape?: 'go' | 'null' | 'absent';
  /** Unix seconds; defaults to the wall clock, which the Go code uses. */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The Authorization header as received, if any. */
  authorization: string | undefined;
  body: unknown;
}

interface ForcedFailure {
  reason: string;
  message: string;
  transaction: string;
}

export interface GoFacilitator {
  url: string;
  /** The fee payer's account hash as /supported advertises it (64 hex, no tag). */
  feePayer: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Hashes of every transaction submitted. */
  readonly submitted: string[];
  /** The next /settle answers this failure without touching the chain. */
  failNextSettle(reason: string, message?: string, transaction?: string): void;
  /** The next /verify answers this invalid verdict. */
  failNextVerify(reason: string, message?: string): void;
  close(): Promise<void>;
}

/** A VerifyError / SettleError of the Go code: a reason, a message, what is known. */
class GoError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly payer = '',
    readonly transaction = '',
    readonly network?: string,
  ) {
    super(message);
  }
}

interface CasperPayload {
  signature: string;
  publicKey: string;
  authorization: {
    from: string;
    to: string;
    value: string;
    validAfter: string;
    validBefore: string;
    nonce: string;
  };
}

/** payloadFromMap: the map re-read as ExactCasperPayload, every field a non-empty string. */
function payloadFromMap(data: Record<string, unknown> | undefined): CasperPayload {
  if (!data) throw new Error('payload is nil');
  const str = (value: unknown, field: string) => {
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') {
      throw new Error(
        `failed to unmarshal payload: json: cannot unmarshal ${typeof value} into Go struct field ${field} of type string`,
      );
    }
    return value;
  };
  const auth = data.authorization;
  if (auth !== undefined && auth !== null && (typeof auth !== 'object' || Array.isArray(auth))) {
    throw new Error(
      'failed to unmarshal payload: json: cannot unmarshal into Go struct field ExactCasperPayload.authorization',
    );
  }
  const a = (auth ?? {}) as Record<string, unknown>;
  const payload: CasperPayload = {
    signature: str(data.signature, 'ExactCasperPayload.signature'),
    publicKey: str(data.publicKey, 'ExactCasperPayload.publicKey'),
    authorization: {
      from: str(a.from, 'ExactCasperPayload.authorization.from'),
      to: str(a.to, 'ExactCasperPayload.authorization.to'),
      value: str(a.value, 'ExactCasperPayload.authorization.value'),
      validAfter: str(a.validAfter, 'ExactCasperPayload.authorization.validAfter'),
      validBefore: str(a.validBefore, 'ExactCasperPayload.authorization.validBefore'),
      nonce: str(a.nonce, 'ExactCasperPayload.authorization.nonce'),
    },
  };
  if (!payload.signature || !payload.publicKey) {
    throw new Error('missing signature or publicKey field');
  }
  if (Object.values(payload.authorization).some((value) => value === '')) {
    throw new Error('missing authorization fields');
  }
  return payload;
}

/** strconv.ParseInt(s, 10, 64). */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
}

/** keypair.PublicKey.VerifySignature: tag byte, then Ed25519 over the digest or ECDSA over SHA-256. */
function verifyEip712Signature(digest: Uint8Array, signature: Uint8Array, publicKeyHex: string) {
  const key = parsePublicKey(publicKeyHex.toLowerCase(), 'publicKey');
  const tag = key.algorithm === 'ed25519' ? 1 : 2;
  if (signature[0] !== tag) throw new Error('signature algorithm does not match the public key');
  const body = signature.subarray(1);
  // The Go SDK's secp256k1 check (decred) does not insist on low S, so neither does this.
  return key.algorithm === 'ed25519'
    ? ed25519.verify(body, digest, key.raw, { zip215: false })
    : secp256k1.verify(body, digest, key.raw, { prehash: true, lowS: false });
}

function hexBytes(hex: string): Uint8Array {
  if (!HEX.test(hex)) throw new Error(`encoding/hex: invalid byte in ${JSON.stringify(hex)}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export async function startGoFacilitator(options: GoFacilitatorOptions): Promise<GoFacilitator> {
  const network = options.network;
  const chainName = network.replace(/^casper:/, '');
  const feePayer = accountHashOf(options.feePayer.publicKey);
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const requests: RecordedRequest[] = [];
  const submitted: string[] = [];
  const forcedSettles: ForcedFailure[] = [];
  const forcedVerifies: Array<{ reason: string; message: string }> = [];
  const signingKey = sdk.PrivateKey.fromHex(
    bytesToHex(options.feePayer.bytes),
    options.feePayer.algorithm === 'ed25519'
      ? sdk.KeyAlgorithm.ED25519
      : sdk.KeyAlgorithm.SECP256K1,
  );

  const supported = () => {
    const kinds = [{ x402Version: 2, scheme: 'exact', network, extra: { feePayer } }];
    switch (options.supportedShape ?? 'go') {
      case 'null':
        return { kinds, extensions: null, signers: null };
      case 'absent':
        return { kinds };
      default:
        return { kinds, extensions: [], signers: { 'casper:*': [feePayer] } };
    }
  };

  /** x402Facilitator.Verify, then the scheme's Verify. Returns the payer. */
  const verify = (rawPayload: unknown, rawRequirements: unknown): string => {
    let version: number;
    try {
      version = detectVersion(rawPayload);
    } catch (error) {
      throw new GoError(
        GO_REASONS.invalidVersion,
        `failed to detect version: ${(error as Error).message}`,
      );
    }
    if (version !== 2) {
      // No v1 mechanism is registered.
      throw new GoError(
        GO_REASONS.noFacilitatorForNetwork,
        'no facilitator for v1 payments; registered: (none)',
      );
    }
    let payload: GoPayload;
    let requirements: GoRequirements;
    try {
      payload = goPayload(rawPayload);
    } catch (error) {
      throw new GoError(GO_REASONS.invalidV2Payload, (error as Error).message);
    }
    try {
      requirements = goRequirements(rawRequirements);
    } catch (error) {
      throw new GoError(GO_REASONS.invalidV2Requirements, (error as Error).message);
    }
    if (requirements.scheme !== 'exact' || requirements.network !== network) {
      throw new GoError(
        GO_REASONS.noFacilitatorForNetwork,
        `no facilitator for scheme "${requirements.scheme}" on network "${requirements.network}"; registered: exact@${network}`,
      );
    }
    return verifyScheme(payload, requirements);
  };

  /** ExactCasperScheme.Verify, check by check. */
  const verifyScheme = (payload: GoPayload, requirements: GoRequirements): string => {
    const fail = (reason: string, message = ''): never => {
      throw new GoError(reason, message);
    };
    if (payload.accepted.scheme !== 'exact') {
      fail(GO_REASONS.unsupportedScheme, `invalid scheme: ${payload.accepted.scheme}`);
    }
    if (payload.accepted.network !== requirements.network) {
      fail(
        GO_REASONS.networkMismatch,
        `network mismatch: payload=${payload.accepted.network} requirements=${requirements.network}`,
      );
    }
    let p: CasperPayload;
    try {
      p = payloadFromMap(payload.payload);
    } catch (error) {
      return fail(GO_REASONS.malformedPayload, (error as Error).message);
    }
    const a = p.authorization;
    if (a.to !== requirements.payTo) {
      fail(
        GO_REASONS.payToMismatch,
        `authorization.to=${a.to} requirements.payTo=${requirements.payTo}`,
      );
    }
    if (a.value !== requirements.amount) {
      fail(
        GO_REASONS.amountMismatch,
        `authorization.value=${a.value} requirements.amount=${requirements.amount}`,
      );
    }
    if (!ADDRESS.test(requirements.payTo) || !ADDRESS.test(a.to)) {
      fail(GO_REASONS.invalidPayTo, 'invalid payTo account-hash');
    }
    if (['', '0'].includes(requirements.amount) || ['', '0'].includes(a.value)) {
      fail(GO_REASONS.invalidAmount, 'amount must be non-zero');
    }
    if (!PACKAGE_HASH.test(requirements.asset)) fail(GO_REASONS.invalidAsset, requirements.asset);
    const validAfter = parseInt64(a.validAfter);
    if (validAfter === undefined) fail(GO_REASONS.malformedPayload, 'invalid validAfter');
    const validBefore = parseInt64(a.validBefore);
    if (validBefore === undefined) fail(GO_REASONS.malformedPayload, 'invalid validBefore');
    const t = BigInt(now());
    if (validAfter! > t) fail(GO_REASONS.notYetValid, `validAfter=${validAfter} > now=${t}`);
    if (t > validBefore!) fail(GO_REASONS.payloadExpired, `validBefore=${validBefore} < now=${t}`);
    if (validBefore! - t < 6n) fail(GO_REASONS.insufficientTime, 'less than 6s to settle');
    const name = requirements.extra?.name;
    if (typeof name !== 'string' || name === '') fail(GO_REASONS.missingTokenName);
    const version = requirements.extra?.version;
    if (typeof version !== 'string' || version === '') fail(GO_REASONS.missingTokenVersion);
    if (!ADDRESS.test(a.from)) {
      fail(GO_REASONS.malformedPayload, `invalid from address: ${a.from}`);
    }
    if (!/^[0-9]+$/.test(a.value)) fail(GO_REASONS.malformedPayload, 'invalid value');
    if (!/^[0-9a-fA-F]{64}$/.test(a.nonce)) fail(GO_REASONS.malformedPayload, 'invalid nonce');
    let digest: Uint8Array;
    try {
      digest = transferWithAuthorizationDigest({
        name: name as string,
        version: version as string,
        chainName: requirements.network,
        contractPackageHash: requirements.asset.toLowerCase(),
        from: a.from.toLowerCase(),
        to: a.to.toLowerCase(),
        value: a.value,
        validAfter: a.validAfter,
        validBefore: a.validBefore,
        nonce: a.nonce.toLowerCase(),
      });
    } catch (error) {
      return fail(GO_REASONS.failedToHash, (error as Error).message);
    }
    if (!/^[0-9a-fA-F]{130}$/.test(p.signature)) {
      fail(GO_REASONS.invalidSignature, 'signature must be 65 bytes hex');
    }
    let verified: boolean;
    try {
      verified = verifyEip712Signature(digest, hexBytes(p.signature), p.publicKey);
    } catch (error) {
      return fail(GO_REASONS.invalidSignature, (error as Error).message);
    }
    if (!verified) fail(GO_REASONS.invalidSignature, 'signature verification failed');
    return a.from;
  };

  /** The signed TransactionV1 Settle builds. */
  const buildTransaction = (p: CasperPayload, asset: string) => {
    const { Args, CLTypeUInt8, CLValue, ContractCallBuilder, Key, PublicKey, Timestamp } = sdk;
    const a = p.authorization;
    const bytes = (hex: string) =>
      CLValue.newCLList(
        CLTypeUInt8,
        Array.from(hexBytes(hex), (byte) => CLValue.newCLUint8(byte)),
      );
    const args = Args.fromMap({
      from: CLValue.newCLKey(Key.newKey(`account-hash-${a.from.slice(2).toLowerCase()}`)),
      to: CLValue.newCLKey(Key.newKey(`account-hash-${a.to.slice(2).toLowerCase()}`)),
      amount: CLValue.newCLUInt256(a.value),
      valid_after: CLValue.newCLUInt256(a.validAfter),
      valid_before: CLValue.newCLUInt256(a.validBefore),
      nonce: bytes(a.nonce),
      public_key: CLValue.newCLPublicKey(PublicKey.fromHex(p.publicKey)),
      signature: bytes(p.signature),
    });
    const transaction = new ContractCallBuilder()
      .from(signingKey.publicKey)
      .byPackageHash(asset.toLowerCase())
      .entryPoint('transfer_with_authorization')
      .runtimeArgs(args)
      .chainName(chainName)
      .timestamp(new Timestamp(new Date()))
      .ttl(GO_TTL_MS)
      .payment(GO_PAYMENT_MOTES, 1)
      .build();
    transaction.sign(signingKey);
    return transaction;
  };

  /** WaitForTransaction until the handler's deadline. */
  const waitForTransaction = async (hash: string, deadline: number) => {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('context deadline exceeded');
      await sleep(Math.min(pollIntervalMs, left));
      if (Date.now() >= deadline) throw new Error('context deadline exceeded');
      let info: { execution_info?: { block_height?: number; execution_result?: unknown } | null };
      try {
        info = await rpcCall(options.rpcUrl, 'info_get_transaction', {
          transaction_hash: { Version1: hash },
        });
      } catch {
        continue;
      }
      const execution = info.execution_info;
      if (!execution?.block_height) continue;
      const result = execution.execution_result as
        | { Version2?: { error_message?: string | null }; Version1?: unknown }
        | undefined;
      const errorMessage = result?.Version2?.error_message;
      if (errorMessage) throw new Error(`transaction execution failed: ${errorMessage}`);
      return;
    }
  };

  /** ExactCasperScheme.Settle. */
  const settle = async (rawPayload: unknown, rawRequirements: unknown, deadline: number) => {
    let version: number;
    try {
      version = detectVersion(rawPayload);
    } catch (error) {
      throw new GoError(
        GO_REASONS.invalidVersion,
        `failed to detect version: ${(error as Error).message}`,
        '',
        '',
        '',
      );
    }
    if (version !== 2) {
      throw new GoError(
        GO_REASONS.noFacilitatorForNetwork,
        'no facilitator for v1 payments',
        '',
        '',
        '',
      );
    }
    try {
      goPayload(rawPayload);
    } catch (error) {
      throw new GoError(GO_REASONS.invalidV2Payload, (error as Error).message, '', '', '');
    }
    let requirements: GoRequirements;
    try {
      requirements = goRequirements(rawRequirements);
    } catch (error) {
      throw new GoError(GO_REASONS.invalidV2Requirements, (error as Error).message, '', '', '');
    }
    if (requirements.scheme !== 'exact' || requirements.network !== network) {
      throw new GoError(
        GO_REASONS.noFacilitatorForNetwork,
        `no facilitator for scheme "${requirements.scheme}" on network "${requirements.network}"; registered: exact@${network}`,
        '',
        '',
        requirements.network,
      );
    }
    let payer: string;
    try {
      payer = verifyScheme(goPayload(rawPayload), requirements);
    } catch (error) {
      const message = error instanceof GoError ? error.message : (error as Error).message;
      throw new GoError(GO_REASONS.verificationFailed, message, '', '', requirements.network);
    }
    const p = payloadFromMap(goPayload(rawPayload).payload);
    let transaction: ReturnType<typeof buildTransaction>;
    try {
      transaction = buildTransaction(p, requirements.asset);
    } catch (error) {
      throw new GoError(
        GO_REASONS.buildDeployFailed,
        (error as Error).message,
        payer,
        '',
        requirements.network,
      );
    }
    const hash = transaction.hash.toHex();
    submitted.push(hash);
    try {
      await rpcCall(options.rpcUrl, 'account_put_transaction', {
        transaction: { Version1: transaction.toJSON() },
      });
    } catch (error) {
      const detail =
        error instanceof RpcError
          ? `${error.message} (code: ${error.code})${error.data ? `: ${JSON.stringify(error.data)}` : ''}`
          : (error as Error).message;
      throw new GoError(
        GO_REASONS.putDeployFailed,
        `PutTransaction RPC failed: ${detail}`,
        payer,
        hash,
        requirements.network,
      );
    }
    try {
      await waitForTransaction(hash, deadline);
    } catch (error) {
      throw new GoError(
        GO_REASONS.waitDeployFailed,
        (error as Error).message,
        payer,
        hash,
        requirements.network,
      );
    }
    return { payer, hash, network: requirements.network };
  };

  const failedSettle = (error: GoError, fallbackNetwork: string) =>
    goStruct([
      ['success', false],
      ['errorReason', error.reason, 'omitempty'],
      ['errorMessage', error.message, 'omitempty'],
      ['payer', error.payer, 'omitempty'],
      ...(options.failedTransaction === 'omit' && error.transaction === ''
        ? []
        : ([['transaction', error.transaction]] as Array<[string, unknown]>)),
      ['network', error.network ?? fallbackNetwork],
    ]);

  /** Gin's BindJSON into {paymentPayload, paymentRequirements json.RawMessage}. */
  const bindJson = (text: string): { payload: unknown; requirements: unknown } | undefined => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (body === null) return { payload: undefined, requirements: undefined };
    if (typeof body !== 'object' || Array.isArray(body)) return undefined;
    const b = body as Record<string, unknown>;
    return { payload: b.paymentPayload, requirements: b.paymentRequirements };
  };

  const requirementsNetwork = (raw: unknown) => {
    try {
      return goRequirements(raw).network;
    } catch {
      return '';
    }
  };

  const payerOf = (raw: unknown) => {
    try {
      return payloadFromMap(goPayload(raw).payload).authorization.from;
    } catch {
      return '';
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const text = req.method === 'POST' ? await readBody(req) : '';
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    requests.push({
      method: req.method ?? '',
      path,
      authorization: req.headers.authorization,
      body: parsed,
    });

    if (req.method === 'GET' && path === '/health') return ginJson(res, 200, { status: 'ok' });
    const known =
      (req.method === 'GET' && path === '/supported') ||
      (req.method === 'POST' && (path === '/verify' || path === '/settle'));
    if (!known) return ginNotFound(res);

    if (options.accessTokens) {
      const given = req.headers.authorization;
      if (given === undefined || given === '') {
        return ginJson(res, 401, {
          error: {
            code: 'unauthorized',
            message: 'an access token is required in the Authorization header',
          },
        });
      }
      if (!options.accessTokens.includes(given)) {
        return ginJson(res, 401, {
          error: { code: 'unauthorized', message: 'the access token is not valid' },
        });
      }
    }

    if (path === '/supported') return ginJson(res, 200, supported());

    const bound = bindJson(text);
    if (!bound) return ginJson(res, 400, { error: 'invalid request' });

    if (path === '/verify') {
      const forced = forcedVerifies.shift();
      if (forced) {
        return ginJson(
          res,
          200,
          goStruct([
            ['isValid', false],
            ['invalidReason', forced.reason, 'omitempty'],
            ['invalidMessage', forced.message, 'omitempty'],
          ]),
        );
      }
      try {
        const payer = verify(bound.payload, bound.requirements);
        return ginJson(
          res,
          200,
          goStruct([
            ['isValid', true],
            ['payer', payer, 'omitempty'],
          ]),
        );
      } catch (error) {
        if (!(error instanceof GoError)) {
          return ginJson(res, 500, { error: (error as Error).message });
        }
        return ginJson(
          res,
          200,
          goStruct([
            ['isValid', false],
            ['invalidReason', error.reason, 'omitempty'],
            ['invalidMessage', error.message, 'omitempty'],
            ['payer', error.payer, 'omitempty'],
          ]),
        );
      }
    }

    // POST /settle
    const fallbackNetwork = requirementsNetwork(bound.requirements);
    const forced = forcedSettles.shift();
    if (forced) {
      const error = new GoError(
        forced.reason,
        forced.message,
        payerOf(bound.payload),
        forced.transaction,
        fallbackNetwork,
      );
      return ginJson(res, 200, failedSettle(error, fallbackNetwork));
    }
    try {
      const result = await settle(bound.payload, bound.requirements, Date.now() + settleTimeoutMs);
      return ginJson(
        res,
        200,
        goStruct([
          ['success', true],
          ['payer', result.payer, 'omitempty'],
          ['transaction', result.hash],
          ['network', result.network],
        ]),
      );
    } catch (error) {
      if (!(error instanceof GoError)) {
        return ginJson(res, 500, { error: (error as Error).message });
      }
      return ginJson(res, 200, failedSettle(error, fallbackNetwork));
    }
  };

  const { url, close } = await serveGin(handle, options.host, options.port);
  return {
    url,
    feePayer,
    requests,
    submitted,
    failNextSettle(reason, message = '', transaction = '') {
      forcedSettles.push({ reason, message, transaction });
    },
    failNextVerify(reason, message = '') {
      forcedVerifies.push({ reason, message });
    },
    close,
  };
}
