import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  decodePaymentSignature,
  encodePaymentRequired,
  fetchWithPayment,
  judgeOption,
  type PaymentEvent,
  PaymentRefusedError,
  type PaymentRequired,
  type PaymentRequirements,
  paymentReceiptOf,
  secretKeyFromHex,
  secretKeySigner,
  settlementFailureOf,
  usdAssetOf,
  utf8ToBytes,
  verifyPayment,
} from '../src/index.js';
import { vectors } from './vectors.js';

const [payer, , payee] = vectors.keys as [
  (typeof vectors.keys)[0],
  unknown,
  (typeof vectors.keys)[0],
];
const b64json = (value: unknown) => bytesToBase64(utf8ToBytes(JSON.stringify(value)));
const signer = secretKeySigner(secretKeyFromHex(payer.algorithm, payer.secretKeyHex));
const casper: PaymentRequirements = { ...vectors.paymentRequirements, payTo: payee.address };
/** The vectors' token has 6 decimals: what this payer is told by a source it trusts. */
const decimalsOf = (network: string, asset: string) =>
  network === casper.network && asset === casper.asset ? 6 : undefined;
const evm = {
  scheme: 'exact',
  network: 'eip155:8453',
  amount: '1',
  asset: '0xabc',
  payTo: '0xdef',
  maxTimeoutSeconds: 60,
};

/** What the test server offers, and how it answers a paid retry. */
let offer: PaymentRequirements[] = [casper];
let settle: 'ok' | 'refuse' | 'pending-twice' = 'ok';
/** How many times each payment header was answered "pending" (settle = 'pending-twice'). */
const pendingAnswers = new Map<string, number>();
/** Whether a success receipt names its network (some servers leave it out). */
let receiptNetwork = true;
const seen: { payment?: string; body: string; method: string }[] = [];
let server: Server;
let base: string;

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const payment = req.headers['payment-signature'] as string | undefined;
    seen.push({ ...(payment ? { payment } : {}), body: await bodyOf(req), method: req.method! });
    const required: PaymentRequired = {
      x402Version: 2,
      resource: { url: `${base}${req.url}`, description: 'test resource' },
      accepts: offer,
    };
    if (payment) {
      const payload = decodePaymentSignature(payment);
      const verdict = verifyPayment(
        payload,
        offer.find(
          (o) => o.network === payload.accepted.network && o.amount === payload.accepted.amount,
        )!,
      );
      const pendings = pendingAnswers.get(payment) ?? 0;
      if (verdict.isValid && settle === 'pending-twice' && pendings < 2) {
        pendingAnswers.set(payment, pendings + 1);
        const receipt = {
          success: false,
          errorReason: 'settlement_pending',
          network: casper.network,
        };
        res.writeHead(402, {
          'payment-required': encodePaymentRequired(required),
          'payment-response': b64json(receipt),
          'content-type': 'application/json',
        });
        res.end(JSON.stringify({ error: 'settlement pending: retry with the same payment' }));
        return;
      }
      if (verdict.isValid && (settle === 'ok' || settle === 'pending-twice')) {
        const receipt = {
          success: true,
          transaction: 'ab'.repeat(32),
          ...(receiptNetwork ? { network: casper.network } : {}),
          payer: verdict.payer!,
        };
        res.writeHead(200, {
          'content-type': 'application/json',
          'payment-response': b64json(receipt),
        });
        res.end(JSON.stringify({ paid: true }));
        return;
      }
      // As the Go example server sends it: no errorMessage; here also no transaction.
      const receipt = {
        success: false,
        errorReason: 'insufficient_funds',
        network: casper.network,
      };
      res.writeHead(402, {
        'payment-required': encodePaymentRequired(required),
        'payment-response': b64json(receipt),
      });
      res.end();
      return;
    }
    res.writeHead(402, {
      'payment-required': encodePaymentRequired(required),
      'content-type': 'application/json',
    });
    res.end(JSON.stringify(required));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  offer = [casper];
  settle = 'ok';
  receiptNetwork = true;
  seen.length = 0;
  pendingAnswers.clear();
});

describe('fetchWithPayment', () => {
  it('pays a 402 once, retries, and exposes the receipt', async () => {
    const events: PaymentEvent[] = [];
    const pay = fetchWithPayment(
      fetch,
      signer,
      { maxAmount: '0.01', decimalsOf },
      { onPayment: (e) => events.push(e) },
    );
    const response = await pay(`${base}/weather`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ paid: true });
    expect(paymentReceiptOf(response)).toMatchObject({ success: true, payer: payer.address });
    expect(seen.map((s) => Boolean(s.payment))).toEqual([false, true]);
    expect(events).toHaveLength(1);
    expect(events[0]!.receipt?.transaction).toBe('ab'.repeat(32));
  });

  it('keeps the method and body on the paid retry', async () => {
    const pay = fetchWithPayment(fetch, signer, { maxAmount: '1', decimalsOf });
    const response = await pay(`${base}/submit`, {
      method: 'POST',
      body: '{"q":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(seen).toMatchObject([
      { method: 'POST', body: '{"q":1}' },
      { method: 'POST', body: '{"q":1}' },
    ]);
  });

  it('sends the same payment again while its settlement is pending, and never a second one', async () => {
    settle = 'pending-twice';
    const events: PaymentEvent[] = [];
    const pay = fetchWithPayment(
      fetch,
      signer,
      { maxAmount: '0.01', decimalsOf },
      { onPayment: (e) => events.push(e), pendingPauseMs: 20 },
    );
    const response = await pay(`${base}/submit`, { method: 'POST', body: '{"q":2}' });
    expect(response.status).toBe(200);
    const payments = seen.filter((s) => s.payment);
    expect(payments).toHaveLength(3);
    expect(new Set(payments.map((s) => s.payment)).size).toBe(1);
    expect(payments.map((s) => s.body)).toEqual(['{"q":2}', '{"q":2}', '{"q":2}']);
    expect(events).toHaveLength(1);
    expect(events[0]!.receipt).toMatchObject({ success: true });
  });

  it('returns a pending answer once its patience is spent', async () => {
    settle = 'pending-twice';
    const pay = fetchWithPayment(
      fetch,
      signer,
      { maxAmount: '0.01', decimalsOf },
      { pendingPatienceMs: 0 },
    );
    const response = await pay(`${base}/weather`);
    expect(response.status).toBe(402);
    expect(paymentReceiptOf(response)).toMatchObject({ errorReason: 'settlement_pending' });
    expect(seen.filter((s) => s.payment)).toHaveLength(1);
  });

  it('does not pay twice when the paid retry fails, and returns that response', async () => {
    settle = 'refuse';
    const pay = fetchWithPayment(fetch, signer, { maxAmount: '1', decimalsOf });
    const response = await pay(`${base}/weather`);
    expect(response.status).toBe(402);
    expect(paymentReceiptOf(response)).toMatchObject({
      success: false,
      errorReason: 'insufficient_funds',
    });
    expect(seen.filter((s) => s.payment)).toHaveLength(1);
  });

  it('says in words why the settlement of a paid retry failed, from a receipt without transaction', async () => {
    settle = 'refuse';
    const events: PaymentEvent[] = [];
    const pay = fetchWithPayment(
      fetch,
      signer,
      { maxAmount: '1', decimalsOf },
      { onPayment: (e) => events.push(e) },
    );
    const response = await pay(`${base}/weather`);
    expect(response.status).toBe(402);
    expect(events[0]!.receipt).toEqual({
      success: false,
      errorReason: 'insufficient_funds',
      transaction: '',
      network: casper.network,
    });
    expect(settlementFailureOf(events[0]!.receipt)).toBe(
      "insufficient_funds: The payer's token balance is below the amount.",
    );
  });

  it('takes a success receipt without its network as on the network paid', async () => {
    receiptNetwork = false;
    const events: PaymentEvent[] = [];
    const pay = fetchWithPayment(
      fetch,
      signer,
      { maxAmount: '1', decimalsOf },
      { onPayment: (e) => events.push(e) },
    );
    const response = await pay(`${base}/weather`);
    expect(response.status).toBe(200);
    expect(events[0]!.receipt).toMatchObject({
      success: true,
      transaction: 'ab'.repeat(32),
      network: casper.network,
    });
    expect(settlementFailureOf(events[0]!.receipt)).toBeUndefined();
    // Read alone, without the network paid on, such a receipt is not one.
    expect(paymentReceiptOf(response)).toBeUndefined();
    expect(paymentReceiptOf(response, { network: casper.network })?.network).toBe(casper.network);
  });

  it('passes a 402 with no Casper option through untouched', async () => {
    offer = [evm];
    const response = await fetchWithPayment(fetch, signer, { maxAmount: '1', decimalsOf })(
      `${base}/evm`,
    );
    expect(response.status).toBe(402);
    expect(seen).toHaveLength(1);
  });

  it('chooses the cheapest allowed Casper option', async () => {
    offer = [evm, { ...casper, amount: '50000' }, casper];
    const pay = fetchWithPayment(fetch, signer, { maxAmount: '1', decimalsOf });
    expect((await pay(`${base}/cheap`)).status).toBe(200);
    expect(decodePaymentSignature(seen[1]!.payment!).accepted.amount).toBe('10000');
  });

  it.each<[string, Parameters<typeof fetchWithPayment>[2], RegExp]>([
    [
      'over the maximum amount',
      { maxAmount: '0.009999', decimalsOf },
      /exceeds the limit of 0.009999/,
    ],
    [
      'on a network not allowed',
      { maxAmount: '1', decimalsOf, networks: ['casper:casper'] },
      /network casper:casper-test is not allowed/,
    ],
    [
      'in an asset not allowed',
      { maxAmount: '1', decimalsOf, assets: ['ab'.repeat(32)] },
      /asset .* is not allowed/,
    ],
    [
      'to a payee not allowed',
      { maxAmount: '1', decimalsOf, payees: [payer.address] },
      /payee .* is not allowed/,
    ],
  ])('refuses to pay %s, says why, and sends nothing', async (_, policy, message) => {
    const pay = fetchWithPayment(fetch, signer, policy);
    const error = await pay(`${base}/weather`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentRefusedError);
    expect((error as Error).message).toMatch(message);
    expect((error as PaymentRefusedError).paymentRequired?.accepts).toHaveLength(1);
    expect(seen.filter((s) => s.payment)).toHaveLength(0);
  });

  it('pays an option that leaves its decimals out by the decimals it knows', async () => {
    offer = [{ ...casper, extra: { name: 'Casper x402 Token', version: '1' } }];
    const pay = fetchWithPayment(fetch, signer, { maxAmount: '0.01', decimalsOf });
    expect((await pay(`${base}/x`)).status).toBe(200);
  });

  it.each<[string, Parameters<typeof fetchWithPayment>[2], RegExp]>([
    [
      'an option claiming more decimals than its token has (a limit of 0.01 would allow 10^16)',
      { maxAmount: '0.01', decimalsOf },
      /says token .* has 18 decimals; it has 6/,
    ],
    [
      'a token whose decimals it has no trusted source for, whatever the site says',
      { maxAmount: '0.01' },
      /is not a known one and the policy has no decimalsOf for it/,
    ],
    [
      'a token whose trusted source gives decimals out of range',
      { maxAmount: '0.01', decimalsOf: () => 255 },
      /the decimals given for token .* \(255\) are not 0 to 36/,
    ],
    [
      'a token whose decimals cannot be read',
      {
        maxAmount: '0.01',
        decimalsOf: () => Promise.reject(new Error('the node is down')),
      },
      /cannot read the decimals of token .*: the node is down/,
    ],
  ])('refuses %s, and sends nothing', async (_, policy, message) => {
    offer = [
      {
        ...casper,
        amount: (10n ** 16n).toString(),
        extra: { ...casper.extra, decimals: 18 },
      },
    ];
    const error = await fetchWithPayment(fetch, signer, policy)(`${base}/x`).catch((e) => e);
    expect(error).toBeInstanceOf(PaymentRefusedError);
    expect((error as Error).message).toMatch(message);
    expect(seen.filter((s) => s.payment)).toHaveLength(0);
  });

  it("judges a known token by its own decimals, not the site's", async () => {
    const csprUsd = usdAssetOf('casper:casper-test')!;
    const option = {
      ...casper,
      asset: csprUsd.packageHash,
      amount: '50000',
      extra: { name: 'csprUSD', version: '1', decimals: 6 },
    };
    // No decimalsOf: csprUSD's 6 decimals are built in.
    expect(await judgeOption(option, { maxAmount: '0.05' })).toMatchObject({ ok: true });
    expect(await judgeOption(option, { maxAmount: '0.049999' })).toMatchObject({ ok: false });
    const lying = {
      ...option,
      amount: '50000000000000000',
      extra: { ...option.extra, decimals: 18 },
    };
    expect(await judgeOption(lying, { maxAmount: '0.05' })).toMatchObject({
      ok: false,
      why: expect.stringMatching(/has 18 decimals; it has 6/),
    });
  });

  it('refuses a malformed PAYMENT-REQUIRED header', async () => {
    const broken = async () =>
      new Response(null, { status: 402, headers: { 'payment-required': 'not-base64!' } });
    await expect(
      fetchWithPayment(broken, signer, { maxAmount: '1', decimalsOf })('http://x.test/'),
    ).rejects.toThrow(/PAYMENT-REQUIRED/);
  });
});
