// The devnet and the facilitator as real processes (`x402-casper-devnet`, `x402-casper-facilitator`), for the
// benchmarks and the reliability suite. Logs go straight to a file, so reading them costs the
// measuring process nothing.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SecretKey, secretKeyToPem } from '@x402-casper/shared';
import { repoRoot } from '@x402-casper/testing';

/**
 * The packages' own commands: from source through tsx (the reliability suite), or as built and
 * shipped with `X402_COMMANDS=built` (the benchmarks; `pnpm bench` builds first), so figures
 * are those of the code that runs in production, not of a transpiler's loader and source maps.
 */
const COMMANDS = {
  devnet: { source: 'server/devnet/src/bin.ts', built: 'server/devnet/dist/bin.js' },
  facilitator: { source: 'server/facilitator/src/bin.ts', built: 'server/facilitator/dist/bin.js' },
};
const BUILT = process.env.X402_COMMANDS === 'built';

/** Node's arguments for `command`, with `preload` modules imported first. */
function commandLine(command: keyof typeof COMMANDS, preload: string[]): string[] {
  const imports = preload.flatMap((module) => ['--import', module]);
  if (!BUILT) {
    return ['--conditions=source', '--import', 'tsx', ...imports, COMMANDS[command].source];
  }
  const built = join(repoRoot, COMMANDS[command].built);
  if (!existsSync(built)) throw new Error(`${built} is missing: run pnpm build first`);
  return [...imports, built];
}

export interface Running {
  child: ChildProcess;
  pid: number;
  /** The JSON ready line the command printed on stdout. */
  ready: Record<string, unknown>;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), then wait for the exit. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where stderr goes (appended); default: discarded. */
  logFile?: string;
  /** Extra modules loaded before the CLI (`node --import`). */
  preload?: string[];
  /** Extra Node options, e.g. `--cpu-prof`. */
  nodeOptions?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the ready line; default 30 s. */
  timeoutMs?: number;
}

/** Starts `x402-casper-<command> <args>` and waits for its JSON ready line. */
export function startCommand(
  command: keyof typeof COMMANDS,
  args: string[],
  options: StartOptions = {},
): Promise<Running> {
  const stderr = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(
    process.execPath,
    [...(options.nodeOptions ?? []), ...commandLine(command, options.preload ?? []), ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', stderr],
    },
  );
  if (typeof stderr === 'number') closeSync(stderr);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`x402-casper-${command} printed no ready line in time`));
    }, options.timeoutMs ?? 30_000);
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve({
        child,
        pid: child.pid!,
        ready: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>,
        exited,
        kill: () => kill('SIGKILL'),
        stop: () => kill('SIGTERM'),
      });
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`x402-casper-${command} exited (${code}) before it was ready`));
    });
  });
}

export interface DevnetProcess extends Running {
  rpcUrl: string;
  network: string;
  /** How often it makes a block (0: on demand). */
  blockTimeMs: number;
  token: {
    name: string;
    symbol: string;
    decimals: number;
    packageHash: string;
    contractHash: string;
  };
}

export async function startDevnetProcess(
  blockTimeMs: number,
  options: StartOptions = {},
): Promise<DevnetProcess> {
  const running = await startCommand(
    'devnet',
    ['--port', '0', '--block-time', String(blockTimeMs)],
    options,
  );
  const ready = running.ready as {
    rpcUrl: string;
    network: string;
    tokens: DevnetProcess['token'][];
  };
  return {
    ...running,
    rpcUrl: ready.rpcUrl,
    network: ready.network,
    blockTimeMs,
    token: ready.tokens[0]!,
  };
}

export interface FacilitatorSetup {
  dir: string;
  rpcUrl: string;
  network: string;
  token: { name: string; decimals: number; packageHash: string };
  feePayer: SecretKey;
  /** The devnet's block time (0: blocks on demand), for `networks[].blockIntervalMs`. */
  blockIntervalMs?: number;
  /** Settings on top of the defaults below (rate limit off, info logs). */
  settings?: Record<string, unknown>;
}

/** Writes the facilitator's config file (and its key file) into `setup.dir`. */
export function writeFacilitatorConfig(setup: FacilitatorSetup, name = 'facilitator'): string {
  const keyFile = join(setup.dir, `${name}-fee-payer.pem`);
  writeFileSync(keyFile, secretKeyToPem(setup.feePayer), { mode: 0o600 });
  const file = join(setup.dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      host: '127.0.0.1',
      port: 0,
      database: `./${name}.sqlite`,
      rateLimit: { max: 1_000_000, windowMs: 1000 },
      logLevel: 'info',
      networks: [
        {
          network: setup.network,
          rpcUrl: setup.rpcUrl,
          secretKeyPath: keyFile,
          blockIntervalMs: setup.blockIntervalMs ?? 0,
          assets: [
            {
              packageHash: setup.token.packageHash,
              domainName: setup.token.name,
              decimals: setup.token.decimals,
            },
          ],
        },
      ],
      ...setup.settings,
    }),
  );
  return file;
}

export interface FacilitatorProcess extends Running {
  url: string;
}

export async function startFacilitatorProcess(
  configFile: string,
  options: StartOptions = {},
): Promise<FacilitatorProcess> {
  const running = await startCommand('facilitator', ['--config', configFile], options);
  return { ...running, url: running.ready.url as string };
}

/** Resident set size of a process, in bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/**
 * CPU time a process's threads have run so far, in milliseconds, to the nanosecond: the sum of
 * their scheduler run times (Linux /proc/<pid>/task/<tid>/schedstat). Node's threads (the main
 * one, V8's helpers, libuv's pool) live as long as the process, so none is lost.
 */
export async function cpuMsOf(pid: number): Promise<number> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const runNs = await Promise.all(
    tasks.map(async (task) => {
      try {
        return Number(
          (await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8')).split(' ')[0],
        );
      } catch {
        return 0; // the thread ended between the listing and the read
      }
    }),
  );
  return runNs.reduce((sum, ns) => sum + ns, 0) / 1e6;
}

/** A process using less CPU than this per second is quiet (idle, it uses about 0.2 ms). */
const QUIET_MS_PER_SECOND = 1;
/**
 * At rest: this many quiet seconds in a row. After a burst V8 keeps collecting and compiling,
 * and its memory reducer shrinks the heap with major collections some 8 s after allocation
 * slows down (tens of ms each); a process quiet for 20 s has had them.
 */
const QUIET_SECONDS = 20;
/** The longest wait for a process to come to rest. */
const MAX_REST_WAIT_MS = 120_000;

/**
 * Waits until a process is at rest: what a lone payment costs a quiet facilitator, not the
 * clean-up after the burst before it. `quietSeconds` in a row (default 20; a couple suffice to
 * let closed connections go).
 */
export async function atRest(pid: number, quietSeconds = QUIET_SECONDS): Promise<void> {
  const started = Date.now();
  let before = await cpuMsOf(pid);
  let quiet = 0;
  while (quiet < quietSeconds && Date.now() - started < MAX_REST_WAIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await cpuMsOf(pid);
    quiet = now - before < QUIET_MS_PER_SECOND ? quiet + 1 : 0;
    before = now;
  }
}
