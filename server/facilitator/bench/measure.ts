import { Agent, request } from 'node:http';

export interface Rate {
  operations: number;
  seconds: number;
  perSecond: number;
}

/**
 * Runs `operation` repeatedly for about `seconds` (after a short warm-up) and reports its rate:
 * the best of three equal rounds, so that other work on a shared machine skews it less.
 */
export function measure(operation: () => void, seconds = 1.5): Rate {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) operation();
  let best: Rate | undefined;
  for (let round = 0; round < 3; round++) {
    let operations = 0;
    const start = performance.now();
    const end = start + (seconds * 1000) / 3;
    while (performance.now() < end) {
      operation();
      operations++;
    }
    const elapsed = (performance.now() - start) / 1000;
    const rate = { operations, seconds: elapsed, perSecond: operations / elapsed };
    if (!best || rate.perSecond > best.perSecond) best = rate;
  }
  return best!;
}

/** `measure` for an operation that must be awaited (one at a time). */
export async function measureAsync(operation: () => Promise<void>, seconds = 1.5): Promise<Rate> {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) await operation();
  let best: Rate | undefined;
  for (let round = 0; round < 3; round++) {
    let operations = 0;
    const start = performance.now();
    const end = start + (seconds * 1000) / 3;
    while (performance.now() < end) {
      await operation();
      operations++;
    }
    const elapsed = (performance.now() - start) / 1000;
    const rate = { operations, seconds: elapsed, perSecond: operations / elapsed };
    if (!best || rate.perSecond > best.perSecond) best = rate;
  }
  return best!;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/** Percentiles of a list of milliseconds. */
export function latencyOf(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

export interface LoadResult extends Latency {
  concurrency: number;
  requests: number;
  seconds: number;
  perSecond: number;
  /** Answers that were not HTTP 200 with an accepted body. */
  errors: number;
  /** Every answer, the warm-up's included. */
  answered: number;
}

export interface LoadOptions {
  url: string;
  /** JSON bodies, sent round-robin. */
  bodies: string[];
  concurrency: number;
  seconds: number;
  warmupSeconds?: number;
  /** Whether an HTTP 200 body counts as a success. */
  accept: (body: string) => boolean;
}

/**
 * `concurrency` keep-alive connections POSTing `bodies` for `seconds` after a warm-up: rate and
 * latency of the answers counted after the warm-up.
 */
export async function httpLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const post = (body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const started = performance.now();
  const measureFrom = started + (options.warmupSeconds ?? 0.5) * 1000;
  const end = measureFrom + options.seconds * 1000;
  const samples: number[] = [];
  let errors = 0;
  let answered = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const body = options.bodies[next++ % options.bodies.length]!;
      const sent = performance.now();
      let ok: boolean;
      try {
        const answer = await post(body);
        ok = answer.status === 200 && options.accept(answer.text);
      } catch {
        ok = false;
      }
      const done = performance.now();
      answered++;
      if (sent >= measureFrom && done <= end) {
        samples.push(done - sent);
        if (!ok) errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  return {
    concurrency: options.concurrency,
    requests: samples.length,
    seconds: options.seconds,
    perSecond: samples.length / options.seconds,
    errors,
    answered,
    ...latencyOf(samples),
  };
}

/** CPU milliseconds this process spends per call of an async operation, over `calls` in a row. */
export async function cpuMsPerCall(operation: () => Promise<void>, calls: number): Promise<number> {
  for (let i = 0; i < Math.min(20, calls); i++) await operation();
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await operation();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / calls;
}
