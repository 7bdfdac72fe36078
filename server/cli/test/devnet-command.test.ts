// The `x402-casper devnet` command as a real process: one ready line, logs on stderr, clean
// stop on SIGTERM/SIGINT, and --state carrying the chain across restarts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecretKey } from '@x402-casper/shared';
import { rpcResult } from '@x402-casper/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, startCli } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'devnet-cli-'));

afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

const devnet = (args: string[]) => startCli(['devnet', ...args]);

describe('x402-casper devnet', () => {
  it('prints one ready line, stops on SIGTERM and SIGINT, and keeps the chain with --state', async () => {
    const state = join(dir, 'chain.json');
    const first = devnet([
      '--port',
      '0',
      '--block-time',
      '0',
      '--chain-name',
      'casper-cli',
      '--state',
      state,
    ]);
    const ready = await first.ready;
    expect(ready).toMatchObject({
      event: 'ready',
      chainName: 'casper-cli',
      network: 'casper:casper-cli',
    });
    expect(String(ready.rpcUrl)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rpc$/);
    const url = ready.rpcUrl as string;
    const key = generateSecretKey();
    await rpcResult(url, 'devnet_fund', { account: key.publicKey.hex, motes: '123456789000' });
    const height = (
      (await rpcResult(url, 'info_get_status')).last_added_block_info as { height: number }
    ).height;

    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(stopped.stderr).toContain('SIGTERM');
    expect(existsSync(state)).toBe(true);

    const second = devnet(['--port', '0', '--block-time', '0', '--state', state]);
    const again = await second.ready;
    expect(again.tokens).toEqual(ready.tokens);
    const url2 = again.rpcUrl as string;
    const balance = await rpcResult(url2, 'query_balance', {
      purse_identifier: { main_purse_under_public_key: key.publicKey.hex },
    });
    expect(balance.balance).toBe('123456789000');
    expect(
      ((await rpcResult(url2, 'info_get_status')).last_added_block_info as { height: number })
        .height,
    ).toBe(height);
    second.child.kill('SIGINT');
    expect((await second.exit).code).toBe(0);
  });

  it('refuses bad options with a message and no ready line', async () => {
    const cases = [
      ['--port', 'x'],
      ['--genesis', join(dir, 'none.json')],
    ];
    const results = await Promise.all(cases.map((args) => devnet(args).exit));
    results.forEach((result, index) => {
      expect(result.code, cases[index]!.join(' ')).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/x402-casper: /);
    });
  });
});
