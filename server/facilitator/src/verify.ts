// Verification of a payment before any gas is spent: every rule of `shared`, the facilitator's
// own configuration, then every check the contract would make against chain state.
import {
  bytesToHex,
  checkExactPayment,
  type ExactCasperPayload,
  type InvalidReason,
  normalizeAddress,
  type TokenProfile,
  type VerifyRequest,
  type VerifyResponse,
  verifyWindow,
  X402_VERSION,
} from '@x402-casper/shared';
import type { BlockView, GasFunds, Read, UsableProfile } from './chain.js';
import type { AssetConfig } from './config.js';
import type { Ledger, ReserveLimits, SettlementKey, Shortfall } from './ledger.js';
import { assetOf, maxPayment, type NetworkContext } from './network.js';
import { verifySignatureNative } from './signature.js';

export interface VerifyOptions {
  /** Unix seconds. */
  now: number;
  /** The newest block's timestamp, Unix seconds: the contract judges the window by chain time. */
  chainTime?: number;
  settlementMarginSeconds: number;
}

/** A payment that passed every off-chain check. */
export interface CheckedPayment {
  context: NetworkContext;
  asset: AssetConfig;
  payload: ExactCasperPayload;
  key: SettlementKey;
  digest: string;
  payee: string;
  value: bigint;
}

/** A checked payment with the block it is judged at. */
export type PaymentAtBlock = CheckedPayment & { block: BlockView };

/**
 * What was read from the chain while checking: the ledger's checks (for settlement, its
 * reservation) judge pending settlements against it.
 */
export interface ChainState {
  /** The payer's token balance at the payment's block. */
  tokenBalance: bigint;
  /** The fee payer's CSPR, as of its own block. */
  gas: GasFunds;
  /** The token's entry point layout and nonce state, as read from the chain. */
  token: UsableProfile;
}

export type Check<T> = { ok: true; value: T } | { ok: false; response: VerifyResponse };

export function invalid(
  reason: InvalidReason | 'unexpected_verify_error',
  message: string,
  payer?: string,
): { ok: false; response: VerifyResponse } {
  return {
    ok: false,
    response: {
      isValid: false,
      invalidReason: reason,
      invalidMessage: message,
      ...(payer ? { payer } : {}),
    },
  };
}

/** Everything that needs no chain: the request, `shared`'s rules, asset and token domain. */
export function checkOffChain(
  contexts: Map<string, NetworkContext>,
  request: VerifyRequest,
  options: VerifyOptions,
): Check<CheckedPayment> {
  if (request.x402Version !== X402_VERSION) {
    return invalid('invalid_x402_version', `x402Version must be ${X402_VERSION}`);
  }
  const { paymentPayload, paymentRequirements } = request;
  const context = contexts.get(paymentRequirements.network);
  if (!context) {
    return invalid(
      'invalid_network',
      `this facilitator does not settle on "${paymentRequirements.network}"; it supports ${[...contexts.keys()].join(', ')}`,
    );
  }
  const rules = checkExactPayment(paymentPayload, paymentRequirements, {
    now: options.now,
    ...(options.chainTime === undefined ? {} : { chainTime: options.chainTime }),
    settlementMarginSeconds: options.settlementMarginSeconds,
    verifySignature: verifySignatureNative,
  });
  if ('isValid' in rules) return { ok: false, response: rules };
  const { payer, payload, value, digest } = rules;
  const asset = assetOf(context, paymentRequirements.asset);
  if (!asset) {
    return invalid(
      'invalid_exact_casper_unknown_asset',
      `asset ${paymentRequirements.asset} is not configured on ${context.config.network}`,
      payer,
    );
  }
  const extra = paymentRequirements.extra ?? {};
  if (extra.name !== asset.domainName || extra.version !== asset.version) {
    return invalid(
      'invalid_exact_casper_domain_mismatch',
      `this facilitator expects signing-domain name "${asset.domainName}" version "${asset.version}" for this token, not signing-domain name "${String(extra.name)}" version "${String(extra.version)}"`,
      payer,
    );
  }
  // `digest` is the one the rules checked the signature over: from the server's requirements,
  // as `shared` parsed and normalised them; `accepted` may spell the same asset differently.
  return {
    ok: true,
    value: {
      context,
      asset,
      payload,
      key: {
        network: context.config.network,
        asset: asset.packageHash,
        payer,
        nonce: payload.authorization.nonce.toLowerCase(),
      },
      digest: bytesToHex(digest),
      payee: normalizeAddress(payload.authorization.to),
      value,
    },
  };
}

/** A payment that could not be judged: the network's node did not answer. */
function cannotRead(payment: CheckedPayment, error: unknown) {
  return invalid(
    'unexpected_verify_error',
    `cannot read ${payment.context.config.network} at its RPC endpoint: ${(error as Error).message}`,
    payment.key.payer,
  );
}

/** A payment refused for its payer's balance: `pending` is what the ledger still holds of it. */
function shortOfFunds(payment: CheckedPayment, balance: bigint, pending: bigint) {
  return invalid(
    'insufficient_funds',
    `balance ${balance}${pending > 0n ? ` with ${pending} pending` : ''} does not cover ${payment.value}`,
    payment.key.payer,
  );
}

/** A payment refused because the fee payer cannot pay its gas on top of pending settlements'. */
function shortOfGas(payment: CheckedPayment, gas: GasFunds, needed: bigint) {
  return invalid(
    'invalid_exact_casper_facilitator_unfunded',
    `the fee payer holds ${gas.motes} motes; settling needs ${needed}`,
    payment.key.payer,
  );
}

/**
 * The contract's checks against chain state: the token can be settled, the nonce is unused
 * on chain; and what the ledger's checks need (the payer's balance, the fee payer's gas). All
 * of it at the block the payment was judged at (checkPayment): for settlement the newest block
 * read now or a moment ago (see Read), for /verify the newest read last while no newer one is
 * due.
 */
export async function readOnChain(payment: PaymentAtBlock): Promise<Check<ChainState>> {
  const { context, asset, key } = payment;
  const unsupported = (problem: string) =>
    invalid(
      'invalid_exact_casper_unsupported_token',
      `token ${asset.packageHash} cannot be settled: ${problem}`,
      key.payer,
    );
  const { block } = payment;
  const { chain } = context;
  // The payer's nonce and balance as kept by `profile`'s contract.
  const payerState = (profile: UsableProfile) =>
    Promise.all([
      // A token that keeps its nonces where they cannot be read relies on the ledger here,
      // and on the contract itself, which refuses a used nonce.
      profile.nonces.kind === 'unreadable'
        ? false
        : chain.nonceUsed(profile.contractHash, profile.nonces, key.payer, key.nonce, block),
      chain.tokenBalance(profile.contractHash, key.payer, block),
    ]);
  // Read alongside the package, from the contract it had when last read: a package changes its
  // contract rarely, and the reads are made again from the new one when it did.
  const seen = chain.profileSeen(asset.packageHash);
  const early = seen && payerState(seen);
  const gasReading = chain.gasFunds(context.feePayer.publicKey, block);
  // Whichever of these is not awaited below must not fail unhandled.
  early?.catch(() => {});
  gasReading.catch(() => {});
  let token: TokenProfile;
  try {
    token = await chain.tokenProfile(asset, block);
  } catch (error) {
    return cannotRead(payment, error);
  }
  if (!token.usable) return unsupported(token.problem);
  let nonceUsed: boolean;
  let tokenBalance: bigint;
  let gas: GasFunds;
  try {
    const fromContract =
      early && seen.contractHash === token.contractHash ? early : payerState(token);
    [[nonceUsed, tokenBalance], gas] = await Promise.all([fromContract, gasReading]);
  } catch (error) {
    return cannotRead(payment, error);
  }
  if (nonceUsed) {
    return invalid(
      'invalid_exact_casper_nonce_used',
      'the nonce is already used on chain',
      key.payer,
    );
  }
  return { ok: true, value: { tokenBalance, gas, token } };
}

/**
 * Judges the payment against the settlements still pending with `judge` (the ledger's
 * shortfall, or a reservation, which makes the same judgement atomically) and refuses what
 * `isShort` says it left short. The fee payer's balance may be from an earlier block, the gas
 * of what executed since counted against it: a reading that looks short is not trusted, but
 * read again in the payment's block and judged once more.
 */
export async function judgePending<T, S extends T & Shortfall>(
  payment: PaymentAtBlock,
  state: ChainState,
  judge: (limits: ReserveLimits) => Promise<T>,
  isShort: (outcome: T) => outcome is S,
): Promise<Check<Exclude<T, S>>> {
  const { context, block } = payment;
  const limitsAt = (gas: GasFunds): ReserveLimits => ({
    tokenBalance: state.tokenBalance,
    gasBalance: gas.motes,
    paymentMotes: maxPayment(context.config),
    blockHeight: block.height,
    gasBlockHeight: gas.height,
  });
  let { gas } = state;
  let outcome = await judge(limitsAt(gas));
  if (isShort(outcome) && outcome.of === 'gas' && gas.height !== block.height) {
    try {
      gas = await context.chain.gasFunds(context.feePayer.publicKey, block, true);
    } catch (error) {
      return cannotRead(payment, error);
    }
    outcome = await judge(limitsAt(gas));
  }
  if (!isShort(outcome)) return { ok: true, value: outcome as Exclude<T, S> };
  const short: Shortfall = outcome;
  return short.of === 'funds'
    ? shortOfFunds(payment, state.tokenBalance, short.pending)
    : shortOfGas(payment, gas, short.needed);
}

/**
 * The facilitator's own checks on top of the chain's: the nonce is not taken in the ledger,
 * the payer's balance covers this payment on top of pending ones, and the fee payer can pay
 * the gas of every pending settlement plus this one. (Settlement makes them in its
 * reservation, atomically.)
 */
async function checkLedger(
  payment: PaymentAtBlock,
  state: ChainState,
  ledger: Ledger,
): Promise<Check<undefined>> {
  const { key } = payment;
  const existing = await ledger.get(key);
  if (existing && !(existing.state === 'failed' && existing.retryable)) {
    return invalid(
      'invalid_exact_casper_nonce_used',
      `the nonce is already taken by a settlement (${existing.state}, transaction ${existing.transactionHash})`,
      key.payer,
    );
  }
  return judgePending(
    payment,
    state,
    (limits) => ledger.shortfall(key, payment.value, limits),
    (short): short is Shortfall => short !== undefined,
  );
}

/** The chain's checks, then the ledger's. */
async function checkOnChain(payment: PaymentAtBlock, ledger: Ledger): Promise<Check<unknown>> {
  const onChain = await readOnChain(payment);
  return onChain.ok ? checkLedger(payment, onChain.value, ledger) : onChain;
}

/**
 * Every off-chain rule, with the window judged by chain time: first against the facilitator's
 * clock (a payment that is wrong in any other way is refused without touching the chain), then
 * against the newest block's timestamp, read at most once per block.
 */
export async function checkPayment(
  contexts: Map<string, NetworkContext>,
  request: VerifyRequest,
  options: VerifyOptions,
  read: Read,
): Promise<Check<PaymentAtBlock>> {
  const first = checkOffChain(contexts, request, options);
  // Expiry is judged by the later of the two clocks: expired by ours is expired. Only "not
  // yet valid" may change, on a chain ahead of our clock.
  if (!first.ok && first.response.invalidReason !== 'invalid_exact_casper_not_yet_valid') {
    return first;
  }
  const context = contexts.get(request.paymentRequirements.network)!;
  let block: BlockView;
  try {
    block = await context.chain.view(read);
  } catch (error) {
    return invalid(
      'unexpected_verify_error',
      `cannot read ${context.config.network} at its RPC endpoint: ${(error as Error).message}`,
    );
  }
  const byChain = { ...options, chainTime: Math.floor(block.timestampMs / 1000) };
  // Judged by our clock alone, the window failed before the signature was checked.
  const checked = first.ok ? first : checkOffChain(contexts, request, byChain);
  if (!checked.ok) return checked;
  const window = verifyWindow(checked.value.payload.authorization, byChain);
  if (window) return invalid(window.reason, window.message, checked.value.key.payer);
  return { ok: true, value: { ...checked.value, block } };
}

/** POST /verify: off-chain rules (the window by chain time), then chain state. */
export async function verify(
  contexts: Map<string, NetworkContext>,
  ledger: Ledger,
  request: VerifyRequest,
  options: VerifyOptions,
): Promise<VerifyResponse> {
  const offChain = await checkPayment(contexts, request, options, 'recent');
  if (!offChain.ok) return offChain.response;
  const check = await judgedAtNewest(offChain.value, (payment) => checkOnChain(payment, ledger));
  if (!check.ok) return check.response;
  return { isValid: true, payer: offChain.value.key.payer };
}

/** Refusals a newer block may lift (a payer or the fee payer funded since). */
const SHORT_OF_FUNDS = new Set(['insufficient_funds', 'invalid_exact_casper_facilitator_unfunded']);

/**
 * `judge` of the payment at the block it was checked at. Funds that look short there may have
 * come in a later block: before such a refusal, the payment is judged again at the newest
 * block, read now, when that is later.
 */
export async function judgedAtNewest<T>(
  payment: PaymentAtBlock,
  judge: (payment: PaymentAtBlock) => Promise<Check<T>>,
): Promise<Check<T>> {
  const check = await judge(payment);
  if (check.ok || !SHORT_OF_FUNDS.has(check.response.invalidReason ?? '')) return check;
  let block: BlockView | undefined;
  try {
    block = await payment.context.chain.view('live');
  } catch {}
  // Only a later block may have brought the funds (a node behind a load balancer may answer an
  // older one).
  if (!block || block.height <= payment.block.height) return check;
  return judge({ ...payment, block });
}
