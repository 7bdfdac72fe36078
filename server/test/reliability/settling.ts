// What the SIGKILL rounds share: settle a payment at some facilitator as a resource server would,
// count the answers, and remember each authorization's reported successes for the audit.
import { expect } from 'vitest';
import type { PaymentRequest } from '../../bench/payments.js';
import { type Authorization, settleOutcome, successKey } from './audit.js';
import type { Figures } from './figures.js';
import { post } from './stack.js';

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
