// /settle: N distinct payments settled at once by a facilitator process against a devnet (1 s
// blocks, or the real networks' 8 s), or lone ones one after another. Where each settlement's
// time goes comes from the facilitator's own log lines (`settlement reserved`, `… submitted`,
// `… confirmed`, each stamped with the time):
//   checks    request sent → reserved: parse, off-chain rules, chain reads, build, ledger write
//   submit    reserved → submitted: account_put_transaction and the ledger update
//   block     submitted → confirmed: waiting for the block and the poll that sees it
//   answer    confirmed → response received
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDevAccounts } from '@x402-casper/devnet';
import { addressOfPublicKey, type SecretKey } from '@x402-casper/shared';
import { BenchClient } from './http-client.js';
import { type Latency, latencyOf } from './measure.js';
import { type PaymentRequest, requirementsOf, signedPayments } from './payments.js';
import {
  atRest,
  cpuMsOf,
  type DevnetProcess,
  startFacilitatorProcess,
  writeFacilitatorConfig,
} from './processes.js';
import { RpcProxy } from './rpc-proxy.js';

export const SETTLE_PHASES = ['checks', 'submit', 'block', 'answer', 'total'] as const;
export type SettlePhase = (typeof SETTLE_PHASES)[number];

export interface SettleRun {
  payments: number;
  /**
   * Sent all at once; or one after another, each settlement alone in its block: on its own
   * (`sequential`), or after a /verify of the same payment, as a paywall sends them
   * (`verified`: the /verify's CPU and RPC calls are counted apart).
   */
  sending: 'concurrent' | 'sequential' | 'verified';
  succeeded: number;
  seconds: number;
  perSecond: number;
  phases: Record<SettlePhase, Latency>;
  rpcCallsPerSettlement: Record<string, number>;
  /** CPU milliseconds per settlement, in the facilitator and in the devnet. */
  cpuMsPerSettlement: { facilitator: number; devnet: number };
  /**
   * Lone rows only: the facilitator's CPU in each settlement's own window (request sent →
   * answer received), least, median and most: how much one run's settlements differ.
   */
  cpuMsEach?: { min: number; p50: number; max: number };
  /** `verified` only: the /verify before each settlement, its facilitator CPU and RPC calls. */
  verifyBefore?: { cpuMs: number; rpcCalls: Record<string, number> };
}

export interface SettleFigures {
  pollIntervalMs: number;
  runs: SettleRun[];
}

const POLL_INTERVAL_MS = 100;
/** Settled at once before any row, so the rows run compiled code. */
const WARM_UP_PAYMENTS = 64;

interface LogLine {
  msg?: string;
  time?: number;
  transaction?: string;
}

function logTimes(file: string): Map<string, Record<string, number>> {
  const byTransaction = new Map<string, Record<string, number>>();
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.startsWith('{')) continue;
    const line = JSON.parse(text) as LogLine;
    if (!line.transaction || line.time === undefined || !line.msg) continue;
    const entry = byTransaction.get(line.transaction) ?? {};
    entry[line.msg] ??= line.time;
    byTransaction.set(line.transaction, entry);
  }
  return byTransaction;
}

/** POSTs a settlement with its own Idempotency-Key, as the paywall sends one per paid request. */
function post(client: BenchClient, url: string, body: PaymentRequest) {
  return client.post<{ success?: boolean; transaction?: string }>(url, body, {
    'idempotency-key': randomUUID(),
  });
}

/** What the /verify calls of a `verified` run cost, counted apart from the settlements. */
interface VerifyTally {
  /** The facilitator's and the devnet's processes, and the CPU each spent on the /verify calls. */
  pids: [number, number];
  cpuMs: [number, number];
  proxy: RpcProxy;
  calls: Map<string, number>;
}

/** Runs a /verify of `payment`, adding its facilitator CPU and RPC calls to `tally`. */
async function verifyFirst(
  client: BenchClient,
  baseUrl: string,
  payment: PaymentRequest,
  tally: VerifyTally,
) {
  const calls = new Map(tally.proxy.calls);
  const cpuBefore = await Promise.all(tally.pids.map(cpuMsOf));
  const verdict = await client.post<{ isValid?: boolean }>(`${baseUrl}/verify`, payment);
  const cpuAfter = await Promise.all(tally.pids.map(cpuMsOf));
  for (const i of [0, 1]) tally.cpuMs[i]! += cpuAfter[i]! - cpuBefore[i]!;
  for (const [method, n] of tally.proxy.calls) {
    tally.calls.set(method, (tally.calls.get(method) ?? 0) + n - (calls.get(method) ?? 0));
  }
  if (!verdict.isValid)
    throw new Error(`/verify refused a benchmark payment: ${JSON.stringify(verdict)}`);
}

interface Sent {
  answer: Awaited<ReturnType<typeof post>>;
  received: number;
  sentAt: number;
  /** One after another only: the facilitator's CPU from sending the settle to its answer. */
  cpuMs?: number;
}

/** How a run sends its payments: all at once or one after another. */
async function send(
  client: BenchClient,
  batch: PaymentRequest[],
  baseUrl: string,
  sending: SettleRun['sending'],
  tally: VerifyTally,
): Promise<Sent[]> {
  const one = async (payment: PaymentRequest): Promise<Sent> => {
    const sentAt = Date.now();
    const answer = await post(client, `${baseUrl}/settle`, payment);
    return { answer, received: Date.now(), sentAt };
  };
  if (sending === 'concurrent') return Promise.all(batch.map(one));
  const [facilitatorPid] = tally.pids;
  const results = [];
  for (const payment of batch) {
    if (sending === 'verified') await verifyFirst(client, baseUrl, payment, tally);
    const cpuBefore = await cpuMsOf(facilitatorPid);
    const sent = await one(payment);
    results.push({ ...sent, cpuMs: (await cpuMsOf(facilitatorPid)) - cpuBefore });
  }
  return results;
}

/** Least, median and most of the per-settlement CPU windows, when the run measured them. */
function spreadOf(results: Sent[]): SettleRun['cpuMsEach'] {
  const each = results.flatMap((r) => (r.cpuMs === undefined ? [] : [r.cpuMs]));
  if (each.length === 0) return undefined;
  const { p50, max } = latencyOf(each);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { min: round(Math.min(...each)), p50: round(p50), max: round(max) };
}

/** The rows of lone settlements: on their own, and each after its /verify. */
const LONE_SENDINGS = ['sequential', 'verified'] as const;

/**
 * After a warm-up, once the facilitator is at rest, settles `lone` payments one after another
 * (each alone in its block: what a facilitator with little traffic spends per payment) in each
 * of `loneSendings`, then a batch of each of `sizes` at once.
 */
export async function settleBench(
  devnet: DevnetProcess,
  dir: string,
  sizes: number[],
  lone: number,
  options: {
    loneSendings?: ReadonlyArray<(typeof LONE_SENDINGS)[number]>;
    /** The facilitator's pollIntervalMs (default 100 ms: a block is seen soon after it comes). */
    pollIntervalMs?: number;
  } = {},
): Promise<SettleFigures> {
  const { loneSendings = LONE_SENDINGS, pollIntervalMs = POLL_INTERVAL_MS } = options;
  const [feePayer, merchant, ...payers] = defaultDevAccounts();
  const requirements = requirementsOf(
    devnet.network,
    devnet.token,
    addressOfPublicKey(merchant!.publicKey),
    '1',
  );
  const proxy = new RpcProxy(devnet.rpcUrl);
  await proxy.start();
  const logFile = join(dir, `settle-${devnet.blockTimeMs}.log`);
  const facilitator = await startFacilitatorProcess(
    writeFacilitatorConfig(
      {
        dir,
        rpcUrl: proxy.url,
        network: devnet.network,
        token: devnet.token,
        feePayer: feePayer!.secretKey,
        blockIntervalMs: devnet.blockTimeMs,
        settings: { pollIntervalMs, settleTimeoutMs: 60_000 },
      },
      `settle-${devnet.blockTimeMs}`,
    ),
    {
      logFile,
      // BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of this facilitator, written when it stops.
      nodeOptions: process.env.BENCH_CPU_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`]
        : [],
    },
  );
  const runs: SettleRun[] = [];
  try {
    // Warm-up (not reported): the first settlements of a fresh process pay for loading and
    // compiling code.
    const warmUp = new BenchClient();
    await Promise.all(
      signedPayments(requirements, payers[0]!.secretKey, WARM_UP_PAYMENTS).map((payment) =>
        post(warmUp, `${facilitator.url}/settle`, payment),
      ),
    );
    warmUp.close();
    // The lone payments first, on a facilitator that has served a little and come to rest:
    // after a burst of hundreds, V8's memory reducer collects the grown heap during the next
    // payments (they cost about half as much again), which is the burst's cost, not theirs.
    const plan = [
      ...(lone > 0 ? loneSendings.map((sending) => ({ size: lone, sending })) : []),
      ...sizes.map((size) => ({ size, sending: 'concurrent' as const })),
    ];
    for (const { size, sending } of plan) {
      // A batch only needs the connections of the row before gone (closing hundreds costs the
      // facilitator a few ms).
      await atRest(facilitator.pid, sending === 'concurrent' ? 2 : undefined);
      const keys: SecretKey[] = payers.map((payer) => payer.secretKey);
      const batch = keys.flatMap((key, i) =>
        signedPayments(requirements, key, Math.ceil((size - i) / keys.length)),
      );
      proxy.resetCounts();
      const tally: VerifyTally = {
        pids: [facilitator.pid, devnet.pid],
        cpuMs: [0, 0],
        proxy,
        calls: new Map(),
      };
      const cpuBefore = [await cpuMsOf(facilitator.pid), await cpuMsOf(devnet.pid)];
      const started = performance.now();
      // The row's connections are closed after its CPU is read: as a resource server's, they
      // outlive the payments.
      const client = new BenchClient();
      const results = await send(client, batch, facilitator.url, sending, tally);
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = [await cpuMsOf(facilitator.pid), await cpuMsOf(devnet.pid)];
      client.close();
      const perPayment = (n: number) => Math.round((n / batch.length) * 10) / 10;
      // Both processes' figures leave out what the /verify calls cost (a `verified` run).
      const cpuPer = (i: number) => perPayment(cpuAfter[i]! - cpuBefore[i]! - tally.cpuMs[i]!);
      const times = logTimes(logFile);
      const samples: Record<SettlePhase, number[]> = {
        checks: [],
        submit: [],
        block: [],
        answer: [],
        total: [],
      };
      for (const { answer, received, sentAt } of results) {
        const logged = answer.transaction ? times.get(answer.transaction) : undefined;
        const reserved = logged?.['settlement reserved'];
        const submitted = logged?.['settlement transaction submitted'];
        const confirmed = logged?.['settlement confirmed'];
        if (!answer.success || !reserved || !submitted || !confirmed) continue;
        samples.checks.push(reserved - sentAt);
        samples.submit.push(submitted - reserved);
        samples.block.push(confirmed - submitted);
        samples.answer.push(received - confirmed);
        samples.total.push(received - sentAt);
      }
      const succeeded = results.filter((r) => r.answer.success).length;
      runs.push({
        payments: batch.length,
        sending,
        succeeded,
        seconds,
        perSecond: succeeded / seconds,
        phases: Object.fromEntries(
          SETTLE_PHASES.map((phase) => [phase, latencyOf(samples[phase])]),
        ) as Record<SettlePhase, Latency>,
        cpuMsPerSettlement: { facilitator: cpuPer(0), devnet: cpuPer(1) },
        ...(sending === 'concurrent' ? {} : { cpuMsEach: spreadOf(results) }),
        rpcCallsPerSettlement: Object.fromEntries(
          [...proxy.calls].map(([method, n]) => [
            method,
            perPayment(n - (tally.calls.get(method) ?? 0)),
          ]),
        ),
        ...(sending === 'verified'
          ? {
              verifyBefore: {
                cpuMs: perPayment(tally.cpuMs[0]),
                rpcCalls: Object.fromEntries(
                  [...tally.calls].map(([method, n]) => [method, perPayment(n)]),
                ),
              },
            }
          : {}),
      });
    }
  } finally {
    await facilitator.stop();
    await proxy.close();
  }
  return { pollIntervalMs, runs };
}
