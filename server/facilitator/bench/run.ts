// The facilitator's benchmark (part of the root `pnpm bench`): prints a table, writes
// .bench/facilitator.json (git-ignored).
// Sizes can be lowered for a quick look: BENCH_SECONDS (per /verify row, default 3),
// BENCH_SETTLE_SIZES (default 16,64,256), BENCH_SETTLE_LONE (default 16), BENCH_SETTLE_LONE_8S (default
// 8; 0 skips the 8 s devnet), BENCH_CLIENT_PAYMENTS (default 12 per algorithm).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDevAccounts } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import { benchHeader, formatNumber, ms, section, writeBenchResults } from '@x402-casper/testing';
import { clientBench } from './client.js';
import { componentBench } from './components.js';
import { cryptoLimit } from './crypto.js';
import { ledgerBench } from './ledgers.js';
import type { Latency } from './measure.js';
import {
  atRest,
  cpuMsOf,
  startDevnetProcess,
  startFacilitatorProcess,
  writeFacilitatorConfig,
} from './processes.js';
import { SETTLE_PHASES, type SettleRun, settleBench } from './settle.js';
import { verifyBench } from './verify.js';
import { wakeCost } from './wake.js';

const env = (name: string, fallback: string) => process.env[name] || fallback;
const VERIFY_SECONDS = Number(env('BENCH_SECONDS', '3'));
const VERIFY_CONCURRENCY = [1, 16, 64];
const SETTLE_SIZES = env('BENCH_SETTLE_SIZES', '16,64,256').split(',').map(Number);
const SETTLE_LONE = Number(env('BENCH_SETTLE_LONE', '16'));
/** Lone settlements, each after its /verify, on a devnet with mainnet's and testnet's 8 s blocks. */
const SETTLE_LONE_8S = Number(env('BENCH_SETTLE_LONE_8S', '8'));
const LEDGER_PAYMENTS = Number(env('BENCH_LEDGER_PAYMENTS', '96'));
const CLIENT_PAYMENTS = Number(env('BENCH_CLIENT_PAYMENTS', '12'));
const IDLE_SECONDS = 10;

const number = formatNumber;
const latency = (l: Latency) => `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}`;
const calls = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([method, n]) => `${method} ${n}`)
    .join(', ');
const SENDING = {
  concurrent: (n: number) => `N = ${n}`,
  sequential: (n: number) => `${n} lone, one after another`,
  verified: (n: number) => `${n} lone, each after its /verify (as a paywall sends them)`,
};

/** The table rows of one /settle run. */
const settleRows = (run: SettleRun): Array<[string, string]> => [
  [
    SENDING[run.sending](run.payments),
    `${run.succeeded}/${run.payments} settled in ${number(run.seconds, 2)} s = ${number(run.perSecond, 1)} /s`,
  ],
  ...SETTLE_PHASES.map((phase): [string, string] => [`  ${phase}`, latency(run.phases[phase])]),
  [
    '  CPU per settlement',
    `${ms(run.cpuMsPerSettlement.facilitator)} facilitator + ${ms(run.cpuMsPerSettlement.devnet)} devnet`,
  ],
  ...(run.cpuMsEach
    ? ([
        [
          '  facilitator CPU of each, least / median / most',
          `${ms(run.cpuMsEach.min)} / ${ms(run.cpuMsEach.p50)} / ${ms(run.cpuMsEach.max)}`,
        ],
      ] as Array<[string, string]>)
    : []),
  ['  RPC calls per settlement', calls(run.rpcCallsPerSettlement)],
  ...(run.verifyBefore
    ? ([
        ['  its /verify before: CPU', `${ms(run.verifyBefore.cpuMs)} facilitator`],
        ['  its /verify before: RPC calls', calls(run.verifyBefore.rpcCalls)],
      ] as Array<[string, string]>)
    : []),
];

const started = performance.now();
const loadBefore = benchHeader('facilitator benchmark');

const crypto = await cryptoLimit();
section('crypto limit (1 core, digest + signature verification)', [
  ...Object.entries(crypto.rates).map(([name, rate]): [string, string] => [
    name,
    `${number(rate.perSecond)} /s`,
  ]),
  [
    'high-S secp256k1 signature accepted by',
    `noble: ${crypto.acceptsHighS.noble ? 'yes' : 'no'}, node:crypto (OpenSSL): ${crypto.acceptsHighS.nodeCrypto ? 'yes' : 'no'}`,
  ],
]);

const dir = mkdtempSync(join(tmpdir(), 'x402-bench-'));
const devnet = await startDevnetProcess(1000, { logFile: join(dir, 'devnet.log') });
try {
  const components = await componentBench(devnet);
  section('facilitator parts (1 core, in process)', [
    ...Object.entries(components.rates).map(([name, rate]): [string, string] => [
      name,
      `${number(rate.perSecond)} /s`,
    ]),
    ...Object.entries(components.rpcReadCpuMs).map(([client, cpu]): [string, string] => [
      `CPU of one chain read (query_balance), ${client}`,
      ms(cpu),
    ]),
  ]);

  const verify = await verifyBench(devnet, dir, VERIFY_CONCURRENCY, VERIFY_SECONDS);
  const nobleLimit = crypto.rates['ed25519 noble']!.perSecond;
  const nodeLimit = crypto.rates['ed25519 node:crypto']!.perSecond;
  const verifyRows = verify.rows.map((row) => ({
    ...row,
    ofNobleLimit: row.perSecond / nobleLimit,
    ofNodeCryptoLimit: row.perSecond / nodeLimit,
  }));
  section('/verify (ed25519, valid payments, facilitator process → devnet process)', [
    ...verifyRows.map((row): [string, string] => [
      `chain reads ${row.reads}, concurrency ${row.concurrency}`,
      `${number(row.perSecond, 1)} /s, ${latency(row)}, ${row.errors} errors, ` +
        `CPU/verify ${ms(row.cpuMsPerVerify.facilitator)} facilitator + ${ms(row.cpuMsPerVerify.devnet)} devnet, ` +
        `${number(row.ofNobleLimit * 100, 1)}% of noble limit, ${number(row.ofNodeCryptoLimit * 100, 1)}% of node:crypto limit`,
    ]),
    ...Object.entries(verify.rpcCallsPerVerify).map(([reads, counts]): [string, string] => [
      `RPC calls per /verify, reads ${reads}`,
      calls(counts),
    ]),
  ]);

  const settle = await settleBench(devnet, dir, SETTLE_SIZES, SETTLE_LONE);
  section(
    `/settle (N concurrent distinct payments, or N lone ones one after another; devnet 1 s blocks, poll every ${settle.pollIntervalMs} ms)`,
    settle.runs.flatMap(settleRows),
  );
  // The paywall's flow at the block time of the real networks: most settlements fall in the
  // block of their /verify and use its reads of the package and the balance.
  let settleOn8s: Awaited<ReturnType<typeof settleBench>> | undefined;
  if (SETTLE_LONE_8S > 0) {
    const slow = await startDevnetProcess(8000, { logFile: join(dir, 'devnet-8s.log') });
    try {
      // The default poll interval (1 s): the facilitator sleeps until the block is due.
      settleOn8s = await settleBench(slow, dir, [], SETTLE_LONE_8S, {
        loneSendings: ['verified'],
        pollIntervalMs: 1000,
      });
    } finally {
      await slow.stop();
    }
    section(
      `/settle on 8 s blocks (mainnet's and testnet's), each lone after its /verify (poll every ${settleOn8s.pollIntervalMs} ms)`,
      settleOn8s.runs.flatMap(settleRows),
    );
  }

  const ledgers = await ledgerBench(devnet, dir, LEDGER_PAYMENTS);
  section(
    `ledgers (${LEDGER_PAYMENTS} concurrent distinct payments, devnet 1 s blocks)`,
    ledgers.map((run): [string, string] => [
      run.setup,
      `${run.succeeded}/${run.payments} settled, ${number(run.perSecond, 1)} /s, CPU/settlement ${ms(run.cpuMsPerSettlement)} facilitator`,
    ]),
  );

  const [feePayer, merchant] = defaultDevAccounts();
  const facilitator = await startFacilitatorProcess(
    writeFacilitatorConfig(
      {
        dir,
        rpcUrl: devnet.rpcUrl,
        network: devnet.network,
        token: devnet.token,
        feePayer: feePayer!.secretKey,
        blockIntervalMs: devnet.blockTimeMs,
        settings: { pollIntervalMs: 100, logLevel: 'warn' },
      },
      'client',
    ),
  );
  // What the facilitator spends doing nothing, once V8 is done with its start: a quiet
  // facilitator pays it on every payment.
  await atRest(facilitator.pid);
  const idleFrom = await cpuMsOf(facilitator.pid);
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const idleCpuMsPerSecond = ((await cpuMsOf(facilitator.pid)) - idleFrom) / IDLE_SECONDS;
  const wake = await wakeCost(facilitator.url, facilitator.pid);
  section('facilitator at rest', [
    [`CPU per second with nothing to do (${IDLE_SECONDS} s)`, ms(idleCpuMsPerSecond)],
    [
      'CPU of one GET /supported, back to back / after 1 s idle',
      `${number(wake.backToBackMs, 2)} / ${number(wake.afterIdleMs, 2)} ms (${number(wake.afterIdleMs / wake.backToBackMs, 1)}×: what waking costs on this machine now)`,
    ],
  ]);
  let client: Awaited<ReturnType<typeof clientBench>>;
  try {
    client = await clientBench(
      devnet,
      facilitator.url,
      addressOfPublicKey(merchant!.publicKey),
      CLIENT_PAYMENTS,
      4,
    );
  } finally {
    await facilitator.stop();
  }
  section('client side', [
    ...client.flatMap(
      (run): Array<[string, string]> => [
        [
          `headless client ${run.algorithm}: 402 → paid retry sent`,
          `${latency(run.retryMs)} (${run.paid}/${run.payments} paid)`,
        ],
        [`headless client ${run.algorithm}: whole paid request`, latency(run.totalMs)],
      ],
    ),
  ]);

  const loadAfter = loadavg();
  const seconds = (performance.now() - started) / 1000;
  const path = writeBenchResults('facilitator', {
    loadAverage: { before: loadBefore, after: loadAfter },
    seconds,
    cryptoLimit: crypto.rates,
    acceptsHighS: crypto.acceptsHighS,
    components,
    verify: { rows: verifyRows, rpcCallsPerVerify: verify.rpcCallsPerVerify },
    settle,
    ...(settleOn8s ? { settleOn8s } : {}),
    ledgers,
    idleCpuMsPerSecond,
    wake,
    client,
  });
  process.stdout.write(
    `\ndone in ${number(seconds)} s (load average after: ${loadAfter.map((l) => l.toFixed(1)).join(' ')}); wrote ${path}\n`,
  );
} finally {
  await devnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
