import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodePaymentRequired,
  fetchWithPayment,
  secretKeyFromHex,
  secretKeySigner,
} from '@x402-casper/shared';
import { startStubFacilitator } from '@x402-casper/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/demo/app.js';
import { type DemoConfig, demoEnvName, loadDemoConfig } from '../src/demo/config.js';

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

describe('demo config for other facilitators', () => {
  const CSPRUSD_TESTNET = '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52';

  it('takes facilitatorAuthorization (an access token) beside facilitatorApiKey', () => {
    const loaded = loadDemoConfig(configFile({ ...config, facilitatorAuthorization: 'tok-1' }));
    expect(loaded.facilitatorAuthorization).toBe('tok-1');
    expect(() =>
      loadDemoConfig(
        configFile({ ...config, facilitatorAuthorization: 'tok-1', facilitatorApiKey: 'key' }),
      ),
    ).toThrow(/^config\.facilitatorAuthorization: .*not both/);
    expect(() =>
      loadDemoConfig(configFile({ ...config, facilitatorAuthorization: 'tok\r\nX-Evil: 1' })),
    ).toThrow(/^config\.facilitatorAuthorization: must not contain line breaks/);
    expect(() => loadDemoConfig(configFile({ ...config, facilitatorAuthorization: 42 }))).toThrow(
      /^config\.facilitatorAuthorization/,
    );
  });

  it('reads X402_DEMO_* variables over the file, naming the variable in an error', () => {
    expect(demoEnvName('facilitatorAuthorization')).toBe('X402_DEMO_FACILITATOR_AUTHORIZATION');
    expect(demoEnvName('facilitatorApiKey')).toBe('X402_DEMO_FACILITATOR_API_KEY');
    const file = configFile(config);
    const loaded = loadDemoConfig(file, {
      X402_DEMO_FACILITATOR_AUTHORIZATION: 'from-env',
      X402_DEMO_PORT: '4031',
      X402_DEMO_FACILITATOR_URL: 'https://facilitator.example',
      X402_DEMO_UNRELATED: 'x',
    });
    expect(loaded).toMatchObject({
      facilitatorAuthorization: 'from-env',
      port: 4031,
      facilitatorUrl: 'https://facilitator.example',
    });
    // An empty variable is an unset one.
    expect(loadDemoConfig(file, { X402_DEMO_FACILITATOR_API_KEY: '' }).facilitatorApiKey).toBe(
      undefined,
    );
    expect(() => loadDemoConfig(file, { X402_DEMO_PORT: 'eighty' })).toThrow(
      /^config\.port: .*\(set by X402_DEMO_PORT\)$/,
    );
    expect(() =>
      loadDemoConfig(configFile({ ...config, facilitatorApiKey: 'key' }), {
        X402_DEMO_FACILITATOR_AUTHORIZATION: 'tok',
      }),
    ).toThrow(
      /^config\.facilitatorAuthorization: .*\(set by X402_DEMO_FACILITATOR_AUTHORIZATION\)$/,
    );
  });

  it('charges in csprUSD on testnet when no asset is named; wants one elsewhere', async () => {
    const { asset: _, ...noAsset } = config;
    expect(loadDemoConfig(configFile(noAsset)).asset).toBeUndefined();
    expect(() =>
      loadDemoConfig(configFile({ ...noAsset, network: 'casper:casper-net-1' })),
    ).toThrow(/^config\.asset: is required on casper:casper-net-1/);
    const demo = await createDemoApp(noAsset);
    const api = await demo.inject({ url: '/api/weather' });
    expect(decodePaymentRequired(api.headers['payment-required']).accepts[0]).toMatchObject({
      asset: CSPRUSD_TESTNET,
      amount: '10000',
      extra: { name: 'csprUSD', version: '1', decimals: 6, symbol: 'csprUSD' },
    });
    expect((await demo.inject({ url: '/' })).body).toContain('csprUSD');
    await demo.close();
  });

  it('takes a signing-domain name apart from the CEP-18 name', async () => {
    const loaded = loadDemoConfig(
      configFile({ ...config, asset: { ...config.asset, domainName: 'Cep18x402' } }),
    );
    const demo = await createDemoApp(loaded);
    const api = await demo.inject({ url: '/api/weather' });
    expect(decodePaymentRequired(api.headers['payment-required']).accepts[0]!.extra).toMatchObject({
      name: 'Cep18x402',
    });
    await demo.close();
    expect(() =>
      loadDemoConfig(configFile({ ...config, asset: { ...config.asset, domainName: '' } })),
    ).toThrow(/^config\.asset\.domainName/);
  });

  it('sends facilitatorAuthorization verbatim to the facilitator', async () => {
    const stub = await startStubFacilitator();
    stub.state.authorization = 'cspr-cloud-token';
    const demo = await createDemoApp({
      ...config,
      facilitatorUrl: stub.url,
      facilitatorAuthorization: 'cspr-cloud-token',
    });
    await demo.listen({ port: 0, host: '127.0.0.1' });
    const address = demo.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const payer = secretKeySigner(secretKeyFromHex('ed25519', '0c'.repeat(32)));
    const response = await fetchWithPayment(fetch, payer, {
      maxAmount: '1',
      // The configured token's decimals, as the test knows them (the stub facilitator has no chain).
      decimalsOf: () => 6,
    })(`http://127.0.0.1:${port}/api/weather?city=Zug`);
    expect(response.status).toBe(200);
    expect(stub.state.lastHeaders.authorization).toBe('cspr-cloud-token');
    await demo.close();
    await stub.close();
  });
});
