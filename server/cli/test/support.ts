// Runs the `x402-casper` CLI as a real process, from source, as `pnpm x402-casper` does.
import { type ChildProcess, spawn } from 'node:child_process';
import { repoRoot } from '@x402-casper/testing';

export interface CliRun {
  child: ChildProcess;
  /** The first stdout line, parsed as JSON (the ready line of long-running commands). */
  ready: Promise<Record<string, unknown>>;
  exit: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

const running = new Set<ChildProcess>();

/** Kills every CLI process still running (for afterAll). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'server/cli/src/cli.ts', ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(stdout.slice(0, newline)));
    });
    child.once('exit', (code) =>
      reject(new Error(`x402-casper ${args[0]} exited (${code}) before ready: ${stderr}`)),
    );
  });
  ready.catch(() => {});
  const exit = new Promise<Awaited<CliRun['exit']>>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, ready, exit };
}

/** Runs a command to its end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return startCli(args, env).exit;
}
