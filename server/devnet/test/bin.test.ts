// The package's own command, `x402-casper-devnet`, as a process: the ready line, a clean stop
// on SIGTERM, and a bad option refused with the option named (exit 1, no stack).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rpcResult } from '@x402-casper/testing';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout.on('data', () => {
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(stdout.slice(0, newline)));
    });
    child.once('exit', () => reject(new Error(`exited before ready: ${stderr}`)));
  });
  ready.catch(() => {});
  return { child, ready, exit, output: () => ({ stdout, stderr }) };
}

describe('x402-casper-devnet', () => {
  it('prints its ready line, answers JSON-RPC and stops on SIGTERM', async () => {
    const devnet = run(['--port', '0', '--block-time', '0', '--chain-name', 'casper-bin']);
    const ready = await devnet.ready;
    expect(ready).toMatchObject({ event: 'ready', chainName: 'casper-bin' });
    const status = await rpcResult(ready.rpcUrl as string, 'info_get_status');
    expect(status.chainspec_name).toBe('casper-bin');
    devnet.child.kill('SIGTERM');
    expect(await devnet.exit).toBe(0);
    expect(devnet.output().stderr).toContain('SIGTERM');
  });

  it('refuses a bad option, naming it, with exit code 1', async () => {
    const devnet = run(['--port', '70000']);
    expect(await devnet.exit).toBe(1);
    expect(devnet.output().stderr).toBe(
      'x402-casper-devnet: --port: must be a whole number from 0 to 65535, got "70000"\n',
    );
    const unknown = run(['--prot', '1']);
    expect(await unknown.exit).toBe(1);
    expect(unknown.output().stderr).toMatch(
      /^x402-casper-devnet: arguments: Unknown option '--prot'/,
    );
  });
});
