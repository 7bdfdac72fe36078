// The facilitator's Prometheus metrics on prom-client: its default process and event-loop
// metrics, plus requests by route, /verify and /settle results, settle time and the settlements
// still pending. One registry per facilitator, so several in a process never mix.
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export interface Metrics {
  verifyResult(network: string, reason: string): void;
  settleResult(network: string, result: string, seconds: number): void;
  readonly contentType: string;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** Settlements reserved or submitted, not final (read at each scrape). */
  pendingSettlements: () => Promise<number>;
}

const metricsPlugin: FastifyPluginAsync<MetricsOptions> = async (app, options) => {
  const registry = new Registry();
  // The event-loop lag is sampled every 2 s. Each sample wakes an idle facilitator, and on a
  // VM a wake costs about 0.1 ms of CPU (measured): prom-client's default (every 10 ms) cost
  // about 9 ms a second, every 500 ms 0.2–0.3 ms a second, every 2 s 0.06–0.14, which a quiet
  // facilitator spends on every lone payment (some 1.5 ms while one waits 8 s for its block).
  // A stall longer than 2 s always shows in the histogram, a shorter one in proportion.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 2000 });
  const requests = new Counter({
    name: 'x402_facilitator_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const verifications = new Counter({
    name: 'x402_facilitator_verify_results_total',
    help: '/verify answers by result (valid or the reason).',
    labelNames: ['network', 'reason'],
    registers: [registry],
  });
  const settlements = new Counter({
    name: 'x402_facilitator_settle_results_total',
    help: '/settle answers by result.',
    labelNames: ['network', 'result'],
    registers: [registry],
  });
  const settleSeconds = new Histogram({
    name: 'x402_facilitator_settle_duration_seconds',
    help: 'Time to answer /settle.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'x402_facilitator_pending_settlements',
    help: 'Settlements reserved or submitted, not final.',
    registers: [registry],
    async collect() {
      this.set(await options.pendingSettlements());
    },
  });

  app.decorate('metrics', {
    verifyResult: (network, reason) => verifications.inc({ network, reason }),
    settleResult: (network, result, seconds) => {
      settlements.inc({ network, result });
      settleSeconds.observe(seconds);
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  } satisfies Metrics);

  app.addHook('onResponse', async (request, reply) => {
    requests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: String(reply.statusCode),
    });
  });
};

/** Registered at the root: it counts every request, whatever scope answers it. */
export const metrics = fp(metricsPlugin, { name: 'x402-casper-metrics', fastify: '5.x' });
