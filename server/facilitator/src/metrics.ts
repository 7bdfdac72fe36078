// Prometheus text exposition of the facilitator's counters, one small registry.

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  const body = Object.entries(pairs)
    .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
    .join(',');
  return body ? `{${body}}` : '';
}

class Counter {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();

  inc(pairs: Record<string, string>): void {
    const key = JSON.stringify(pairs);
    const entry = this.values.get(key) ?? { labels: pairs, value: 0 };
    entry.value += 1;
    this.values.set(key, entry);
  }

  lines(name: string): string[] {
    return [...this.values.values()].map(
      (entry) => `${name}${labels(entry.labels)} ${entry.value}`,
    );
  }
}

export class Metrics {
  private readonly requests = new Counter();
  private readonly verifications = new Counter();
  private readonly settlements = new Counter();
  private readonly latencyBuckets = LATENCY_BUCKETS.map(() => 0);
  private latencyCount = 0;
  private latencySum = 0;

  request(route: string, method: string, status: number): void {
    this.requests.inc({ route, method, status: String(status) });
  }

  verifyResult(network: string, reason: string): void {
    this.verifications.inc({ network, reason });
  }

  settleResult(network: string, result: string, seconds: number): void {
    this.settlements.inc({ network, result });
    this.latencyCount += 1;
    this.latencySum += seconds;
    LATENCY_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) this.latencyBuckets[i]! += 1;
    });
  }

  /** The Prometheus text; `pendingSettlements` is read from the ledger by the caller. */
  render(pendingSettlements: number): string {
    const out: string[] = [
      '# HELP x402_facilitator_requests_total HTTP requests by route, method and status.',
      '# TYPE x402_facilitator_requests_total counter',
      ...this.requests.lines('x402_facilitator_requests_total'),
      '# HELP x402_facilitator_verify_results_total /verify answers by result (valid or the reason).',
      '# TYPE x402_facilitator_verify_results_total counter',
      ...this.verifications.lines('x402_facilitator_verify_results_total'),
      '# HELP x402_facilitator_settle_results_total /settle answers by result.',
      '# TYPE x402_facilitator_settle_results_total counter',
      ...this.settlements.lines('x402_facilitator_settle_results_total'),
      '# HELP x402_facilitator_settle_duration_seconds Time to answer /settle.',
      '# TYPE x402_facilitator_settle_duration_seconds histogram',
      ...LATENCY_BUCKETS.map(
        (bound, i) =>
          `x402_facilitator_settle_duration_seconds_bucket{le="${bound}"} ${this.latencyBuckets[i]}`,
      ),
      `x402_facilitator_settle_duration_seconds_bucket{le="+Inf"} ${this.latencyCount}`,
      `x402_facilitator_settle_duration_seconds_sum ${this.latencySum}`,
      `x402_facilitator_settle_duration_seconds_count ${this.latencyCount}`,
      '# HELP x402_facilitator_pending_settlements Settlements reserved or submitted, not final.',
      '# TYPE x402_facilitator_pending_settlements gauge',
      `x402_facilitator_pending_settlements ${pendingSettlements}`,
    ];
    return `${out.join('\n')}\n`;
  }
}
