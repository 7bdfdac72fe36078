// The Go facilitator emulator (go-facilitator.ts) against the devnet over JSON-RPC: its wire
// shapes, its access-token gateway, its verify reasons, and settlements that really land on
// chain with the Go argument layout — then our Fastify paywall charging through it.

import { type FacilitatorOptions, x402Paywall } from '@x402-casper/fastify';
import {
  addressOfPublicKey,
  createPaymentPayload,
  decimalsFromChain,
  decodePaymentRequired,
  decodePaymentResponse,
  fetchWithPayment,
  type PaymentPayload,
  type PaymentRequirements,
  paymentReceiptOf,
  secretKeySigner,
} from '@x402-casper/shared';
import {
  executionOf,
  GO_PAYMENT_MOTES,
  GO_REASONS,
  type GoFacilitator,
  postJson,
  rpcResult,
  startGoFacilitator,
} from '@x402-casper/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GO_TOKEN, type GoStack, startGoStack } from './stack.js';

const TOKEN = 'f3b2a6c4-9d1e-4c8b-a7e5-0c2d4e6f8a10'; // a CSPR.cloud-style access token
let stack: GoStack;
let go: GoFacilitator;
let goOmitting: GoFacilitator;
let goNullSupported: GoFacilitator;
let goKindsOnly: GoFacilitator;
const closers: Array<() => Promise<unknown>> = [];

const auth = { authorization: TOKEN };

function requirements(amount = '500', overrides: Partial<PaymentRequirements> = {}) {
  return {
    scheme: 'exact',
    network: stack.devnet.network,
    amount,
    asset: stack.token.packageHash,
    payTo: stack.merchant,
    maxTimeoutSeconds: 120,
    extra: { name: GO_TOKEN.domainName, version: '1', decimals: 2, symbol: 'X402' },
    ...overrides,
  } satisfies PaymentRequirements;
}

async function body(
  payer: { secretKey: Parameters<typeof secretKeySigner>[0] },
  options: {
    amount?: string;
    now?: number;
    edit?: (payload: PaymentPayload) => PaymentPayload;
    requirements?: Partial<PaymentRequirements>;
  } = {},
) {
  const reqs = requirements(options.amount, options.requirements);
  const payload = await createPaymentPayload(reqs, secretKeySigner(payer.secretKey), {
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  return {
    x402Version: 2,
    paymentPayload: options.edit ? options.edit(payload) : payload,
    paymentRequirements: reqs,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The parts of a TransactionV1 payload (node JSON) the layout test reads. */
interface V1Payload {
  initiator_addr: unknown;
  chain_name: string;
  ttl: string;
  pricing_mode: unknown;
  fields: {
    entry_point: unknown;
    target: { Stored: { id: { ByPackageHash: { addr: string } } } };
    args: { Named: Array<[string, { cl_type: unknown }]> };
  };
}

beforeAll(async () => {
  stack = await startGoStack('go-facilitator');
  const common = {
    network: stack.devnet.network,
    rpcUrl: stack.devnet.rpcUrl,
    feePayer: stack.goFeePayer,
    accessTokens: [TOKEN],
    pollIntervalMs: 100,
    settleTimeoutMs: 20_000,
  };
  go = await startGoFacilitator(common);
  goOmitting = await startGoFacilitator({ ...common, failedTransaction: 'omit' });
  goNullSupported = await startGoFacilitator({ ...common, supportedShape: 'null' });
  goKindsOnly = await startGoFacilitator({ ...common, supportedShape: 'absent' });
  closers.push(
    () => go.close(),
    () => goOmitting.close(),
    () => goNullSupported.close(),
    () => goKindsOnly.close(),
  );
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await stack?.devnet.close();
});

describe('Go facilitator emulator: HTTP surface', () => {
  it('GET /supported: one kind with extra.feePayer (bare account hash), extensions [], signers', async () => {
    const response = await fetch(`${go.url}/supported`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const feePayer = addressOfPublicKey(stack.goFeePayer.publicKey).slice(2);
    expect(await response.text()).toBe(
      JSON.stringify({
        kinds: [
          { x402Version: 2, scheme: 'exact', network: stack.devnet.network, extra: { feePayer } },
        ],
        extensions: [],
        signers: { 'casper:*': [feePayer] },
      }),
    );
    const nulls = await (await fetch(`${goNullSupported.url}/supported`, { headers: auth })).json();
    expect(nulls).toMatchObject({ extensions: null, signers: null });
  });

  it('GET /health is open; unknown paths get Gin 404 text', async () => {
    expect(await (await fetch(`${go.url}/health`)).json()).toEqual({ status: 'ok' });
    const missing = await fetch(`${go.url}/nope`, { headers: auth });
    expect([missing.status, await missing.text()]).toEqual([404, '404 page not found']);
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', 'not-the-token'],
    ['the token as a Bearer credential', `Bearer ${TOKEN}`],
  ])('the access-token gateway answers 401 unauthorized for %s', async (_, value) => {
    for (const [method, path] of [
      ['GET', '/supported'],
      ['POST', '/verify'],
      ['POST', '/settle'],
    ] as const) {
      const response = await fetch(`${go.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(value ? { authorization: value } : {}) },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: { code: 'unauthorized', message: expect.any(String) },
      });
    }
  });

  it('a body that is not JSON is 400 {"error":"invalid request"}', async () => {
    const response = await postJson(`${go.url}/verify`, '{nope', auth);
    expect(response).toMatchObject({ status: 400, body: { error: 'invalid request' } });
  });
});

describe('Go facilitator emulator: /verify', () => {
  it('accepts a valid payment: {isValid: true, payer}', async () => {
    const payer = await stack.payer();
    const answer = await postJson(`${go.url}/verify`, await body(payer), auth);
    expect(answer).toMatchObject({ status: 200, body: { isValid: true, payer: payer.address } });
    expect(Object.keys(answer.body)).toEqual(['isValid', 'payer']);
  });

  it('does not look at the chain: an account without tokens or CSPR still verifies', async () => {
    const broke = await stack.payer(0n);
    const answer = await postJson(`${go.url}/verify`, await body(broke), auth);
    expect(answer.body).toEqual({ isValid: true, payer: broke.address });
  });

  it('refuses value ≠ amount (compared as strings) before looking at the signature', async () => {
    const request = await body(await stack.payer(), { amount: '500' });
    request.paymentRequirements = requirements('501');
    expect((await postJson(`${go.url}/verify`, request, auth)).body).toEqual({
      isValid: false,
      invalidReason: GO_REASONS.amountMismatch,
      invalidMessage: 'authorization.value=500 requirements.amount=501',
    });
  });

  it.each<[string, string, RegExp, Parameters<typeof body>[1]]>([
    [
      'expired',
      GO_REASONS.payloadExpired,
      /^validBefore=\d+ < now=\d+$/,
      { now: nowSeconds() - 600 },
    ],
    // validBefore = now + 120 − 117: three seconds left, under Go's six.
    [
      'less than 6 s left',
      GO_REASONS.insufficientTime,
      /^less than 6s to settle$/,
      { now: nowSeconds() - 117 },
    ],
    [
      'not yet valid',
      GO_REASONS.notYetValid,
      /^validAfter=\d+ > now=\d+$/,
      { now: nowSeconds() + 3600 },
    ],
    [
      'a tampered signature',
      GO_REASONS.invalidSignature,
      /^signature verification failed$/,
      {
        edit: (p) => {
          const payload = p.payload as { signature: string };
          const last = payload.signature.slice(-2) === '00' ? '01' : '00';
          return {
            ...p,
            payload: { ...payload, signature: payload.signature.slice(0, -2) + last },
          };
        },
      },
    ],
  ])('refuses %s with %s', async (_, reason, message, options) => {
    const answer = await postJson(
      `${go.url}/verify`,
      await body(await stack.payer(), options),
      auth,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      isValid: false,
      invalidReason: reason,
      invalidMessage: expect.stringMatching(message),
    });
  });

  it('refuses missing extra.name with no message, and routing and version errors with upstream reasons', async () => {
    const payer = await stack.payer();
    const noName = await body(payer);
    noName.paymentRequirements = {
      ...noName.paymentRequirements,
      extra: { version: '1' } as never,
    };
    expect((await postJson(`${go.url}/verify`, noName, auth)).body).toEqual({
      isValid: false,
      invalidReason: GO_REASONS.missingTokenName,
    });
    const otherNetwork = await body(payer);
    otherNetwork.paymentRequirements = {
      ...otherNetwork.paymentRequirements,
      network: 'casper:casper-test',
    };
    expect((await postJson(`${go.url}/verify`, otherNetwork, auth)).body).toMatchObject({
      isValid: false,
      invalidReason: GO_REASONS.noFacilitatorForNetwork,
    });
    const noVersion = await body(payer);
    const { x402Version: _, ...unversioned } = noVersion.paymentPayload;
    expect(
      (await postJson(`${go.url}/verify`, { ...noVersion, paymentPayload: unversioned }, auth))
        .body,
    ).toMatchObject({ isValid: false, invalidReason: GO_REASONS.invalidVersion });
  });
});

describe('Go facilitator emulator: /settle on the devnet', () => {
  it('settles with a TransactionV1 in the Go layout, and the tokens move', async () => {
    const payer = await stack.payer();
    const [payerBefore, merchantBefore] = [
      await stack.balance(payer.address),
      await stack.balance(stack.merchant),
    ];
    const answer = await postJson(`${go.url}/settle`, await body(payer, { amount: '700' }), auth);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      success: true,
      payer: payer.address,
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
      network: stack.devnet.network,
    });
    expect(Object.keys(answer.body)).toEqual(['success', 'payer', 'transaction', 'network']);
    const hash = answer.body.transaction as string;
    expect(await executionOf(stack.devnet.rpcUrl, hash)).toMatchObject({ error_message: null });
    expect([await stack.balance(payer.address), await stack.balance(stack.merchant)]).toEqual([
      payerBefore - 700n,
      merchantBefore + 700n,
    ]);

    const info = await rpcResult(stack.devnet.rpcUrl, 'info_get_transaction', {
      transaction_hash: { Version1: hash },
    });
    const v1 = (info.transaction as { Version1: { payload: V1Payload } }).Version1;
    expect(v1.payload.initiator_addr).toEqual({ PublicKey: stack.goFeePayer.publicKey.hex });
    expect(v1.payload.chain_name).toBe(stack.devnet.chainName);
    expect(v1.payload.ttl).toBe('15m');
    expect(v1.payload.pricing_mode).toEqual({
      PaymentLimited: {
        gas_price_tolerance: 1,
        payment_amount: GO_PAYMENT_MOTES,
        standard_payment: true,
      },
    });
    expect(v1.payload.fields.entry_point).toEqual({ Custom: 'transfer_with_authorization' });
    expect(v1.payload.fields.target.Stored.id.ByPackageHash.addr).toBe(stack.token.packageHash);
    const args = Object.fromEntries(
      v1.payload.fields.args.Named.map(([name, value]) => [name, value.cl_type]),
    );
    expect(args).toEqual({
      from: 'Key',
      to: 'Key',
      amount: 'U256',
      valid_after: 'U256',
      valid_before: 'U256',
      nonce: { List: 'U8' },
      public_key: 'PublicKey',
      signature: { List: 'U8' },
    });
  });

  it('keeps no ledger: settling the same authorization again pays gas and reverts on chain (the proof of concept code 1)', async () => {
    const payer = await stack.payer();
    const request = await body(payer);
    expect((await postJson(`${go.url}/settle`, request, auth)).body).toMatchObject({
      success: true,
    });
    const again = await postJson(`${go.url}/settle`, request, auth);
    expect(again.body).toEqual({
      success: false,
      errorReason: GO_REASONS.waitDeployFailed,
      errorMessage: 'transaction execution failed: User error: 1',
      payer: payer.address,
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
      network: stack.devnet.network,
    });
  });

  it('spends gas on a payer without tokens: wait_deploy_failed with the chain error (60001)', async () => {
    const broke = await stack.payer(0n);
    const answer = await postJson(`${go.url}/settle`, await body(broke), auth);
    expect(answer.body).toMatchObject({
      success: false,
      errorReason: GO_REASONS.waitDeployFailed,
      errorMessage: 'transaction execution failed: User error: 60001',
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('a payment that fails verification: verification_failed with the verify message, transaction "", no payer', async () => {
    const payer = await stack.payer();
    const answer = await postJson(
      `${go.url}/settle`,
      await body(payer, { now: nowSeconds() - 600 }),
      auth,
    );
    expect(answer.body).toEqual({
      success: false,
      errorReason: GO_REASONS.verificationFailed,
      errorMessage: expect.stringMatching(/^validBefore=\d+ < now=\d+$/),
      transaction: '',
      network: stack.devnet.network,
    });
    expect(Object.keys(answer.body)).toEqual([
      'success',
      'errorReason',
      'errorMessage',
      'transaction',
      'network',
    ]);
    const omitting = await postJson(
      `${goOmitting.url}/settle`,
      await body(payer, { now: nowSeconds() - 600 }),
      auth,
    );
    expect(omitting.body).not.toHaveProperty('transaction');
    expect(omitting.body).toMatchObject({ success: false, network: stack.devnet.network });
  });

  it('failNextSettle forces one failure answer without touching the chain', async () => {
    const payer = await stack.payer();
    go.failNextSettle(GO_REASONS.buildDeployFailed, 'invalid amount');
    const before = go.submitted.length;
    const answer = await postJson(`${go.url}/settle`, await body(payer), auth);
    expect(answer.body).toEqual({
      success: false,
      errorReason: GO_REASONS.buildDeployFailed,
      errorMessage: 'invalid amount',
      payer: payer.address,
      transaction: '',
      network: stack.devnet.network,
    });
    expect(go.submitted.length).toBe(before);
  });
});

// ---- our paywall charging through the Go facilitator -------------------------------------

const PRICE = '1.25'; // 125 atomic units of the 2-decimal token

async function paywallSite(facilitator: FacilitatorOptions): Promise<string> {
  const app: FastifyInstance = Fastify();
  await app.register(x402Paywall, {
    facilitator,
    network: stack.devnet.network,
    payTo: stack.merchant,
    asset: {
      packageHash: stack.token.packageHash,
      name: GO_TOKEN.domainName,
      version: '1',
      decimals: GO_TOKEN.decimals,
      symbol: GO_TOKEN.symbol,
    },
  });
  app.get(
    '/report',
    {
      config: {
        x402: { price: PRICE, description: 'A paid report', mimeType: 'application/json' },
      },
    },
    async () => ({ report: 'paid content' }),
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  return url;
}

/** A facilitator at `url` sent `authorization` as it is (a CSPR.cloud access token, no Bearer). */
const withAuthorization = (url: string, authorization: string): FacilitatorOptions => ({
  url,
  authorization,
  settleTimeoutMs: 30_000,
});

const payingFetch = (payer: { secretKey: Parameters<typeof secretKeySigner>[0] }) =>
  fetchWithPayment(fetch, secretKeySigner(payer.secretKey), {
    maxAmount: '10',
    decimalsOf: decimalsFromChain(stack.devnet.rpcUrl),
  });

describe('our paywall → Go facilitator (bare access token) → devnet', () => {
  it('charges a paid request: 200, successful receipt, tokens moved on chain', async () => {
    const site = await paywallSite(withAuthorization(go.url, TOKEN));
    const payer = await stack.payer();
    const merchantBefore = await stack.balance(stack.merchant);
    const response = await payingFetch(payer)(`${site}/report`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ report: 'paid content' });
    const receipt = paymentReceiptOf(response);
    expect(receipt).toMatchObject({
      success: true,
      payer: payer.address,
      network: stack.devnet.network,
    });
    expect(await executionOf(stack.devnet.rpcUrl, receipt!.transaction)).toMatchObject({
      error_message: null,
    });
    expect(await stack.balance(stack.merchant)).toBe(merchantBefore + 125n);
    expect(await stack.balance(payer.address)).toBe(1_000_000n - 125n);
    // Every call carried the token verbatim.
    const calls = go.requests.filter((r) => r.path !== '/health').slice(-3);
    expect(calls.map((r) => [r.method, r.path, r.authorization])).toEqual([
      ['GET', '/supported', TOKEN],
      ['POST', '/verify', TOKEN],
      ['POST', '/settle', TOKEN],
    ]);
  });

  it.each([
    ['null', () => goNullSupported],
    ['absent (the kinds-only shape CSPR.cloud documents)', () => goKindsOnly],
  ])("reads Go's /supported with extensions and signers %s", async (_, facilitator) => {
    const site = await paywallSite(withAuthorization(facilitator().url, TOKEN));
    const response = await payingFetch(await stack.payer())(`${site}/report`);
    expect(response.status).toBe(200);
    expect(paymentReceiptOf(response)).toMatchObject({ success: true });
  });

  it.each([
    ['invalid_exact_casper_build_deploy_failed', 'invalid amount', go],
    ['verification_failed', 'validBefore=1 < now=2', go],
    ['invalid_exact_casper_put_deploy_failed', 'PutTransaction RPC failed: node down', goOmitting],
  ] as const)(
    'a forced Go settle failure (%s) gives the visitor a 402 saying why, not a 5xx',
    async (reason, message, facilitator) => {
      const target = facilitator === go ? go : goOmitting;
      const site = await paywallSite(withAuthorization(target.url, TOKEN));
      const payer = await stack.payer();
      const merchantBefore = await stack.balance(stack.merchant);
      target.failNextSettle(reason, message);
      const response = await payingFetch(payer)(`${site}/report`);
      expect(response.status).toBe(402);
      const required = decodePaymentRequired(response.headers.get('PAYMENT-REQUIRED'));
      expect(required.error).toContain(reason);
      expect(required.error).toContain(message);
      const receipt = decodePaymentResponse(response.headers.get('PAYMENT-RESPONSE'));
      expect(receipt).toMatchObject({ success: false, errorReason: reason });
      expect(await stack.balance(stack.merchant)).toBe(merchantBefore);
    },
  );

  it('a Go verify refusal with its own reason code is a 402 naming it', async () => {
    const site = await paywallSite(withAuthorization(go.url, TOKEN));
    go.failNextVerify(GO_REASONS.insufficientTime, 'less than 6s to settle');
    const response = await payingFetch(await stack.payer())(`${site}/report`);
    expect(response.status).toBe(402);
    expect(decodePaymentRequired(response.headers.get('PAYMENT-REQUIRED')).error).toContain(
      GO_REASONS.insufficientTime,
    );
  });

  it.each<[string, FacilitatorOptions]>([
    ['without a token', { url: '' }],
    ['with a wrong token', withAuthorization('', 'wrong-token')],
    ['with the token sent as Bearer (apiKey)', { url: '', apiKey: TOKEN }],
  ])(
    '%s: Go answers 401, the visitor gets 502/503 with a clear message and nothing moves',
    async (_, options) => {
      const site = await paywallSite({ ...options, url: go.url });
      const merchantBefore = await stack.balance(stack.merchant);
      const response = await payingFetch(await stack.payer())(`${site}/report`);
      // The very first call (/supported) is refused before any payment is asked for.
      expect([502, 503]).toContain(response.status);
      const text = await response.text();
      expect(text).toMatch(/401|unauthori[sz]ed|access token|authori[sz]ation/i);
      expect(await stack.balance(stack.merchant)).toBe(merchantBefore);
    },
  );
});
