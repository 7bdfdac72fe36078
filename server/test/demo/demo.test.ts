import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePaymentRequired } from '@x402-casper/shared';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoApp } from '../../src/demo/app.js';
import { type DemoConfig, loadDemoConfig } from '../../src/demo/config.js';

const dir = mkdtempSync(join(tmpdir(), 'demo-'));
const config: DemoConfig = {
  host: '127.0.0.1',
  port: 0,
  facilitatorUrl: 'http://127.0.0.1:9',
  network: 'casper:casper-test',
  payTo: `00${'ae'.repeat(32)}`,
  asset: {
    packageHash: '5c'.repeat(32),
    name: 'Casper x402 Token',
    version: '1',
    decimals: 6,
    symbol: 'CX402',
  },
};

function configFile(value: unknown): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

describe('demo config', () => {
  it('loads a valid file and normalises the payee', () => {
    const loaded = loadDemoConfig(
      configFile({ ...config, payTo: `account-hash-${'ae'.repeat(32)}` }),
    );
    expect(loaded.payTo).toBe(`00${'ae'.repeat(32)}`);
  });

  it.each([
    ['config.asset.decimals', { ...config, asset: { ...config.asset, decimals: -1 } }],
    ['config.asset.packageHash', { ...config, asset: { ...config.asset, packageHash: 'hash-5c' } }],
    ['config.facilitatorUrl', { ...config, facilitatorUrl: 'ftp://x' }],
    ['config.port', { ...config, port: 'eighty' }],
    ['config.network', { ...config, network: 'eip155:1' }],
    ['config.payTo', { ...config, payTo: 'merchant' }],
    ['config.unexpected', { ...config, unexpected: true }],
  ])('names %s when it is wrong', (field, value) => {
    expect(() => loadDemoConfig(configFile(value))).toThrow(
      new RegExp(`^${field.replace('.', '\\.')}`),
    );
  });

  it('says when the file is not JSON', () => {
    expect(() => loadDemoConfig(configFile('{ nope'))).toThrow(/^config: cannot read .* as JSON/);
  });
});

describe('demo site', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await createDemoApp(config);
  });
  afterAll(() => app.close());

  it('explains the flow on the home page and links the paid pages', async () => {
    const home = await app.inject({ url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('402 Payment Required');
    expect(home.body).toContain('href="/articles/pay-per-article"');
    expect(home.body).toContain('href="/playground"');
  });

  it('has a playground with fetch and XMLHttpRequest buttons and result/receipt panes', async () => {
    const page = await app.inject({ url: '/playground' });
    for (const id of ['fetch-button', 'xhr-button', 'result', 'receipt', 'status'])
      expect(page.body).toContain(`id="${id}"`);
    expect(page.body).toContain('new XMLHttpRequest()');
  });

  it('charges 0.01 CX402 for the weather API and 0.05 for the article', async () => {
    const api = await app.inject({ url: '/api/weather?city=Zug' });
    expect(api.statusCode).toBe(402);
    expect(decodePaymentRequired(api.headers['payment-required']).accepts[0]!.amount).toBe('10000');
    const article = await app.inject({
      url: '/articles/pay-per-article',
      headers: { accept: 'text/html' },
    });
    expect(article.statusCode).toBe(402);
    expect(article.body).toContain('0.05 CX402');
    expect(article.body).not.toContain('id="paid-article"');
  });
});
