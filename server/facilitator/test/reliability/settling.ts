// What the SIGKILL rounds share: settle a payment at some facilitator as a resource server would,
// count the answers, remember each authorization's reported successes for the audit; and the
// kill-and-restart rounds of one facilitator process.
import { expect } from 'vitest';
import type { PaymentRequest } from '../../bench/payments.js';
import type { FacilitatorProcess } from '../../bench/processes.js';
import { type Authorization, settleOutcome, successKey } from './audit.js';
import type { Figures } from './figures.js';
import type { Random } from './mutate.js';
import { PROFILE } from './profile.js';
import { inParallel, type LedgerRow, ledgerRows, post, waitFor } from './stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const authorizationOf = (request: PaymentRequest): Authorization => {
  const { from, nonce } = (
    request.paymentPayload.payload as { authorization: { from: string; nonce: string } }
  ).authorization;
  return { payer: from.toLowerCase(), nonce: nonce.toLowerCase() };
};

export class SettleTracker {
  /** Transactions /settle reported as the success, by authorization. */
  readonly reported = new Map<string, Set<string>>();
  /** How often each kind of answer came. */
  readonly answers = new Map<string, number>();
  private readonly done = new Set<string>();

  constructor(private readonly figures: Figures) {}

  /** Whether some /settle already gave this payment its final answer. */
  isDone(request: PaymentRequest): boolean {
    const { payer, nonce } = authorizationOf(request);
    return this.done.has(successKey(payer, nonce));
  }

  private count(answer: string): void {
    this.answers.set(answer, (this.answers.get(answer) ?? 0) + 1);
  }

  /**
   * One /settle of `request` at `url`. A lost connection (the facilitator was killed) is
   * counted, never a failure; any answer must be 200, and a kill is never the payer's fault:
   * settled, or not yet, nothing else.
   */
  async settle(url: string, request: PaymentRequest): Promise<void> {
    this.figures.cases++;
    let answer: Awaited<ReturnType<typeof post>>;
    try {
      answer = await post(`${url}/settle`, request);
    } catch {
      this.count('connection lost');
      return;
    }
    expect(answer.status, answer.text).toBe(200);
    const body = answer.json!;
    const outcome = settleOutcome(body);
    this.count(outcome);
    expect(outcome, answer.text).not.toBe('refused');
    if (outcome === 'later') return;
    const { payer, nonce } = authorizationOf(request);
    const key = successKey(payer, nonce);
    this.reported.set(key, new Set([...(this.reported.get(key) ?? []), String(body.transaction)]));
    this.done.add(key);
  }
}

export interface KillRounds {
  /** Every payment the rounds sent. */
  all: PaymentRequest[];
  /** Ledger row states found right after each kill. */
  killPoints: Map<string, number>;
  /** The ledger once every row is final. */
  rows: LedgerRow[];
}

/**
 * One facilitator process killed with SIGKILL at a random point of settling, round after
 * round, while payments (some sent twice at once) keep arriving; restarted each time. Then a
 * resource server keeps asking until each payment has its final answer, and the ledger is
 * read once every row is final.
 */
export async function settleThroughKills(options: {
  stack: { start(): Promise<FacilitatorProcess>; database: string };
  tracker: SettleTracker;
  random: Random;
  payments: () => PaymentRequest;
  figures: Figures;
  /** Every process started, for the suite to kill at the end. */
  running: FacilitatorProcess[];
}): Promise<KillRounds> {
  const { stack, tracker, random, figures, running } = options;
  const all: PaymentRequest[] = [];
  const killPoints = new Map<string, number>();
  const settle = (facilitator: FacilitatorProcess, request: PaymentRequest) =>
    tracker.settle(facilitator.url, request);
  let facilitator = await stack.start();
  running.push(facilitator);
  for (let round = 0; round < PROFILE.killRounds; round++) {
    all.push(...Array.from({ length: PROFILE.paymentsPerKillRound }, options.payments));
    const open = all.filter((r) => !tracker.isDone(r));
    const current = facilitator;
    const traffic = Promise.all(
      open.flatMap((request) =>
        random.chance(0.2)
          ? [settle(current, request), settle(current, request)]
          : [settle(current, request)],
      ),
    );
    await sleep(random.int(1200));
    await current.kill();
    figures.faults++;
    await traffic;
    for (const row of ledgerRows(stack.database)) {
      killPoints.set(row.state, (killPoints.get(row.state) ?? 0) + 1);
    }
    facilitator = await stack.start();
    running.push(facilitator);
  }
  const last = facilitator;
  await inParallel(all, 8, async (request) => {
    for (let attempt = 0; attempt < 40 && !tracker.isDone(request); attempt++) {
      await settle(last, request);
      if (!tracker.isDone(request)) await sleep(100);
    }
  });
  const rows = await waitFor(
    () => ledgerRows(stack.database),
    (r) => r.every((row) => row.state === 'confirmed' || row.state === 'failed'),
    20_000,
  );
  return { all, killPoints, rows };
}
