import {
  decodePaymentRequired,
  encodePaymentSignature,
  fetchWithPayment,
  paymentReceiptOf,
  secretKeyFromHex,
  secretKeySigner,
} from '@x402-casper/shared';
import { startStubFacilitator } from '@x402-casper/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PaywallOptions, x402Paywall } from '../src/index.js';

const payer = secretKeySigner(secretKeyFromHex('ed25519', '0a'.repeat(32)));
const payTo = '00aecb045411527ca0eeb648bb6c531ea74b317c1f2d0a698b1cc48850ea3872d6';
const asset = {
  packageHash: '5c1a7b2e9d40f3a6c8e1b7d2f0a9c4e3b6d8f1a2c5e7b9d0f3a6c8e1b4d7f2a9',
  name: 'Casper x402 Token',
  version: '1',
  decimals: 6,
  symbol: 'CX402',
};

let facilitator: Awaited<ReturnType<typeof startStubFacilitator>>;
let app: FastifyInstance;
let base: string;
let handled = 0;

async function site(
  facilitatorUrl: string,
  timeoutMs = 2000,
  settleTimeoutMs = timeoutMs,
  overrides: Partial<PaywallOptions> = {},
) {
  const site = Fastify();
  await site.register(x402Paywall, {
    facilitator: { url: facilitatorUrl, apiKey: 'test-key', timeoutMs, settleTimeoutMs },
    network: 'casper:casper-test',
    payTo,
    asset,
    ...overrides,
  });
  site.get('/free', async () => ({ free: true }));
  site.get(
    '/api/weather',
    { config: { x402: { price: '0.01', description: 'Weather' } } },
    async (request) => {
      handled++;
      return { city: (request.query as { city?: string }).city ?? 'Zug', temperature: 21 };
    },
  );
  site.get('/api/other', { config: { x402: { price: '0.01' } } }, async () => {
    handled++;
    return { other: true };
  });
  site.post('/api/echo', { config: { x402: { price: '0.02' } } }, async (request) => ({
    echo: request.body,
  }));
  site.get('/api/broken', { config: { x402: { price: '0.01' } } }, async () => {
    handled++;
    throw new Error('handler failed');
  });
  await site.listen({ port: 0, host: '127.0.0.1' });
  return site;
}

const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

/** The base URL a site listens on. */
function baseOf(listening: Awaited<ReturnType<typeof site>>): string {
  const address = listening.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

// The payer knows the token's decimals (the stub facilitator has no chain to read them from).
const pay = (maxAmount = '1') =>
  fetchWithPayment(fetch, payer, { maxAmount, decimalsOf: () => asset.decimals });

beforeAll(async () => {
  facilitator = await startStubFacilitator();
  app = await site(facilitator.url);
  base = baseOf(app);
});

afterAll(async () => {
  await app.close();
  await facilitator.close();
});

beforeEach(() => {
  facilitator.state.mode = 'success';
  facilitator.state.verifyAnswer = undefined;
  facilitator.state.verifyStatus = 200;
  facilitator.state.verifyErrorBody = {
    error: 'invalid_request',
    message: 'body.paymentPayload: refused',
  };
  facilitator.state.settleAnswer = undefined;
  facilitator.state.supportedAnswer = undefined;
  facilitator.state.authorization = 'Bearer test-key';
  facilitator.calls.verify = 0;
  facilitator.calls.settle = 0;
  handled = 0;
});

describe('paywall plugin', () => {
  it('answers an unpaid request with 402, PAYMENT-REQUIRED and the same object as JSON', async () => {
    const response = await fetch(`${base}/api/weather?city=Bern`);
    expect(response.status).toBe(402);
    const required = decodePaymentRequired(response.headers.get('payment-required'));
    expect(await response.json()).toEqual(required);
    expect(required.resource).toEqual({
      url: `${base}/api/weather?city=Bern`,
      description: 'Weather',
    });
    expect(required.accepts).toEqual([
      {
        scheme: 'exact',
        network: 'casper:casper-test',
        amount: '10000',
        asset: asset.packageHash,
        payTo,
        maxTimeoutSeconds: 300,
        extra: { name: asset.name, version: '1', decimals: 6, symbol: 'CX402' },
      },
    ]);
    expect(response.headers.get('access-control-expose-headers')).toContain('PAYMENT-REQUIRED');
    expect(handled).toBe(0);
  });

  it('shows a browser an HTML paywall page that says what is asked', async () => {
    const response = await fetch(`${base}/api/weather`, {
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(response.status).toBe(402);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('0.01 CX402');
    expect(html).toContain(payTo);
    const embedded =
      /<script type="application\/json" id="x402-payment-required">(.*?)<\/script>/s.exec(
        html,
      )?.[1];
    expect(JSON.parse(embedded!)).toEqual(
      decodePaymentRequired(response.headers.get('payment-required')),
    );
  });

  it('leaves free routes alone', async () => {
    const response = await fetch(`${base}/free`);
    expect(response.status).toBe(200);
    expect(response.headers.get('payment-required')).toBeNull();
  });

  it('verifies, runs the handler, settles, and adds PAYMENT-RESPONSE', async () => {
    const response = await pay()(`${base}/api/weather?city=Bern`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ city: 'Bern', temperature: 21 });
    expect(paymentReceiptOf(response)).toMatchObject({
      success: true,
      transaction: 'cd'.repeat(32),
    });
    expect(facilitator.calls).toMatchObject({ verify: 1, settle: 1 });
    expect(handled).toBe(1);
  });

  it('accepts the legacy X-PAYMENT header and paid POST bodies', async () => {
    const first = await fetch(`${base}/api/echo`, { method: 'POST' });
    const required = decodePaymentRequired(first.headers.get('payment-required'));
    const { createPaymentPayload } = await import('@x402-casper/shared');
    const payload = await createPaymentPayload(required.accepts[0]!, payer);
    const response = await fetch(`${base}/api/echo`, {
      method: 'POST',
      headers: { 'x-payment': encodePaymentSignature(payload), 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'casper' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ echo: { hello: 'casper' } });
  });

  it('takes a payment in X-PAYMENT end to end: verified, served once, settled, receipted', async () => {
    const first = await fetch(`${base}/api/weather?city=Chur`);
    const required = decodePaymentRequired(first.headers.get('payment-required'));
    const { createPaymentPayload } = await import('@x402-casper/shared');
    const header = encodePaymentSignature(await createPaymentPayload(required.accepts[0]!, payer));
    const response = await fetch(`${base}/api/weather?city=Chur`, {
      headers: { 'x-payment': header },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ city: 'Chur', temperature: 21 });
    expect(paymentReceiptOf(response)).toMatchObject({
      success: true,
      transaction: 'cd'.repeat(32),
      network: 'casper:casper-test',
    });
    expect(facilitator.calls).toMatchObject({ verify: 1, settle: 1 });
    expect(handled).toBe(1);
    // The same authorization under the other header name is the same payment.
    const again = await fetch(`${base}/api/weather`, { headers: { 'payment-signature': header } });
    expect(again.status).toBe(402);
    const malformed = await fetch(`${base}/api/weather`, { headers: { 'x-payment': 'e30=' } });
    expect(malformed.status).toBe(402);
    expect(await errorOf(malformed)).toMatch(/^invalid payment: PAYMENT-SIGNATURE\.x402Version/);
    expect(handled).toBe(1);
  });

  it('answers an invalid payment with 402 and the reason, without running the handler', async () => {
    const first = await fetch(`${base}/api/weather`);
    const required = decodePaymentRequired(first.headers.get('payment-required'));
    const { createPaymentPayload } = await import('@x402-casper/shared');
    const cheap = await createPaymentPayload({ ...required.accepts[0]!, amount: '1' }, payer);
    const response = await fetch(`${base}/api/weather`, {
      headers: { 'payment-signature': encodePaymentSignature(cheap) },
    });
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toMatch(/^invalid_exact_casper_amount_mismatch: /);
    expect(handled).toBe(0);
    expect(facilitator.calls.settle).toBe(0);
  });

  it('answers a malformed payment header with 402 naming the field', async () => {
    const response = await fetch(`${base}/api/weather`, {
      headers: { 'payment-signature': 'e30=' },
    });
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toBe(
      'invalid payment: PAYMENT-SIGNATURE.x402Version: expected required property',
    );
    expect(facilitator.calls.verify).toBe(0);
  });

  it('never settles when the handler fails', async () => {
    const response = await pay()(`${base}/api/broken`);
    expect(response.status).toBe(500);
    expect(response.headers.get('payment-response')).toBeNull();
    expect(facilitator.calls).toMatchObject({ verify: 1, settle: 0 });
  });

  it('answers a failed settlement with 402, PAYMENT-RESPONSE and the reason, not the content', async () => {
    facilitator.state.mode = 'failure';
    const response = await pay()(`${base}/api/weather`);
    expect(response.status).toBe(402);
    expect(paymentReceiptOf(response)).toMatchObject({
      success: false,
      errorReason: 'insufficient_funds',
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.error).toBe(
      "settlement failed: insufficient_funds: The payer's token balance is below the amount. (balance 0)",
    );
    expect(body).not.toHaveProperty('temperature');
  });

  it('asks once more when settlement is still pending', async () => {
    facilitator.state.mode = 'pending-then-success';
    const response = await pay()(`${base}/api/weather`);
    expect(response.status).toBe(200);
    expect(facilitator.calls.settle).toBe(2);
  });

  it('answers 502 when the facilitator keeps failing, after asking again within the settle budget, and does not serve the content', async () => {
    facilitator.state.mode = 'http-500';
    const response = await pay()(`${base}/api/weather`);
    expect(response.status).toBe(502);
    expect(await errorOf(response)).toMatch(/HTTP 500/);
    // Asked again a second later: one more call fits the site's 2 s settle budget.
    expect(facilitator.calls.settle).toBe(2);
    expect(handled).toBe(1);
  });

  it('asks again after a gateway error in front of the facilitator, and serves', async () => {
    facilitator.state.mode = 'gateway-error-then-success';
    const response = await pay()(`${base}/api/weather`);
    expect(response.status).toBe(200);
    expect(paymentReceiptOf(response)).toMatchObject({ success: true });
    expect(facilitator.calls.settle).toBe(2);
  });

  it('answers 402 when the facilitator refuses the forwarded payment as malformed', async () => {
    facilitator.state.verifyStatus = 400;
    const response = await pay()(`${base}/api/weather`);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toMatch(/^invalid payment: the facilitator refused it: /);
    expect(handled).toBe(0);
  });

  it('answers 503 when the facilitator does not answer in time', async () => {
    const impatient = await site(facilitator.url, 300);
    facilitator.state.mode = 'hang';
    const response = await pay()(`${baseOf(impatient)}/api/weather`);
    expect(response.status).toBe(503);
    expect(await errorOf(response)).toMatch(/no answer within 300 ms/);
    await impatient.close();
  });

  it('answers 503 when the facilitator is down', async () => {
    const down = await site('http://127.0.0.1:9');
    const response = await pay()(`${baseOf(down)}/api/weather`);
    expect(response.status).toBe(503);
    expect(await errorOf(response)).toMatch(/unreachable/);
    await down.close();
  });

  it('caches the facilitator /supported answer', async () => {
    const before = facilitator.calls.supported;
    await pay()(`${base}/api/weather`);
    await pay()(`${base}/api/weather`);
    expect(facilitator.calls.supported - before).toBe(0);
  });

  it('answers a CORS preflight for the payment header', async () => {
    const response = await fetch(`${base}/api/weather`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://elsewhere.test',
        'access-control-request-headers': 'payment-signature',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toContain('payment-signature');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses a bad price or payee at start-up, naming the field', async () => {
    const bad = Fastify();
    await bad.register(x402Paywall, {
      facilitator: { url: facilitator.url },
      network: 'casper:casper-test',
      payTo,
      asset,
    });
    expect(() =>
      bad.get('/x', { config: { x402: { price: '0.0000001' } } }, async () => 'x'),
    ).toThrow('GET /x config.x402.price: has more than 6 decimal places');
    await bad.close();
    const badPayee = Fastify();
    badPayee.register(x402Paywall, {
      facilitator: { url: facilitator.url },
      network: 'casper:casper-test',
      payTo: 'alice',
      asset,
    });
    await expect(badPayee.ready()).rejects.toThrow(/^paywall.payTo: /);
  });
});

describe('one payment, one delivery', () => {
  const paymentFor = async (path = '/api/weather') => {
    const first = await fetch(`${base}${path}`);
    const required = decodePaymentRequired(first.headers.get('payment-required'));
    const { createPaymentPayload } = await import('@x402-casper/shared');
    return encodePaymentSignature(await createPaymentPayload(required.accepts[0]!, payer));
  };
  const withPayment = (path: string, header: string) =>
    fetch(`${base}${path}`, { headers: { 'payment-signature': header } });

  it('serves one of two concurrent requests carrying the same payment, and runs one handler', async () => {
    facilitator.state.mode = 'slow';
    const header = await paymentFor();
    const answers = await Promise.all([
      withPayment('/api/weather', header),
      withPayment('/api/other', header),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 402]);
    const refused = answers.find((r) => r.status === 402)!;
    expect(await errorOf(refused)).toBe('this payment is already being used for another request');
    expect(handled).toBe(1);
    expect(facilitator.calls.settle).toBe(1);
  });

  it('refuses a payment again once it has paid for a response', async () => {
    const header = await paymentFor();
    expect((await withPayment('/api/weather', header)).status).toBe(200);
    const again = await withPayment('/api/other', header);
    expect(again.status).toBe(402);
    expect(handled).toBe(1);
  });

  it('lets the same payment be tried again after a failed settlement or a failed handler', async () => {
    facilitator.state.mode = 'failure';
    const header = await paymentFor();
    expect((await withPayment('/api/weather', header)).status).toBe(402);
    facilitator.state.mode = 'success';
    expect((await withPayment('/api/weather', header)).status).toBe(200);

    const second = await paymentFor('/api/broken');
    expect((await withPayment('/api/broken', second)).status).toBe(500);
    expect((await withPayment('/api/weather', second)).status).toBe(200);
  });

  it('serves a settlement collected before a failing handler when the same payment comes again', async () => {
    // The facilitator already settled this authorization for our key (an earlier request was
    // told "pending"): /verify says its nonce is used, /settle hands the success out again.
    facilitator.state.mode = 'success';
    facilitator.state.verifyAnswer = {
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
      invalidMessage: 'settled',
    };
    const header = await paymentFor('/api/broken');
    const failed = await withPayment('/api/broken', header);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('payment-response')).toBeNull();
    const served = await withPayment('/api/weather', header);
    expect(served.status).toBe(200);
    expect(paymentReceiptOf(served)).toMatchObject({ success: true });
    expect(handled).toBe(2);
  });

  it('says "pending", not "nonce used", of a payment already sent whose settlement is not final yet', async () => {
    facilitator.state.mode = 'always-pending';
    facilitator.state.verifyAnswer = {
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
      invalidMessage: 'the nonce is already used on chain',
    };
    const patient = await site(facilitator.url, 2000, 1500);
    const url = `${baseOf(patient)}/api/weather`;
    const header = await paymentFor();
    const pending = await fetch(url, { headers: { 'payment-signature': header } });
    expect(pending.status).toBe(402);
    expect(await errorOf(pending)).toMatch(/^settlement pending: /);
    expect(paymentReceiptOf(pending)).toMatchObject({
      success: false,
      errorReason: 'settlement_pending',
    });
    // Not held: the same payment, once settled, is delivered.
    facilitator.state.mode = 'success';
    expect((await fetch(url, { headers: { 'payment-signature': header } })).status).toBe(200);
    expect(handled).toBe(1);
    await patient.close();
  });

  it('keeps asking while settlement is pending, then tells the client to retry; the retry collects the content', async () => {
    facilitator.state.mode = 'always-pending';
    const patient = await site(facilitator.url, 2000, 1500);
    const url = `${baseOf(patient)}/api/weather`;
    const header = await paymentFor();
    const pending = await fetch(url, { headers: { 'payment-signature': header } });
    expect(pending.status).toBe(402);
    expect(await errorOf(pending)).toMatch(/^settlement pending: /);
    expect(paymentReceiptOf(pending)).toMatchObject({
      success: false,
      errorReason: 'settlement_pending',
    });
    expect(facilitator.calls.settle).toBeGreaterThanOrEqual(2);
    // The block came: the facilitator now sees the nonce used, and hands the success out once.
    facilitator.state.mode = 'success';
    facilitator.state.verifyAnswer = {
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
      invalidMessage: 'settled',
    };
    const collected = await fetch(url, { headers: { 'payment-signature': header } });
    expect(collected.status).toBe(200);
    expect(paymentReceiptOf(collected)).toMatchObject({ success: true });
    await patient.close();
  });
});
