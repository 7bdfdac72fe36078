// The pieces a reliability file runs: an in-process devnet, the facilitator as a real process
// (so a crash is a crash, and SIGKILL is possible), funded payers, raw HTTP, the ledger file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import {
  addressOfPublicKey,
  generateSecretKey,
  type KeyAlgorithm,
  type SecretKey,
} from '@x402-casper/shared';
import { rpcResult } from '@x402-casper/testing';
import Database from 'better-sqlite3';
import {
  type FacilitatorProcess,
  startFacilitatorProcess,
  writeFacilitatorConfig,
} from '../../bench/processes.js';

export const [FEE_PAYER, MERCHANT] = defaultDevAccounts();
export const MERCHANT_ADDRESS = addressOfPublicKey(MERCHANT!.publicKey);

const tempDirs: string[] = [];

/** A new temp folder for databases, configs and logs; `removeTempDirs` deletes them all. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `x402-${name}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function startChain(blockTimeMs: number): Promise<Devnet> {
  return startDevnet({ port: 0, blockTimeMs });
}

export interface FacilitatorOptions {
  dir: string;
  devnet: Devnet;
  /** The node URL the facilitator uses (a proxy's, or the devnet's). */
  rpcUrl?: string;
  settings?: Record<string, unknown>;
  name?: string;
}

/** Writes the config and starts `x402-casper-facilitator`; its logs go to `<dir>/<name>.log`. */
export function facilitatorProcess(options: FacilitatorOptions): {
  configFile: string;
  logFile: string;
  database: string;
  start: () => Promise<FacilitatorProcess>;
} {
  const name = options.name ?? 'facilitator';
  const token = options.devnet.tokens[0]!;
  const configFile = writeFacilitatorConfig(
    {
      dir: options.dir,
      rpcUrl: options.rpcUrl ?? options.devnet.rpcUrl,
      network: options.devnet.network,
      token,
      feePayer: FEE_PAYER!.secretKey,
      settings: { logLevel: 'warn', ...options.settings },
    },
    name,
  );
  const logFile = join(options.dir, `${name}.log`);
  return {
    configFile,
    logFile,
    database: join(options.dir, `${name}.sqlite`),
    start: () => startFacilitatorProcess(configFile, { logFile }),
  };
}

/** `count` new payers holding `tokens` of the devnet token each, ed25519 and secp256k1 mixed. */
export async function fundedPayers(
  devnet: Devnet,
  count: number,
  tokens = '1000000000',
): Promise<SecretKey[]> {
  const keys = Array.from({ length: count }, (_, i) =>
    generateSecretKey((i % 2 === 0 ? 'ed25519' : 'secp256k1') as KeyAlgorithm),
  );
  for (const key of keys) {
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: key.publicKey.hex,
      token: { package_hash: devnet.tokens[0]!.packageHash, amount: tokens },
    });
  }
  return keys;
}

export interface Answer {
  status: number;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json: Record<string, unknown> | undefined;
  headers: Headers;
}

/** POSTs a body as given (a string is sent raw) and reads the answer without judging it. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

export interface LedgerRow {
  id: number;
  payer: string;
  nonce: string;
  state: string;
  transaction_hash: string;
  error_reason: string | null;
  retryable: number;
}

/** The facilitator's ledger, read from its file as another process would. */
export function ledgerRows(database: string): LedgerRow[] {
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        'SELECT id, payer, nonce, state, transaction_hash, error_reason, retryable FROM settlements',
      )
      .all() as LedgerRow[];
  } finally {
    db.close();
  }
}

/** Polls `probe` until `done`, at most `timeoutMs`; returns the last value either way. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    value = await probe();
  }
  return value;
}

/**
 * Runs `task` over `items` with at most `concurrency` at a time. The first failure stops
 * every worker from taking more items, and is thrown once all of them have stopped.
 */
export async function inParallel<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !failed) {
        const index = next++;
        try {
          results[index] = await task(items[index]!, index);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
  return results;
}
