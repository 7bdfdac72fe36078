import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SecretKey, secretKeyToPem } from '@x402-casper/shared';

/** A temp directory for one test file's databases and keys. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `facilitator-${prefix}-`));
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export interface RawAsset {
  packageHash: string;
  name: string;
  version?: string;
  decimals: number;
  symbol?: string;
  argLayout?: string;
}

/** A raw facilitator config (what a JSON file would hold) for one network. */
export function rawConfig(options: {
  database: string;
  network: string;
  rpcUrl: string;
  feePayer: SecretKey;
  assets: RawAsset[];
  apiKeys?: string[];
  extra?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    host: '127.0.0.1',
    port: 0,
    apiKeys: options.apiKeys ?? [],
    database: options.database,
    logLevel: 'silent',
    networks: [
      {
        network: options.network,
        rpcUrl: options.rpcUrl,
        secretKeyPem: secretKeyToPem(options.feePayer),
        assets: options.assets,
      },
    ],
    ...options.extra,
  };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}
