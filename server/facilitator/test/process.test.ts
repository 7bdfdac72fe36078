// The facilitator as a real process: ready line, bad config, kill between submission and
// confirmation, restart and reconcile, graceful shutdown, logs without secrets.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey, bytesToHex, secretKeyToPem } from '@x402-casper/shared';
import {
  executionOf,
  FaultyProxy,
  paymentFor,
  postJson,
  requirementsFor,
  rpc,
  rpcResult,
  tempDir,
  tokenBalance,
} from '@x402-casper/testing';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'server/facilitator/src/bin.ts');
const API_KEY = 'process-key-0123456789';
const auth = { authorization: `Bearer ${API_KEY}` };

const dir = tempDir('process');
const accounts = defaultDevAccounts();
const feePayer = accounts[0]!;
const alice = accounts[2]!;
const merchantAddress = addressOfPublicKey(accounts[1]!.publicKey);
let devnet: Devnet;
const children: ChildProcess[] = [];

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `x402-casper-facilitator --config FILE` and waits for its ready line. */
function startProcess(configFile: string): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', BIN, '--config', configFile],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line) {
        resolve({
          child,
          url: (JSON.parse(line) as { url: string }).url,
          stderr: () => stderr,
          exited,
        });
      }
    });
    exited.then((code) => reject(new Error(`facilitator exited with ${code}: ${stderr}`)));
  });
}

function writeConfig(name: string, rpcUrl: string, extra: Record<string, unknown> = {}): string {
  const token = devnet.tokens[0]!;
  const file = join(dir, `${name}.json`);
  writeFileSync(join(dir, 'fee-payer.pem'), secretKeyToPem(feePayer.secretKey), { mode: 0o600 });
  writeFileSync(
    file,
    JSON.stringify({
      host: '127.0.0.1',
      port: 0,
      apiKeys: [API_KEY],
      database: './ledger.sqlite',
      pollIntervalMs: 25,
      settleTimeoutMs: 300,
      networks: [
        {
          network: devnet.network,
          rpcUrl,
          secretKeyPath: './fee-payer.pem',
          assets: [{ packageHash: token.packageHash, name: token.name, decimals: token.decimals }],
        },
      ],
      ...extra,
    }),
  );
  return file;
}

interface LedgerRow {
  state: string;
  transaction_hash: string;
  block_height: number | null;
}

/** The ledger row of an authorization's nonce, read from the file as another process would. */
function rowOf(request: { paymentPayload: { payload: unknown } }): LedgerRow | undefined {
  const { nonce } = (request.paymentPayload.payload as { authorization: { nonce: string } })
    .authorization;
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT state, transaction_hash, block_height FROM settlements WHERE nonce = ?')
      .get(nonce) as LedgerRow | undefined;
  } finally {
    db.close();
  }
}

async function until<T>(probe: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition not reached');
}

const merchantBalance = () =>
  tokenBalance(
    { rpcUrl: devnet.rpcUrl },
    { contractHash: devnet.tokens[0]!.contractHash },
    merchantAddress,
  );
const payment = (amount: string) =>
  paymentFor(
    alice.secretKey,
    requirementsFor(devnet.network, devnet.tokens[0]!, merchantAddress, amount),
  );

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
});

afterAll(async () => {
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('facilitator process', { timeout: 90_000 }, () => {
  it('stops at start-up on a bad config, naming the field', async () => {
    const file = writeConfig('bad', devnet.rpcUrl, { port: 'eighty' });
    await expect(startProcess(file)).rejects.toThrow(
      /exited with 1: x402-casper-facilitator: port: must be a whole number/,
    );
  });

  it('reconciles a settlement it was killed in the middle of, after restarting', async () => {
    const settleLines = (text: string) => text.split('"url":"/settle"').length - 1;
    const config = writeConfig('main', devnet.rpcUrl, { logLevel: 'info' });
    const first = await startProcess(config);
    const request = await payment('600');
    const before = await merchantBalance();
    const pending = await postJson(`${first.url}/settle`, request, auth);
    expect(pending.body).toMatchObject({ success: false, errorReason: 'settlement_pending' });
    const transaction = pending.body.transaction as string;
    expect(rowOf(request)).toMatchObject({ state: 'submitted', transaction_hash: transaction });
    // A request's line is written once its answer has left: let it out before the kill.
    await until(
      () => first.stderr(),
      (text) => settleLines(text) >= 1,
    );

    first.child.kill('SIGKILL');
    await first.exited;
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    expect(await executionOf(devnet.rpcUrl, transaction)).toMatchObject({ error_message: null });
    expect(rowOf(request)).toMatchObject({ state: 'submitted' });

    const second = await startProcess(config);
    const row = await until(
      () => rowOf(request),
      (value) => value?.state === 'confirmed',
    );
    expect(row!.block_height).toEqual(expect.any(Number));
    const again = await postJson(`${second.url}/settle`, request, auth);
    // The first settle was answered pending: the one after the restart gets the success,
    // any later one is told the payment was settled, with the same transaction.
    expect(again.body).toEqual({
      success: true,
      payer: addressOfPublicKey(alice.publicKey),
      transaction,
      network: devnet.network,
    });
    const replay = await postJson(`${second.url}/settle`, request, auth);
    expect(replay.body).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_nonce_used',
      transaction,
    });
    expect(await merchantBalance()).toBe(before + 600n);

    // Logs are JSON lines and carry no secret: not the API key, the fee payer's key, or
    // the payer's signature. The last line may still be on its way: wait for the three
    // settle lines.
    const logs = await until(
      () => first.stderr() + second.stderr(),
      (text) => settleLines(text) >= 3,
    );
    const lines = logs.trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(logs).toContain('reconciling settlement left unfinished');
    // One line per request, when it ends, with what the route found.
    const settles = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request completed' && line.url === '/settle');
    expect(settles.map((line) => line.result)).toEqual([
      'pending',
      'confirmed',
      'invalid_exact_casper_nonce_used',
    ]);
    expect(logs).not.toContain('incoming request');
    expect(logs).not.toContain(API_KEY);
    expect(logs).not.toContain(bytesToHex(feePayer.secretKey.bytes));
    expect(logs).not.toContain(secretKeyToPem(feePayer.secretKey).split('\n')[1]);
    expect(logs).not.toContain(
      (request.paymentPayload.payload as { signature: string }).signature.slice(2, 40),
    );
  });

  it('keeps a settlement killed before its transaction reached the node, and sends it once when settled again', async () => {
    // A node that drops every account_put_transaction: the row stays reserved.
    const dropping = new FaultyProxy(devnet.rpcUrl);
    dropping.faults.set('account_put_transaction', 'drop');
    await dropping.start();
    try {
      const first = await startProcess(writeConfig('dropping', dropping.url));
      const request = await payment('70');
      const before = await merchantBalance();
      // The settle keeps waiting to ask the node again; the process dies meanwhile.
      const waiting = postJson(`${first.url}/settle`, request, auth).catch(() => undefined);
      await until(
        () => dropping.seen.includes('account_put_transaction'),
        (sent) => sent,
      );
      first.child.kill('SIGKILL');
      await first.exited;
      await waiting;
      const reserved = rowOf(request)!;
      expect(reserved.state).toBe('reserved');

      // Restarted against the node itself: the node never saw the transaction and nobody
      // waits for it, so it is not sent; nor is the row released while the transaction
      // could still be valid somewhere.
      const second = await startProcess(
        writeConfig('direct', devnet.rpcUrl, { settleTimeoutMs: 60_000, logLevel: 'info' }),
      );
      await until(
        () => second.stderr(),
        (logs) => logs.includes('not sent now, looked at again later'),
      );
      expect(rowOf(request)).toMatchObject({
        state: 'reserved',
        transaction_hash: reserved.transaction_hash,
      });
      const unknown = await rpc(devnet.rpcUrl, 'info_get_transaction', {
        transaction_hash: { Version1: reserved.transaction_hash },
      });
      expect(unknown.error?.code).toBe(-32014);

      // The resource server settles the same payment again: the stored transaction goes
      // out, once, and this settle is the one that succeeds.
      const settling = postJson(`${second.url}/settle`, request, auth);
      await until(
        () => rowOf(request),
        (value) => value?.state === 'submitted',
      );
      await rpcResult(devnet.rpcUrl, 'devnet_mine');
      const settled = await settling;
      expect(settled.body).toMatchObject({
        success: true,
        transaction: reserved.transaction_hash,
      });
      expect(await merchantBalance()).toBe(before + 70n);
    } finally {
      await dropping.close();
    }
  });

  it('logs what a settle found when its caller hung up before the answer', async () => {
    const config = writeConfig('hang-up', devnet.rpcUrl, {
      logLevel: 'info',
      database: './hang-up.sqlite',
      settleTimeoutMs: 20_000,
    });
    const running = await startProcess(config);
    const request = await payment('70');
    const body = JSON.stringify(request);
    const target = new URL(`${running.url}/settle`);
    // A caller that sends the settle and goes away before any block comes.
    const socket = connect(Number(target.port), target.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST /settle HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\n` +
        `authorization: Bearer ${API_KEY}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await until(
      () => running.stderr(),
      (logs) => logs.includes('settlement transaction submitted'),
    );
    socket.destroy();
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const logs = await until(
      () => running.stderr(),
      (text) => text.includes('settle answered after the caller hung up'),
    );
    const line = logs
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => entry.msg === 'settle answered after the caller hung up');
    expect(line).toMatchObject({ result: 'confirmed', caller: expect.any(String) });
    expect(line!.caller).not.toContain(API_KEY);
    expect(line!.transaction).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shuts down gracefully on SIGTERM, answering a settle still waiting for its block', async () => {
    const running = await startProcess(
      writeConfig('graceful', devnet.rpcUrl, { settleTimeoutMs: 60_000 }),
    );
    const request = await payment('80');
    const settling = postJson(`${running.url}/settle`, request, auth);
    const row = await until(
      () => rowOf(request),
      (value) => value?.state === 'submitted',
    );
    running.child.kill('SIGTERM');
    const answer = await settling;
    expect(answer.body).toMatchObject({
      success: false,
      errorReason: 'settlement_pending',
      transaction: row!.transaction_hash,
    });
    expect(await running.exited).toBe(0);
    expect(running.stderr()).toContain('shutting down');
    expect(rowOf(request)).toMatchObject({ state: 'submitted' });
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
  });
});
