// The demo site, configured from a JSON file with `facilitatorUrl` + `facilitatorAuthorization`
// (a CSPR.cloud-style access token sent verbatim), charging through the Go facilitator
// emulator on the devnet: one article and one API call paid, tokens moved on chain.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decimalsFromChain,
  decodePaymentRequired,
  fetchWithPayment,
  paymentReceiptOf,
  secretKeySigner,
} from '@x402-casper/shared';
import { executionOf, type GoFacilitator, startGoFacilitator } from '@x402-casper/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoApp } from '../../src/demo/app.js';
import { loadDemoConfig } from '../../src/demo/config.js';
import { GO_TOKEN, type GoStack, startGoStack } from './stack.js';

const ACCESS_TOKEN = '7d3f0a12-5b6c-4e8d-9f01-23456789abcd';
let stack: GoStack;
let go: GoFacilitator;
let app: FastifyInstance;
let demo: string;

beforeAll(async () => {
  stack = await startGoStack('go-demo');
  go = await startGoFacilitator({
    network: stack.devnet.network,
    rpcUrl: stack.devnet.rpcUrl,
    feePayer: stack.goFeePayer,
    accessTokens: [ACCESS_TOKEN],
    pollIntervalMs: 100,
  });
  const file = join(stack.dir, 'demo.json');
  writeFileSync(
    file,
    JSON.stringify({
      port: 0,
      facilitatorUrl: go.url,
      facilitatorAuthorization: ACCESS_TOKEN,
      network: stack.devnet.network,
      payTo: stack.merchant,
      asset: {
        packageHash: stack.token.packageHash,
        name: GO_TOKEN.name,
        domainName: GO_TOKEN.domainName,
        version: '1',
        decimals: GO_TOKEN.decimals,
        symbol: GO_TOKEN.symbol,
      },
    }),
  );
  app = await createDemoApp(loadDemoConfig(file));
  demo = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await go?.close();
  await stack?.devnet.close();
});

describe('demo site → Go facilitator emulator (access token) → devnet', () => {
  it('charges one article (0.05 X402 = 5 atomic units): the article is delivered, tokens move', async () => {
    const payer = await stack.payer();
    const merchantBefore = await stack.balance(stack.merchant);
    const pay = fetchWithPayment(fetch, secretKeySigner(payer.secretKey), {
      maxAmount: '1',
      decimalsOf: decimalsFromChain(stack.devnet.rpcUrl),
    });
    const response = await pay(`${demo}/articles/pay-per-article`, {
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('id="paid-article"');
    const receipt = paymentReceiptOf(response);
    expect(receipt).toMatchObject({ success: true, payer: payer.address });
    expect(await executionOf(stack.devnet.rpcUrl, receipt!.transaction)).toMatchObject({
      error_message: null,
    });
    expect(await stack.balance(stack.merchant)).toBe(merchantBefore + 5n);
    expect(await stack.balance(payer.address)).toBe(1_000_000n - 5n);
    const calls = go.requests.filter((r) => r.path !== '/health');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => r.authorization === ACCESS_TOKEN)).toBe(true);
  });

  it('its 402 asks for the Cep18x402 signing domain, and the paid weather API works too', async () => {
    const unpaid = await fetch(`${demo}/api/weather?city=Bern`);
    expect(unpaid.status).toBe(402);
    expect(decodePaymentRequired(unpaid.headers.get('PAYMENT-REQUIRED')).accepts[0]).toMatchObject({
      asset: stack.token.packageHash,
      amount: '1',
      extra: { name: GO_TOKEN.domainName, version: '1', decimals: 2, symbol: 'X402' },
    });
    const payer = await stack.payer();
    const pay = fetchWithPayment(fetch, secretKeySigner(payer.secretKey), {
      maxAmount: '1',
      decimalsOf: decimalsFromChain(stack.devnet.rpcUrl),
    });
    const response = await pay(`${demo}/api/weather?city=Bern`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ city: 'Bern' });
    expect(paymentReceiptOf(response)).toMatchObject({ success: true });
    expect(await stack.balance(payer.address)).toBe(1_000_000n - 1n);
  });
});
