import { addressOfPublicKey, normalizeAddress } from '../casper/address.js';
import { type PublicKey, parsePublicKey, verifySignature } from '../casper/keys.js';
import { X402InputError } from '../errors.js';
import { parseUint, U64_MAX } from '../uint.js';
import {
  type ExactCasperPayload,
  type PaymentPayload,
  PaymentPayloadSchema,
  type PaymentRequirements,
  type VerifyResponse,
  X402_VERSION,
} from '../x402/schemas.js';
import { checkSchema } from '../x402/validate.js';
import { exactDigest, exactPayloadOf } from './payload.js';
import type { InvalidReason } from './reasons.js';
import { EXACT_SCHEME, type ExactRequirements, parseExactRequirements } from './requirements.js';

/**
 * Seconds an authorization must stay valid beyond now, so that it is still valid in the block
 * that settles it (Casper blocks come every 8 s; a settlement takes 8–16 s).
 */
export const DEFAULT_SETTLEMENT_MARGIN_SECONDS = 30;

export interface VerifyOptions {
  /** Unix time in seconds; defaults to the clock. */
  now?: number;
  /**
   * Chain time: the newest block's timestamp, Unix seconds. The contract judges the window by
   * the time of the block that runs it, which is never earlier than this: `validAfter` must be
   * before it, and `validBefore` after the later of it and `now`, plus the settlement margin.
   * Without it, `now` stands for both.
   */
  chainTime?: number;
  settlementMarginSeconds?: number;
  /**
   * Checks the tagged signature over the digest in place of `shared`'s own (pure JS) check, e.g. a
   * faster native one. It must refuse what Casper refuses (high-S secp256k1) and never throw.
   */
  verifySignature?: (publicKey: PublicKey, digest: Uint8Array, signatureHex: string) => boolean;
}

const ADDRESS = /^0[01][0-9a-fA-F]{64}$/;
const NONCE = /^[0-9a-fA-F]{64}$/;

class Invalid extends Error {
  constructor(
    readonly reason: InvalidReason,
    message: string,
  ) {
    super(message);
  }
}

function fail(reason: InvalidReason, message: string): never {
  throw new Invalid(reason, message);
}

/** Runs `parse`, turning an X402InputError into an Invalid with `reason`. */
function parseOr<T>(reason: InvalidReason, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof X402InputError) fail(reason, error.message);
    throw error;
  }
}

function checkAccepted(
  payload: PaymentPayload,
  requirements: PaymentRequirements,
  exact: ExactRequirements,
) {
  const accepted = payload.accepted;
  if (accepted.scheme !== requirements.scheme) {
    fail(
      'invalid_scheme',
      `payload is for scheme "${accepted.scheme}", requirements ask for "${requirements.scheme}"`,
    );
  }
  if (accepted.network !== exact.network) {
    fail(
      'invalid_network',
      `payload is for ${accepted.network}, requirements ask for ${exact.network}`,
    );
  }
  if (accepted.asset.toLowerCase() !== exact.asset) {
    fail(
      'invalid_exact_casper_asset_mismatch',
      `payload is for asset ${accepted.asset}, requirements ask for ${exact.asset}`,
    );
  }
  if (accepted.amount !== requirements.amount) {
    fail(
      'invalid_exact_casper_amount_mismatch',
      `payload accepted amount ${accepted.amount}, requirements ask for ${requirements.amount}`,
    );
  }
  const acceptedPayTo = parseOr('invalid_payload', () =>
    normalizeAddress(accepted.payTo, 'accepted.payTo'),
  );
  if (acceptedPayTo !== exact.payTo) {
    fail(
      'invalid_exact_casper_payto_mismatch',
      `payload accepted payee ${acceptedPayTo}, requirements pay ${exact.payTo}`,
    );
  }
  const extra = accepted.extra ?? {};
  if (extra.name !== exact.name || extra.version !== exact.version) {
    fail(
      'invalid_exact_casper_domain_mismatch',
      `payload signs under signing-domain name "${String(extra.name)}" version "${String(extra.version)}", requirements ask for signing-domain name "${exact.name}" version "${exact.version}"`,
    );
  }
}

/** The window rules: the contract requires block time > validAfter and < validBefore. */
function checkWindow(validAfter: bigint, validBefore: bigint, options: VerifyOptions): void {
  const clock = BigInt(options.now ?? Math.floor(Date.now() / 1000));
  const chainTime = options.chainTime === undefined ? clock : BigInt(options.chainTime);
  const now = chainTime > clock ? chainTime : clock;
  const margin = BigInt(options.settlementMarginSeconds ?? DEFAULT_SETTLEMENT_MARGIN_SECONDS);
  if (validAfter >= chainTime) {
    fail(
      'invalid_exact_casper_not_yet_valid',
      `valid only after ${validAfter}; chain time is ${chainTime}`,
    );
  }
  if (validBefore <= now + margin) {
    fail(
      'invalid_exact_casper_payload_expired',
      `expires at ${validBefore}; settlement needs it valid until at least ${now + margin}`,
    );
  }
}

/**
 * The window rules alone, for judging again at another time (e.g. chain time) a payment that
 * `verifyPayment` accepted: undefined when valid, else the reason and message.
 */
export function verifyWindow(
  authorization: { validAfter: string; validBefore: string },
  options: VerifyOptions,
): { reason: InvalidReason; message: string } | undefined {
  try {
    checkWindow(BigInt(authorization.validAfter), BigInt(authorization.validBefore), options);
    return undefined;
  } catch (error) {
    if (error instanceof Invalid) return { reason: error.reason, message: error.message };
    throw error;
  }
}

/** What a valid Casper `exact` payment was checked as, for callers that go on with it. */
export interface CheckedExactPayment {
  /** The payer's account address (`authorization.from`, lower case). */
  payer: string;
  payload: ExactCasperPayload;
  /** `authorization.value`, parsed. */
  value: bigint;
  /** The CEP-3009 digest the signature was checked over. */
  digest: Uint8Array;
}

function verifyExact(
  paymentPayload: PaymentPayload,
  requirements: PaymentRequirements,
  options: VerifyOptions,
): CheckedExactPayment {
  if (requirements?.scheme !== EXACT_SCHEME) {
    fail(
      'unsupported_scheme',
      `scheme "${String(requirements?.scheme)}" is not supported; only "exact"`,
    );
  }
  const exact = parseOr('invalid_payment_requirements', () => parseExactRequirements(requirements));
  const payload = parseOr('invalid_payload', () =>
    checkSchema(PaymentPayloadSchema, paymentPayload, 'paymentPayload'),
  );
  if (payload.x402Version !== X402_VERSION) {
    fail('invalid_x402_version', `x402Version must be ${X402_VERSION}, got ${payload.x402Version}`);
  }
  checkAccepted(payload, requirements, exact);
  const exactPayload = parseOr('invalid_payload', () => exactPayloadOf(payload));
  const { signature, publicKey, authorization } = exactPayload;

  if (!ADDRESS.test(authorization.from))
    fail(
      'invalid_exact_casper_invalid_address',
      'authorization.from must be 00/01 + 64 hex digits',
    );
  if (!ADDRESS.test(authorization.to))
    fail('invalid_exact_casper_invalid_address', 'authorization.to must be 00/01 + 64 hex digits');
  if (!NONCE.test(authorization.nonce))
    fail('invalid_exact_casper_invalid_nonce', 'authorization.nonce must be 64 hex digits');
  const value = parseOr('invalid_exact_casper_invalid_value', () =>
    parseUint(authorization.value, 'authorization.value'),
  );
  const validAfter = parseOr('invalid_exact_casper_invalid_window', () =>
    parseUint(authorization.validAfter, 'authorization.validAfter', 64),
  );
  const validBefore = parseOr('invalid_exact_casper_invalid_window', () =>
    parseUint(authorization.validBefore, 'authorization.validBefore', 64),
  );
  const key: PublicKey = parseOr('invalid_exact_casper_invalid_public_key', () =>
    parsePublicKey(publicKey, 'payload.publicKey'),
  );

  const payer = authorization.from.toLowerCase();
  if (addressOfPublicKey(key) !== payer) {
    fail(
      'invalid_exact_casper_public_key_mismatch',
      `public key ${key.hex} belongs to ${addressOfPublicKey(key)}, not to ${payer}`,
    );
  }
  if (authorization.to.toLowerCase() !== exact.payTo) {
    fail(
      'invalid_exact_casper_payto_mismatch',
      `authorization pays ${authorization.to}, requirements pay ${exact.payTo}`,
    );
  }
  if (value !== exact.amount) {
    fail(
      'invalid_exact_casper_amount_mismatch',
      `authorization value ${value} is not the required amount ${exact.amount}`,
    );
  }
  if (validAfter >= validBefore || validBefore > U64_MAX) {
    fail('invalid_exact_casper_invalid_window', 'validAfter must be before validBefore');
  }
  checkWindow(validAfter, validBefore, options);
  const digest = exactDigest(exact, authorization);
  const verify = options.verifySignature ?? verifySignature;
  if (!verify(key, digest, signature)) {
    fail(
      'invalid_exact_casper_invalid_signature',
      'signature does not verify for this authorization and public key',
    );
  }
  return { payer, payload: exactPayload, value, digest };
}

/**
 * Every check of a Casper `exact` payment that needs no chain: version, scheme, network,
 * asset, token domain, payee, exact amount, nonce format, validity window with a settlement
 * margin, public key → `from`, and the signature over the CEP-3009 digest.
 * Never throws for bad input: answers `{isValid: false, invalidReason, invalidMessage, payer?}`.
 */
export function verifyPayment(
  paymentPayload: PaymentPayload,
  requirements: PaymentRequirements,
  options: VerifyOptions = {},
): VerifyResponse {
  const checked = checkExactPayment(paymentPayload, requirements, options);
  return 'isValid' in checked ? checked : { isValid: true, payer: checked.payer };
}

/**
 * `verifyPayment`, answering a valid payment with what it was checked as (the parsed payload
 * and value, the digest), so that a caller need not parse or hash it again.
 */
export function checkExactPayment(
  paymentPayload: PaymentPayload,
  requirements: PaymentRequirements,
  options: VerifyOptions = {},
): CheckedExactPayment | (VerifyResponse & { isValid: false }) {
  try {
    return verifyExact(paymentPayload, requirements, options);
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    const from = (paymentPayload as { payload?: { authorization?: { from?: unknown } } })?.payload
      ?.authorization?.from;
    const payer = typeof from === 'string' && ADDRESS.test(from) ? from.toLowerCase() : undefined;
    return {
      isValid: false,
      invalidReason: error.reason,
      invalidMessage: error.message,
      ...(payer ? { payer } : {}),
    };
  }
}
