// `x402-casper start` brings up devnet, facilitator and demo site; `pay` and `keygen` run
// against that stack as real processes, and balances are read back from the chain.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devAccount } from '@x402-casper/devnet';
import { addressOfPublicKey, decimalsFromChain, secretKeyFromPem } from '@x402-casper/shared';
import { tokenBalance } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, killAll, runCli, startCli } from './support.js';

interface Ready {
  devnet: { rpcUrl: string; network: string; token: { contractHash: string; packageHash: string } };
  facilitatorUrl: string;
  demoUrl: string;
  payer: { keyFile: string; address: string };
  extension: string | null;
}

const dir = mkdtempSync(join(tmpdir(), 'x402-start-'));
const dataDir = join(dir, 'data');
const startArgs = [
  'start',
  '--json',
  '--skip-extension',
  '--data-dir',
  dataDir,
  '--devnet-port',
  '0',
  '--facilitator-port',
  '0',
  '--demo-port',
  '0',
  '--block-time',
  '300',
];
let stack: CliRun;
let ready: Ready;
const merchant = addressOfPublicKey(devAccount('merchant').publicKey);

const balanceOf = (address: string) => tokenBalance(ready.devnet, ready.devnet.token, address);

beforeAll(async () => {
  stack = startCli(startArgs);
  ready = (await stack.ready) as unknown as Ready;
}, 60_000);

afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('x402-casper start', () => {
  it('serves the demo site behind the paywall and writes a funded payer key', async () => {
    expect((await fetch(`${ready.demoUrl}/`)).status).toBe(200);
    expect((await fetch(`${ready.demoUrl}/api/weather`)).status).toBe(402);
    expect((await fetch(`${ready.facilitatorUrl}/health`)).status).toBe(200);
    expect(secretKeyFromPem(readFileSync(ready.payer.keyFile, 'utf8')).publicKey.hex).toMatch(
      /^01/,
    );
    expect(await balanceOf(ready.payer.address)).toBeGreaterThan(0n);
    expect(ready.extension).toBeNull();
  });
});

describe("a token's decimals, read from the chain", () => {
  it("reads them from the package's current contract, through the node of its network only", async () => {
    const { network, rpcUrl, token } = ready.devnet;
    const decimalsOf = decimalsFromChain({ [network]: rpcUrl });
    expect(await decimalsOf(network, token.packageHash)).toBe(6);
    expect(await decimalsOf(network, token.packageHash.toUpperCase())).toBe(6);
    expect(await decimalsOf('casper:casper', token.packageHash)).toBeUndefined();
    await expect(decimalsOf(network, 'ab'.repeat(32))).rejects.toThrow();
  });
});

describe('x402-casper pay against the running stack', () => {
  it('pays the demo API: body on stdout, receipt on stderr, tokens moved on chain', async () => {
    const before = await balanceOf(merchant);
    const payerBefore = await balanceOf(ready.payer.address);
    const run = await runCli([
      'pay',
      `${ready.demoUrl}/api/weather?city=Lucerne`,
      '--key',
      ready.payer.keyFile,
      '--rpc-url',
      ready.devnet.rpcUrl,
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ city: 'Lucerne' });
    expect(run.stderr).toMatch(
      /^paid 0\.01 CX402 to 00[0-9a-f]{64} on casper:casper-net-1 · transaction [0-9a-f]{64}$/m,
    );
    expect(await balanceOf(merchant)).toBe(before + 10_000n);
    expect(await balanceOf(ready.payer.address)).toBe(payerBefore - 10_000n);
  });

  it('will not pay more than --max-amount, says so, and moves nothing', async () => {
    const before = await balanceOf(merchant);
    const run = await runCli([
      'pay',
      `${ready.demoUrl}/api/weather`,
      '--key',
      ready.payer.keyFile,
      '--max-amount',
      '0.005',
      '--rpc-url',
      ready.devnet.rpcUrl,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('exceeds the limit of 0.005');
    expect(await balanceOf(merchant)).toBe(before);
  });

  it("will not convert --max-amount with the site's word for a token it cannot look up, and moves nothing", async () => {
    const before = await balanceOf(merchant);
    const run = await runCli(['pay', `${ready.demoUrl}/api/weather`, '--key', ready.payer.keyFile]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `token ${ready.devnet.token.packageHash} on ${ready.devnet.network} is not a known one and the policy has no decimalsOf for it`,
    );
    expect(await balanceOf(merchant)).toBe(before);
  });

  it('cannot pay from an account without tokens, and says why', async () => {
    const keyFile = join(dir, 'empty.pem');
    const keygen = await runCli(['keygen', '--algorithm', 'secp256k1', '--out', keyFile]);
    expect(keygen.code).toBe(0);
    const key = JSON.parse(keygen.stdout) as {
      publicKey: string;
      accountHash: string;
      address: string;
    };
    expect(key.publicKey).toMatch(/^02[0-9a-f]{66}$/);
    expect(key.address).toBe(`00${key.accountHash}`);
    const run = await runCli([
      'pay',
      `${ready.demoUrl}/api/weather`,
      '--key',
      keyFile,
      '--rpc-url',
      ready.devnet.rpcUrl,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('insufficient_funds');
  });

  it('refuses to overwrite a key file without --force', async () => {
    const keyFile = join(dir, 'taken.pem');
    writeFileSync(keyFile, 'precious');
    const run = await runCli(['keygen', '--out', keyFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('already exists');
    expect(readFileSync(keyFile, 'utf8')).toBe('precious');
  });

  it.each([
    [['pay'], /usage: x402-casper pay <url>/],
    [['pay', 'http://127.0.0.1:1/'], /--key FILE is required/],
    [['pay', 'http://127.0.0.1:1/', '--key', '/nonexistent.pem'], /cannot read key file/],
    [['pay', 'http://127.0.0.1:1/', '--key', 'README.md'], /no PEM block/],
    [['pay', 'http://127.0.0.1:1/', '--key', '/dev/null', '--bogus'], /Unknown option '--bogus'/],
  ])('explains bad arguments: %j', async (args, message) => {
    const run = await runCli(args as string[]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });

  it('stops on Ctrl-C and keeps balances across a restart', async () => {
    const balance = await balanceOf(merchant);
    stack.child.kill('SIGINT');
    expect((await stack.exit).code).toBe(0);
    expect(existsSync(join(dataDir, 'devnet-state.json'))).toBe(true);
    stack = startCli(startArgs);
    ready = (await stack.ready) as unknown as Ready;
    expect(await balanceOf(merchant)).toBe(balance);
    stack.child.kill('SIGTERM');
    expect((await stack.exit).code).toBe(0);
  }, 60_000);
});
