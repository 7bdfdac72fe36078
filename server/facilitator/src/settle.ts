// Settlement: verify again, reserve the authorization in the ledger, submit one signed
// transaction, follow it until it executes. One driver per ledger row, so concurrent and
// repeated settles of the same authorization share one transaction and its outcome; of
// all of them, exactly one is ever answered `success: true` (the ledger's delivery claim).
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CasperRpcError,
  CasperRpcUnavailableError,
  exactPayloadOf,
  type InvalidReason,
  isInvalidReason,
  normalizeAddress,
  type RevertFamily,
  revertReason,
  type SettleRequest,
  type SettleResponse,
} from '@x402-casper/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { AwaitedTransaction } from './blocks.js';
import type { BlockView } from './chain.js';
import type {
  Ledger,
  ReserveLimits,
  ReserveResult,
  Settlement,
  SettlementDraft,
  SettlementKey,
} from './ledger.js';
import { assetOf, type NetworkContext, paymentFor } from './network.js';
import { buildSettlementTransaction, paymentOf, transactionFromJson } from './transaction.js';
import {
  type Check,
  checkOffChain,
  checkPayment,
  judgedAtNewest,
  judgePending,
  type PaymentAtBlock,
  readOnChain,
  type VerifyOptions,
} from './verify.js';

/**
 * How a row's driver starts: `fresh` just reserved (send it), `resume` a settle of a row left
 * reserved (send it unless the node has it), `reconcile` nobody waiting (never send).
 */
type DriveMode = 'fresh' | 'resume' | 'reconcile';

/**
 * How long past the moment a transaction can last be included (its TTL, or the
 * authorization's validBefore) it is still looked for before being given up.
 */
export const EXPIRY_GRACE_MS = 60_000;

export interface SettlerOptions {
  settleTimeoutMs: number;
  pollIntervalMs: number;
  /**
   * How long a replica's claim to follow a row lasts unless renewed (it renews on every poll);
   * a replica that dies lets its rows go to another this long after its last renewal.
   */
  leaseMs: number;
  /** This replica's name in leases; a random one by default. */
  owner?: string;
  settlementMarginSeconds: number;
  log: Log;
  /** The clock, ms since the epoch (Date.now by default). */
  now?: () => number;
}

/** The few logger methods settlement uses (Fastify's logger has them). */
export type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;

export interface SettleOutcome {
  response: SettleResponse;
  /** `confirmed`, `pending`, or the error reason: for metrics. */
  result: 'confirmed' | 'pending' | InvalidReason;
}

function failure(
  network: string,
  reason: InvalidReason,
  message: string,
  payer?: string,
): SettleOutcome {
  return {
    response: {
      success: false,
      errorReason: reason,
      errorMessage: message,
      ...(payer ? { payer } : {}),
      transaction: '',
      network,
    },
    result: reason,
  };
}

/** A confirmed settlement whose delivery another settle call already claimed. */
function alreadySettled(row: Settlement): SettleOutcome {
  const reason: InvalidReason = 'invalid_exact_casper_nonce_used';
  return {
    response: {
      success: false,
      errorReason: reason,
      errorMessage: `this payment was already settled by an earlier request (transaction ${row.transactionHash}); only that request is answered with success`,
      payer: row.payer,
      transaction: row.transactionHash,
      network: row.network,
    },
    result: reason,
  };
}

export class Settler {
  private readonly drivers = new Map<number, Promise<Settlement>>();
  private readonly stop = new AbortController();
  private readonly now: () => number;
  private readonly owner: string;
  /** When this replica last took or renewed the lease of each row it follows. */
  private readonly leasedAt = new Map<number, number>();

  constructor(
    private readonly contexts: Map<string, NetworkContext>,
    private readonly ledger: Ledger,
    private readonly options: SettlerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.owner = options.owner ?? `${hostname()}/${process.pid}/${randomUUID()}`;
    // Every settlement waiting for a block listens for the stop: any number may wait.
    setMaxListeners(0, this.stop.signal);
  }

  /**
   * Takes up every reserved or submitted settlement that no replica follows (no lease, or an
   * expired one) and no driver here runs: all of them at start-up; later only those untouched
   * for `idleMs` (e.g. a submission the node never got). Follows what the chain knows, and
   * releases for a retry what it never saw. Answers how many it took.
   */
  async reconcile(idleMs = 0, now = this.now()): Promise<number> {
    const rows = (await this.ledger.unfinished()).filter(
      (row) =>
        !this.drivers.has(row.id) &&
        (row.leaseUntil === null || row.leaseUntil < now) &&
        now - row.updatedAt >= idleMs,
    );
    let taken = 0;
    for (const row of rows) {
      if (!(await this.ledger.takeLease(row.id, this.owner, now + this.options.leaseMs, now))) {
        continue; // another replica took it first
      }
      this.leasedAt.set(row.id, now);
      taken += 1;
      this.options.log.info(
        { settlement: row.id, state: row.state, transaction: row.transactionHash },
        'reconciling settlement left unfinished',
      );
      this.drive(row, 'reconcile');
    }
    return taken;
  }

  /** Runs `reconcile` every `everyMs` for settlements no replica follows. */
  startSweeping(everyMs: number): void {
    const timer = setInterval(() => {
      this.reconcile(everyMs).catch((error: unknown) =>
        this.options.log.warn({ err: (error as Error).message }, 'cannot read the ledger to sweep'),
      );
    }, everyMs);
    timer.unref();
    this.stop.signal.addEventListener('abort', () => clearInterval(timer));
  }

  /** Stops following transactions; their rows stay unfinished for the next start. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.drivers.values()]);
  }

  /**
   * Settles one payment. `deliveryKey` (the caller's idempotency key) ties the success to its
   * caller: the one settle answered `success: true` is answered so again whenever its key is
   * repeated; every other caller is told the nonce is used.
   */
  async settle(
    request: SettleRequest,
    deliveryKey?: string,
    now = this.now(),
  ): Promise<SettleOutcome> {
    const network = request.paymentRequirements.network;
    const context = this.contexts.get(network);
    const key = context && this.keyOf(context, request);
    const existing = key && (await this.ledger.get(key));
    if (existing && !(context && this.retriedNow(context, existing, request))) {
      return this.answerExisting(existing, request, deliveryKey);
    }
    if (existing && context) {
      // A refusal can be wrong (a gateway may answer an error after passing the transaction
      // on): before building another, follow the old one if the node has it and it did not fail.
      const reopened = await this.reopenIfKnown(context, existing);
      if (reopened === 'unreadable') {
        return failure(
          network,
          'unexpected_settle_error',
          `cannot tell whether the node has this payment's earlier transaction ${existing.transactionHash}, so none is built in its place yet; settle again`,
          existing.payer,
        );
      }
      if (reopened) return this.answerExisting(reopened, request, deliveryKey);
    }
    const verifyOptions: VerifyOptions = {
      now: Math.floor(now / 1000),
      settlementMarginSeconds: this.options.settlementMarginSeconds,
    };
    const offChain = await checkPayment(this.contexts, request, verifyOptions, 'fresh');
    if (!offChain.ok) return this.rejected(network, offChain.response);
    // Funds short at the block judged by (maybe one read a moment ago) are looked for in the
    // newest block before a refusal.
    const judged = await judgedAtNewest(offChain.value, (payment) => this.reserve(payment, now));
    if (!judged.ok) {
      // A concurrent settle of the same authorization may have reserved it meanwhile (its
      // transaction spending the nonce, its reservation the funds): follow that one rather than
      // refuse. When the checks passed, the reservation finds such a row itself, atomically.
      const raced = await this.ledger.get(offChain.value.key);
      if (raced && !(raced.state === 'failed' && raced.retryable)) {
        return this.answerExisting(raced, request, deliveryKey);
      }
      return this.rejected(network, judged.response);
    }
    const { reservation, leaseFrom } = judged.value;
    if (reservation.status === 'exists')
      return this.answerExisting(reservation.settlement, request, deliveryKey);
    this.leasedAt.set(reservation.settlement.id, leaseFrom);
    this.options.log.info(
      {
        settlement: reservation.settlement.id,
        network,
        transaction: reservation.settlement.transactionHash,
      },
      'settlement reserved',
    );
    return this.await(reservation.settlement, 'fresh', deliveryKey);
  }

  /**
   * The chain's checks of the payment at its block, then its settlement transaction, built and
   * reserved in the ledger, whose reservation makes the ledger's checks (the nonce not taken,
   * the pending balance and gas) atomically.
   */
  private async reserve(
    payment: PaymentAtBlock,
    now: number,
  ): Promise<
    Check<{ reservation: Exclude<ReserveResult, { status: 'short' }>; leaseFrom: number }>
  > {
    const onChain = await readOnChain(payment);
    if (!onChain.ok) return onChain;
    const built = buildSettlementTransaction({
      payload: payment.payload,
      packageHash: payment.asset.packageHash,
      argLayout: onChain.value.token.layout,
      chainName: payment.context.config.chainName,
      paymentMotes: paymentFor(payment.context.config, payment.payload.publicKey),
      signingKey: payment.context.signingKey,
      nowMs: now,
    });
    const draft: Omit<SettlementDraft, 'lease'> = {
      ...payment.key,
      digest: payment.digest,
      payee: payment.payee,
      value: payment.value.toString(),
      transactionHash: built.hash,
      transaction: built.json,
      expiresAt: built.expiresAt,
      validBefore: Number(payment.payload.authorization.validBefore),
    };
    // The lease runs from the reservation, after the reads, not from when the request came.
    let leaseFrom = 0;
    const reserve = (limits: ReserveLimits) => {
      leaseFrom = this.now();
      return this.ledger.reserve(
        { ...draft, lease: { owner: this.owner, until: leaseFrom + this.options.leaseMs } },
        limits,
        now,
      );
    };
    const judged = await judgePending(
      payment,
      onChain.value,
      reserve,
      (result): result is Extract<ReserveResult, { status: 'short' }> => result.status === 'short',
    );
    return judged.ok ? { ok: true, value: { reservation: judged.value, leaseFrom } } : judged;
  }

  /**
   * A retryable failure whose transaction the node has after all (pending, or executed
   * without error) is taken up again as submitted; undefined when it must be retried anew;
   * `unreadable` when the node cannot say (a second transaction might then run beside the first,
   * the second reverting for the used nonce, and the first's success never found).
   */
  private async reopenIfKnown(
    context: NetworkContext,
    row: Settlement,
  ): Promise<Settlement | 'unreadable' | undefined> {
    let status: Awaited<ReturnType<typeof context.chain.execution>>;
    try {
      status = await context.chain.execution(row.transactionHash);
    } catch {
      return 'unreadable';
    }
    const alive =
      status.state === 'pending' || (status.state === 'executed' && status.errorMessage === null);
    if (!alive) return undefined;
    this.options.log.warn(
      { settlement: row.id, transaction: row.transactionHash },
      'a settlement transaction taken for refused reached the node: following it',
    );
    return this.ledger.reopen(row, this.now());
  }

  /**
   * Whether a settle of `request` builds a new transaction for its row: only after a retryable
   * failure, and after running out of gas (the one retryable failure that executed) only with
   * more gas than that transaction had. A retry with as much would burn as much again, at the
   * fee payer's cost, as often as anyone holding the payload sent it.
   */
  private retriedNow(context: NetworkContext, row: Settlement, request: SettleRequest): boolean {
    if (row.state !== 'failed' || !row.retryable) return false;
    if (row.blockHeight === null) return true; // refused before it ran: nothing was spent
    const spent = paymentOf(row.transaction);
    const { publicKey } = exactPayloadOf(request.paymentPayload);
    return spent === undefined || paymentFor(context.config, publicKey) > spent;
  }

  /** The ledger key of a request, when its payload is well-formed enough to have one. */
  private keyOf(context: NetworkContext, request: SettleRequest): SettlementKey | undefined {
    try {
      const { authorization } = exactPayloadOf(request.paymentPayload);
      const asset = assetOf(context, request.paymentRequirements.asset);
      if (!asset || !/^[0-9a-fA-F]{64}$/.test(authorization.nonce)) return undefined;
      return {
        network: context.config.network,
        asset: asset.packageHash,
        payer: normalizeAddress(authorization.from),
        nonce: authorization.nonce.toLowerCase(),
      };
    } catch {
      return undefined;
    }
  }

  /**
   * A settle of an authorization the ledger already holds: if it is the same authorization,
   * valid when first taken, it waits for that settlement's outcome (success only if it is the
   * first caller to find it confirmed); anything else reused a nonce.
   */
  private async answerExisting(
    row: Settlement,
    request: SettleRequest,
    deliveryKey: string | undefined,
  ): Promise<SettleOutcome> {
    const offChain = checkOffChain(this.contexts, request, {
      now: Math.floor(row.createdAt / 1000),
      settlementMarginSeconds: this.options.settlementMarginSeconds,
    });
    if (!offChain.ok) return this.rejected(row.network, offChain.response);
    if (offChain.value.digest !== row.digest) {
      return failure(
        row.network,
        'invalid_exact_casper_nonce_used',
        'another authorization with this nonce was already settled',
        row.payer,
      );
    }
    return this.await(row, 'resume', deliveryKey);
  }

  private rejected(
    network: string,
    response: { invalidReason?: string; invalidMessage?: string; payer?: string },
  ): SettleOutcome {
    const reason: InvalidReason =
      response.invalidReason === 'unexpected_verify_error' ||
      !isInvalidReason(response.invalidReason)
        ? 'unexpected_settle_error'
        : response.invalidReason;
    return failure(network, reason, response.invalidMessage ?? reason, response.payer);
  }

  /**
   * Waits for a row's driver up to the settle time limit and answers with where it stands.
   */
  private async await(
    row: Settlement,
    mode: DriveMode,
    deliveryKey: string | undefined,
  ): Promise<SettleOutcome> {
    if (row.state === 'confirmed' || row.state === 'failed') return this.answer(row, deliveryKey);
    const driver = this.drive(row, mode, deliveryKey);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.settleTimeoutMs);
    });
    try {
      const settled = await Promise.race([driver, timeout]);
      const latest = settled === 'timeout' ? await this.ledger.byId(row.id) : settled;
      return await this.answer(latest, deliveryKey);
    } catch (error) {
      return failure(
        row.network,
        'unexpected_settle_error',
        `${(error as Error).message}; the settlement is kept and a later settle of this payment resumes it`,
        row.payer,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The answer for one caller. A confirmed settlement is a success only for the caller that
   * claims its delivery; every other caller is told the payment was already used.
   */
  private async answer(row: Settlement, deliveryKey?: string): Promise<SettleOutcome> {
    if (row.state === 'confirmed') {
      const claimed =
        (deliveryKey !== undefined &&
          row.deliveredAt !== null &&
          row.deliveryKey === deliveryKey) ||
        (await this.ledger.claimDelivery(row.id, this.now(), deliveryKey));
      if (!claimed) return alreadySettled(row);
      return {
        response: {
          success: true,
          payer: row.payer,
          transaction: row.transactionHash,
          network: row.network,
        },
        result: 'confirmed',
      };
    }
    if (row.state === 'failed') {
      return failure(
        row.network,
        row.errorReason ?? 'unexpected_settle_error',
        row.errorMessage ?? 'settlement failed',
        row.payer,
      );
    }
    return {
      response: {
        success: false,
        errorReason: 'settlement_pending',
        errorMessage: `transaction ${row.transactionHash} is ${row.state}; settle again for the final result`,
        payer: row.payer,
        transaction: row.transactionHash,
        network: row.network,
      },
      result: 'pending',
    };
  }

  /**
   * The one driver of a row in this process: started on first call, shared by every later
   * caller until it ends. It follows the transaction while it holds the row's lease; when
   * another replica holds it, it watches the ledger for that replica's result instead. It
   * rejects when the ledger fails, or a sweep cannot reach the node to submit (the row stays
   * as it was and a later call or sweep retries).
   */
  private drive(row: Settlement, mode: DriveMode, claimant?: string): Promise<Settlement> {
    const running = this.drivers.get(row.id);
    if (running) return running;
    const driver = this.leased(row, mode, claimant).finally(() => this.drivers.delete(row.id));
    driver.catch((error: unknown) => {
      this.options.log.warn(
        { settlement: row.id, err: (error as Error).message },
        'settlement could not be submitted yet',
      );
    });
    this.drivers.set(row.id, driver);
    return driver;
  }

  /** Takes the row's lease and runs its driver, or watches the replica that holds it. */
  private async leased(row: Settlement, mode: DriveMode, claimant?: string): Promise<Settlement> {
    if (!(await this.renew(row))) return this.watch(row, claimant);
    return this.runHolding(row, mode, claimant);
  }

  /** Runs the row's driver while this replica holds its lease, and gives the lease up after. */
  private async runHolding(
    row: Settlement,
    mode: DriveMode,
    claimant: string | undefined,
  ): Promise<Settlement> {
    let ended: Settlement | undefined;
    try {
      ended = await this.run(row, mode, claimant);
      return ended;
    } finally {
      this.leasedAt.delete(row.id);
      // A row that reached its end had its lease cleared by that same update.
      if (ended?.state !== 'confirmed' && ended?.state !== 'failed') {
        await this.ledger.releaseLease(row.id, this.owner).catch(() => {});
      }
    }
  }

  /**
   * Reads the row every poll interval until another replica's driver ends it, or nobody holds
   * it any more (the lease expired or was given up: this replica takes over), or this one stops.
   */
  private async watch(initial: Settlement, claimant: string | undefined): Promise<Settlement> {
    let row = initial;
    while (row.state === 'reserved' || row.state === 'submitted') {
      try {
        await sleep(this.options.pollIntervalMs, undefined, { signal: this.stop.signal });
      } catch {
        return row;
      }
      row = await this.ledger.byId(row.id);
      // Free: nobody holds it, the holder's lease ran out, or it is this replica's own (a settle
      // here reserved it again meanwhile).
      const free =
        row.leaseOwner === this.owner || row.leaseUntil === null || row.leaseUntil < this.now();
      if (
        (row.state === 'reserved' || row.state === 'submitted') &&
        free &&
        (await this.renew(row))
      ) {
        return this.runHolding(row, 'resume', claimant);
      }
    }
    return row;
  }

  /**
   * Renews this replica's lease on a row it follows; false when another took it over. A lease
   * taken less than a third of its length ago is kept as it is: nobody else can hold it yet.
   */
  private async renew(row: Settlement): Promise<boolean> {
    const now = this.now();
    const taken = this.leasedAt.get(row.id);
    if (taken !== undefined && now - taken < this.options.leaseMs / 3) return true;
    const held = await this.ledger.takeLease(row.id, this.owner, now + this.options.leaseMs, now);
    if (held) this.leasedAt.set(row.id, now);
    else this.leasedAt.delete(row.id);
    return held;
  }

  private async run(
    initial: Settlement,
    mode: DriveMode,
    claimant: string | undefined,
  ): Promise<Settlement> {
    const context = this.contexts.get(initial.network);
    if (!context) {
      this.options.log.error(
        { settlement: initial.id, network: initial.network },
        'settlement belongs to a network no longer configured; left as is',
      );
      return initial;
    }
    // A row just reserved is as this replica wrote it; any other may have moved since it was read.
    let row = mode === 'fresh' ? initial : await this.ledger.byId(initial.id);
    // One look per block: the network's watcher wakes a waiting settlement when a block that
    // may hold its transaction comes (and at least every third of a lease, to renew it).
    // Waits end when the lease is due for renewal, so it is renewed every third of it (plus
    // one poll); the config keeps rpcTimeoutMs well under the lease for that.
    const untilRenewal = () => {
      const renewalDue = (this.leasedAt.get(row.id) ?? 0) + this.options.leaseMs / 3;
      return Math.max(this.options.pollIntervalMs, renewalDue - this.now());
    };
    // Sent now, the transaction is in no block up to the newest seen before: the watcher is
    // told so (and moves that height on as blocks without it come), and wakes these waits only
    // with a block that may hold it. A status read moves nothing: behind a load balancer, the
    // node that answers it may be behind the one that showed the blocks.
    let awaited: AwaitedTransaction | undefined;
    const nextBlock = () => context.blocks.nextBlock(this.stop.signal, untilRenewal(), awaited);
    if (row.state === 'reserved') {
      const notIn = context.chain.newestSeen()?.height ?? -1;
      row = await this.send(context, row, mode, untilRenewal);
      // Not sent: a later settle or sweep looks again.
      if (row.state === 'reserved') return row;
      // Just sent: it cannot have run before the next block. Alone, its own status read is
      // the first look.
      if (row.state === 'submitted') {
        if (mode === 'fresh') awaited = { hash: row.transactionHash, notIn };
        await context.blocks.blockDue(this.stop.signal, untilRenewal(), awaited);
      }
    }
    while (row.state === 'submitted') {
      if (this.stop.signal.aborted || !(await this.renew(row))) return row;
      row = await this.poll(context, row, claimant);
      if (row.state === 'submitted') await nextBlock();
    }
    return row;
  }

  /** From this moment (ms) the authorization leaves too little time to settle it. */
  private lastSettle(row: Settlement): number {
    if (row.validBefore === null) return Number.POSITIVE_INFINITY;
    return row.validBefore * 1000 - this.options.settlementMarginSeconds * 1000;
  }

  /** The last moment (ms) the stored transaction is worth sending: it must still run in time. */
  private lastSend(row: Settlement): number {
    return Math.min(row.expiresAt, this.lastSettle(row));
  }

  /** After this moment (ms) the row's transaction can no longer execute anywhere. */
  private deadline(row: Settlement): number {
    const validBefore = row.validBefore === null ? row.expiresAt : row.validBefore * 1000;
    return Math.min(row.expiresAt, validBefore) + EXPIRY_GRACE_MS;
  }

  /**
   * Submits the row's transaction (see submit). Where the node's answer is lost (no answer in
   * time, a dropped connection, a garbled reply), whether it has the transaction is unknown: a
   * caller waiting for it (`fresh`, `resume`) keeps waiting while the node is asked again at the
   * next block, and the transaction sent again (the same bytes) if it never came. Answering a
   * failure instead would have the caller's client sign a second payment while the first may
   * still run. A sweep (`reconcile`) leaves that to its next round.
   */
  private async send(
    context: NetworkContext,
    initial: Settlement,
    mode: DriveMode,
    untilRenewal: () => number,
  ): Promise<Settlement> {
    let attempt = mode;
    for (;;) {
      try {
        return await this.submit(context, initial, attempt);
      } catch (error) {
        if (mode === 'reconcile' || !(error instanceof CasperRpcUnavailableError)) throw error;
        this.options.log.warn(
          { settlement: initial.id, transaction: initial.transactionHash, err: error.message },
          'no answer from the node about the settlement transaction: asking again at the next block',
        );
      }
      attempt = 'resume';
      await context.blocks.nextBlock(this.stop.signal, untilRenewal());
      if (this.stop.signal.aborted || !(await this.renew(initial))) return initial;
    }
  }

  /**
   * Sends the row's transaction (its stored JSON, checked again unless just built) unless the
   * node already has it. A transaction the node never saw is sent again only for a caller waiting for it (`resume`) and only while
   * the authorization leaves the settlement margin; otherwise the row is left reserved until
   * the transaction can no longer execute, then concluded from the chain.
   */
  private async submit(
    context: NetworkContext,
    row: Settlement,
    mode: DriveMode,
  ): Promise<Settlement> {
    if (mode !== 'fresh') {
      const status = await context.chain.execution(row.transactionHash);
      if (status.state !== 'unknown') return this.ledger.markSubmitted(row);
      if (mode === 'reconcile' || this.now() >= this.lastSend(row)) {
        if (this.now() <= this.deadline(row)) {
          this.options.log.info(
            { settlement: row.id, transaction: row.transactionHash },
            'settlement transaction not on the node; not sent now, looked at again later',
          );
          return row;
        }
        return this.conclude(context, row);
      }
    }
    try {
      // A stored transaction is checked (hash, approvals) before it is sent again.
      if (mode !== 'fresh') transactionFromJson(row.transaction);
      await context.chain.submit(row.transaction);
    } catch (error) {
      if (error instanceof CasperRpcError) {
        this.options.log.warn(
          { settlement: row.id, code: error.code, err: error.message },
          'node refused the settlement transaction',
        );
        return this.ledger.markFailed(row, {
          reason: 'unexpected_settle_error',
          message: `the node refused the transaction: ${error.message}`,
          retryable: true,
        });
      }
      throw error;
    }
    this.options.log.info(
      { settlement: row.id, transaction: row.transactionHash },
      'settlement transaction submitted',
    );
    return this.ledger.markSubmitted(row);
  }

  /** One look at the chain; an unreachable node only delays the next look. */
  private async poll(
    context: NetworkContext,
    row: Settlement,
    claimant: string | undefined,
  ): Promise<Settlement> {
    let status: Awaited<ReturnType<typeof context.chain.execution>>;
    try {
      status = await context.chain.execution(row.transactionHash);
    } catch (error) {
      this.options.log.warn(
        { settlement: row.id, err: (error as Error).message },
        'cannot read the settlement transaction yet',
      );
      return row;
    }
    if (status.state === 'executed') {
      if (status.errorMessage === null) {
        this.options.log.info(
          { settlement: row.id, transaction: row.transactionHash, block: status.blockHeight },
          'settlement confirmed',
        );
        return this.ledger.markConfirmed(row, status.blockHeight, this.now(), claimant);
      }
      this.options.log.warn(
        { settlement: row.id, transaction: row.transactionHash, error: status.errorMessage },
        'settlement transaction reverted',
      );
      if (/out of gas/i.test(status.errorMessage)) {
        // Nothing was written and the authorization is still unused: the payment was too
        // small for this token, not the payer's fault. Settling again retries with the
        // payment configured then.
        return this.ledger.markFailed(row, {
          reason: 'unexpected_settle_error',
          message: `the transaction ran out of gas (${status.errorMessage}); raise networks[].paymentMotes or secp256k1PaymentMotes, then settle again`,
          retryable: true,
          blockHeight: status.blockHeight,
        });
      }
      return this.ledger.markFailed(row, {
        reason: revertReason(status.errorMessage, await this.revertsOf(context, row)),
        message: `the transaction reverted: ${status.errorMessage}`,
        retryable: false,
        blockHeight: status.blockHeight,
      });
    }
    if (this.now() > this.deadline(row)) return this.conclude(context, row);
    return row;
  }

  /**
   * The row's token as the chain shows it at `block`. A row outlives its asset's
   * configuration: an asset no longer configured is read with no layout override.
   */
  private profileOf(context: NetworkContext, row: Settlement, block: BlockView) {
    const asset = assetOf(context, row.asset) ?? { packageHash: row.asset, argLayout: undefined };
    return context.chain.tokenProfile(asset, block);
  }

  /** Which revert-code table the row's token answers with (the CEP's, if it cannot be read). */
  private async revertsOf(context: NetworkContext, row: Settlement): Promise<RevertFamily> {
    try {
      const profile = await this.profileOf(context, row, await context.chain.view());
      return profile.usable ? profile.reverts : 'cep3009';
    } catch {
      return 'cep3009';
    }
  }

  /**
   * Whether the row's nonce is used on chain. A token whose nonces cannot be read (kept where
   * they cannot be read, or in a package this reader cannot read at all) answers "unused": its
   * transaction was never seen executed, and the contract itself refuses a used nonce, so a
   * retry can at worst cost gas, never pay twice. The price: should that transaction have run
   * unseen, the row ends failed although the payment moved (kept open instead, it would hold the
   * payer's pending balance and a share of the fee payer's gas for ever).
   */
  private async nonceUsed(context: NetworkContext, row: Settlement): Promise<boolean> {
    const block = await context.chain.view('live');
    const profile = await this.profileOf(context, row, block);
    if (!profile.usable || profile.nonces.kind === 'unreadable') return false;
    return context.chain.nonceUsed(
      profile.contractHash,
      profile.nonces,
      row.payer,
      row.nonce,
      block,
    );
  }

  /**
   * Ends a row whose transaction can no longer execute and was never seen executed. The
   * contract's nonce record decides (see nonceUsed for a token whose record cannot be read):
   * used means the authorization was spent by some transaction (final, never retried); unused
   * means nothing moved, so the row is released for a retry, or failed as expired when the
   * authorization has run out. An unreadable chain leaves the row as it is.
   */
  private async conclude(context: NetworkContext, row: Settlement): Promise<Settlement> {
    let used: boolean;
    try {
      used = await this.nonceUsed(context, row);
    } catch (error) {
      this.options.log.warn(
        { settlement: row.id, err: (error as Error).message },
        'cannot read the nonce of an expired settlement yet',
      );
      return row;
    }
    if (used) {
      this.options.log.warn(
        { settlement: row.id, transaction: row.transactionHash },
        'the nonce was used on chain by a transaction not seen executed',
      );
      return this.ledger.markFailed(row, {
        reason: 'invalid_exact_casper_nonce_used',
        message: `the nonce was used on chain, but transaction ${row.transactionHash} was never seen executed`,
        retryable: false,
      });
    }
    if (this.now() >= this.lastSettle(row)) {
      return this.ledger.markFailed(row, {
        reason: 'invalid_exact_casper_payload_expired',
        message: 'the authorization expired before its transaction was executed',
        retryable: false,
      });
    }
    return this.ledger.markFailed(row, {
      reason: 'unexpected_settle_error',
      message: 'the transaction expired without being executed; settle again to retry',
      retryable: true,
    });
  }
}
