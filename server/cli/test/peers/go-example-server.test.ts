// The Go example resource server emulator (go-example-server.ts): its 402 exactly, then our
// clients — the shared fetchWithPayment and the `pay` CLI as a real process — paying it, with
// settlement through OUR facilitator and through the Go facilitator emulator, on the devnet.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Facilitator } from '@x402-casper/facilitator';
import {
  decimalsFromChain,
  describeReason,
  fetchWithPayment,
  paymentReceiptOf,
  type SecretKey,
  secretKeySigner,
  secretKeyToPem,
  settlementFailureOf,
} from '@x402-casper/shared';
import {
  executionOf,
  GO_DEFAULT_MAX_TIMEOUT_SECONDS,
  GO_EXAMPLE_AMOUNT,
  GO_EXAMPLE_DESCRIPTION,
  GO_REASONS,
  type GoExampleServer,
  type GoFacilitator,
  startGoExampleServer,
  startGoFacilitator,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, runCli } from '../support.js';
import { type GoStack, startGoStack, startOurFacilitator } from './stack.js';

const OUR_KEY = 'peers-our-facilitator-key-0123456789';
const GO_TOKEN_VALUE = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
const PRICE = BigInt(GO_EXAMPLE_AMOUNT); // 100.00 X402

let stack: GoStack;
let ours: Facilitator & { url: string };
let goFacilitator: GoFacilitator;
/** The Go example server settling through our facilitator. */
let viaOurs: GoExampleServer;
/** The Go example server settling through the Go facilitator emulator. */
let viaGo: GoExampleServer;

beforeAll(async () => {
  stack = await startGoStack('go-example');
  ours = await startOurFacilitator(stack, [OUR_KEY]);
  goFacilitator = await startGoFacilitator({
    network: stack.devnet.network,
    rpcUrl: stack.devnet.rpcUrl,
    feePayer: stack.goFeePayer,
    accessTokens: [GO_TOKEN_VALUE],
    pollIntervalMs: 100,
  });
  const server = (facilitatorUrl: string, facilitatorApiKey: string) =>
    startGoExampleServer({
      facilitatorUrl,
      facilitatorApiKey,
      payTo: stack.merchant,
      network: stack.devnet.network,
      assetPackage: `hash-${stack.token.packageHash}`,
    });
  viaOurs = await server(ours.url, OUR_KEY);
  viaGo = await server(goFacilitator.url, GO_TOKEN_VALUE);
}, 60_000);

afterAll(async () => {
  killAll();
  await viaGo?.close();
  await viaOurs?.close();
  await goFacilitator?.close();
  await ours?.close();
  await stack?.devnet.close();
});

const decodeRaw = (header: string | null) => Buffer.from(header ?? '', 'base64').toString('utf8');

describe('Go example server emulator: what it sends', () => {
  it('answers an unpaid API request with 402, a JSON null body and its PAYMENT-REQUIRED, byte for byte', async () => {
    const response = await fetch(`${viaOurs.url}/weather?city=Tokyo`);
    expect(response.status).toBe(402);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe('null');
    expect(decodeRaw(response.headers.get('payment-required'))).toBe(
      JSON.stringify({
        x402Version: 2,
        error: 'Payment required',
        resource: {
          url: `${viaOurs.url}/weather?city=Tokyo`,
          description: GO_EXAMPLE_DESCRIPTION,
          mimeType: 'application/json',
        },
        accepts: [
          {
            scheme: 'exact',
            network: stack.devnet.network,
            asset: stack.token.packageHash,
            amount: '10000',
            payTo: stack.merchant,
            maxTimeoutSeconds: GO_DEFAULT_MAX_TIMEOUT_SECONDS,
            extra: { decimals: '2', name: 'Cep18x402', symbol: 'X402', version: '1' },
          },
        ],
      }),
    );
  });

  it('gives a browser an HTML paywall without PAYMENT-REQUIRED (the requirements sit in window.x402)', async () => {
    const response = await fetch(`${viaOurs.url}/weather`, {
      headers: { accept: 'text/html,application/xhtml+xml', 'user-agent': 'Mozilla/5.0 (X11)' },
    });
    expect(response.status).toBe(402);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('payment-required')).toBeNull();
    expect(await response.text()).toContain('window.x402 = {');
  });

  it('asked the facilitator for /supported at start-up with Authorization verbatim, no Bearer', () => {
    expect(viaOurs.initError).toBeUndefined();
    expect(viaOurs.facilitatorCalls[0]).toMatchObject({
      path: '/supported',
      status: 200,
      headers: { Authorization: OUR_KEY },
    });
    expect(viaGo.facilitatorCalls[0]).toMatchObject({
      path: '/supported',
      status: 200,
      headers: { Authorization: GO_TOKEN_VALUE },
    });
  });

  it('answers CORS preflights and exposes the x402 headers to any origin', async () => {
    const preflight = await fetch(`${viaOurs.url}/weather`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://shop.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'payment-signature',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Payment-Signature');
    const unpaid = await fetch(`${viaOurs.url}/weather`, {
      headers: { origin: 'http://shop.example' },
    });
    expect(unpaid.headers.get('access-control-expose-headers')).toBe(
      'Payment-Required,Payment-Response',
    );
  });

  it('refuses a PAYMENT-SIGNATURE that is not base64 JSON with 400 {"error":"Invalid payment"}', async () => {
    const response = await fetch(`${viaOurs.url}/weather`, {
      headers: { 'payment-signature': 'not base64!' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'Invalid payment' });
    expect(await (await fetch(`${viaOurs.url}/health`)).json()).toEqual({
      status: 'ok',
      version: '2.0.0',
    });
  });
});

/** Shared fetchWithPayment with a 100-token cap (the Go price is 100.00 X402). */
const payingFetch = (secretKey: SecretKey, maxAmount = '100') =>
  fetchWithPayment(fetch, secretKeySigner(secretKey), {
    maxAmount,
    decimalsOf: decimalsFromChain(stack.devnet.rpcUrl),
  });

describe.each([
  ['our facilitator', () => viaOurs],
  ['the Go facilitator emulator', () => viaGo],
])('shared fetchWithPayment → Go example server → %s → devnet', (_, site) => {
  it('pays the decimals-as-string option: 200 with the weather, a receipt, tokens moved', async () => {
    const payer = await stack.payer();
    const merchantBefore = await stack.balance(stack.merchant);
    const response = await payingFetch(payer.secretKey)(`${site().url}/weather?city=London`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      city: 'London',
      temperature: 50,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      weather: 'rainy',
    });
    const receipt = paymentReceiptOf(response);
    expect(receipt).toMatchObject({
      success: true,
      payer: payer.address,
      network: stack.devnet.network,
    });
    expect(await executionOf(stack.devnet.rpcUrl, receipt!.transaction)).toMatchObject({
      error_message: null,
    });
    expect(await stack.balance(payer.address)).toBe(1_000_000n - PRICE);
    expect(await stack.balance(stack.merchant)).toBe(merchantBefore + PRICE);
  });

  it('will not pay above its cap, read with the string decimals ("2"), and nothing moves', async () => {
    const payer = await stack.payer();
    await expect(payingFetch(payer.secretKey, '99.99')(`${site().url}/weather`)).rejects.toThrow(
      /exceeds the limit of 99\.99/,
    );
    expect(await stack.balance(payer.address)).toBe(1_000_000n);
  });

  it('a payer without tokens gets a 402 and nothing moves', async () => {
    const broke = await stack.payer(0n);
    const merchantBefore = await stack.balance(stack.merchant);
    const response = await payingFetch(broke.secretKey)(`${site().url}/weather`);
    expect(response.status).toBe(402);
    expect(await stack.balance(stack.merchant)).toBe(merchantBefore);
  });
});

describe('a Go settle failure, as the Go example server passes it on', () => {
  it('402 with body {} and a PAYMENT-RESPONSE carrying the reason but not the message', async () => {
    goFacilitator.failNextSettle(GO_REASONS.putDeployFailed, 'PutTransaction RPC failed: down');
    const payer = await stack.payer();
    const response = await payingFetch(payer.secretKey)(`${viaGo.url}/weather`);
    expect(response.status).toBe(402);
    expect(await response.text()).toBe('{}');
    expect(JSON.parse(decodeRaw(response.headers.get('payment-response')))).toEqual({
      success: false,
      errorReason: GO_REASONS.putDeployFailed,
      payer: payer.address,
      transaction: '',
      network: stack.devnet.network,
    });
    expect(await stack.balance(payer.address)).toBe(1_000_000n);
    // The headless client says what the reason means.
    expect(settlementFailureOf(paymentReceiptOf(response))).toBe(
      `${GO_REASONS.putDeployFailed}: ${describeReason(GO_REASONS.putDeployFailed)}`,
    );
  });

  it('the pay CLI says the reason and what it means, not the empty body', async () => {
    goFacilitator.failNextSettle(GO_REASONS.waitDeployFailed, 'deploy timed out');
    const payer = await stack.payer();
    const run = await runCli([
      'pay',
      `${viaGo.url}/weather`,
      '--key',
      keyFile(payer.secretKey),
      '--max-amount',
      '100',
      '--rpc-url',
      stack.devnet.rpcUrl,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `x402-casper pay: ${viaGo.url}/weather answered HTTP 402 after paying: the payment was not settled: ` +
        `${GO_REASONS.waitDeployFailed}: The settlement transaction failed on chain, or its result did not come in time.\n`,
    );
    expect(await stack.balance(payer.address)).toBe(1_000_000n);
  }, 30_000);
});

const keyFile = (secretKey: SecretKey) => {
  const file = join(stack.dir, `payer-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, secretKeyToPem(secretKey));
  return file;
};

describe.each([
  ['our facilitator', () => viaOurs],
  ['the Go facilitator emulator', () => viaGo],
])('the pay CLI (a real process) → Go example server → %s → devnet', (name, site) => {
  it('pays: the weather on stdout, the receipt (100 X402) on stderr, tokens moved', async () => {
    const payer = await stack.payer();
    const merchantBefore = await stack.balance(stack.merchant);
    const run = await runCli([
      'pay',
      `${site().url}/weather?city=Tokyo`,
      '--key',
      keyFile(payer.secretKey),
      '--max-amount',
      '100',
      '--rpc-url',
      stack.devnet.rpcUrl,
    ]);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ city: 'Tokyo', weather: 'clear' });
    expect(run.stderr).toMatch(
      new RegExp(
        `^paid 100 X402 to ${stack.merchant} on ${stack.devnet.network} · transaction [0-9a-f]{64}$`,
        'm',
      ),
    );
    expect(await stack.balance(payer.address)).toBe(1_000_000n - PRICE);
    expect(await stack.balance(stack.merchant)).toBe(merchantBefore + PRICE);
  }, 30_000);

  it(`refuses above --max-amount without paying (${name})`, async () => {
    const payer = await stack.payer();
    const run = await runCli([
      'pay',
      `${site().url}/weather`,
      '--key',
      keyFile(payer.secretKey),
      '--max-amount',
      '50',
      '--rpc-url',
      stack.devnet.rpcUrl,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('exceeds the limit of 50');
    expect(await stack.balance(payer.address)).toBe(1_000_000n);
  }, 30_000);
});
