// The paywall against facilitators other than ours (the Go reference CSPR.cloud runs,
// @x402/casper) and its options for them: access tokens, extra headers, the default token.
import {
  decodePaymentRequired,
  decodePaymentResponse,
  fetchWithPayment,
  type PaymentPayload,
  type PaymentRequired,
  paymentReceiptOf,
  secretKeyFromHex,
  secretKeySigner,
  X402InputError,
} from '@x402-casper/shared';
import { startStubFacilitator } from '@x402-casper/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FacilitatorClient,
  type FacilitatorOptions,
  type PaywallOptions,
  paywallPage,
  x402Paywall,
} from '../src/index.js';

const payer = secretKeySigner(secretKeyFromHex('ed25519', '0b'.repeat(32)));
const payTo = '00aecb045411527ca0eeb648bb6c531ea74b317c1f2d0a698b1cc48850ea3872d6';
const asset = {
  packageHash: '5c1a7b2e9d40f3a6c8e1b7d2f0a9c4e3b6d8f1a2c5e7b9d0f3a6c8e1b4d7f2a9',
  name: 'Casper x402 Token',
  version: '1',
  decimals: 6,
  symbol: 'CX402',
};
const CSPRUSD_TESTNET = '0cb6f94834c60510d532b0ae077b18b4100874a4c867396d61c2b13c790ead52';
const CSPRUSD_MAINNET = '23036be872bd574590a2c43d4a4eff76b18b4bca815790742841002fdab22cee';

let facilitator: Awaited<ReturnType<typeof startStubFacilitator>>;
const sites: FastifyInstance[] = [];
let handled = 0;

/** A site with one paid route, `GET /paid` at `price`, and `overrides` on top of the defaults. */
async function site(overrides: Partial<PaywallOptions> = {}, price = '0.01'): Promise<string> {
  const app = Fastify();
  await app.register(x402Paywall, {
    facilitator: { url: facilitator.url, apiKey: 'test-key', timeoutMs: 2000 },
    network: 'casper:casper-test',
    payTo,
    asset,
    supportedCacheMs: 0,
    ...overrides,
  });
  app.get('/paid', { config: { x402: { price } } }, async () => {
    handled++;
    return { paid: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  sites.push(app);
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/paid`;
}

/**
 * What registering a paywall with `overrides` (and a route at `price`, when given) throws, as
 * an X402InputError.
 */
async function startupError(
  overrides: Partial<PaywallOptions>,
  price?: string,
): Promise<X402InputError> {
  const app = Fastify();
  app.register(x402Paywall, {
    facilitator: { url: facilitator.url },
    network: 'casper:casper-test',
    payTo,
    asset,
    ...overrides,
  } as PaywallOptions);
  if (price !== undefined) {
    app.register(async (scope) => {
      scope.get('/priced', { config: { x402: { price } } }, async () => 'content');
    });
  }
  try {
    await app.ready();
  } catch (error) {
    if (error instanceof X402InputError) return error;
    throw error;
  } finally {
    await app.close();
  }
  throw new Error('the paywall started');
}

const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;
// The payer knows the token's decimals (the stub facilitator has no chain to read them from).
const pay = () =>
  fetchWithPayment(fetch, payer, { maxAmount: '1', decimalsOf: () => asset.decimals });

let url: string;

beforeAll(async () => {
  facilitator = await startStubFacilitator();
  url = await site();
});

afterAll(async () => {
  for (const app of sites) await app.close();
  await facilitator.close();
});

beforeEach(() => {
  Object.assign(facilitator.state, {
    mode: 'success',
    verifyAnswer: undefined,
    verifyStatus: 200,
    settleAnswer: undefined,
    supportedAnswer: undefined,
    authorization: 'Bearer test-key',
  });
  facilitator.calls.verify = 0;
  facilitator.calls.settle = 0;
  handled = 0;
});

describe('answers of other facilitators', () => {
  it('takes a Go /supported answer with only kinds (extensions and signers left out or null)', async () => {
    for (const answer of [
      { kinds: [{ x402Version: 2, scheme: 'exact', network: 'casper:casper-test' }] },
      {
        kinds: [
          {
            x402Version: 2,
            scheme: 'exact',
            network: 'casper:casper-test',
            extra: { feePayer: `00${'ab'.repeat(32)}` },
          },
        ],
        extensions: null,
        signers: null,
      },
    ]) {
      facilitator.state.supportedAnswer = answer;
      const response = await pay()(url);
      expect(response.status).toBe(200);
    }
  });

  it('answers 402 with a clear sentence, not 502, for a reason it does not know', async () => {
    facilitator.state.verifyAnswer = {
      isValid: false,
      invalidReason: 'invalid_exact_casper_quantum_flux',
      invalidMessage: 'flux capacitor drained',
    };
    const response = await pay()(url);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toBe(
      'invalid_exact_casper_quantum_flux: The facilitator refused the payment for a reason this server does not know. (flux capacitor drained)',
    );
    expect(handled).toBe(0);
  });

  it.each([
    [
      'invalid_exact_casper_facilitator_expired',
      'invalid_exact_casper_facilitator_expired: The authorization has expired, or expires before the time the site allows for payment. (validBefore=1 now=2)',
      'validBefore=1 now=2',
    ],
    [
      'invalid_exact_casper_insufficient_time_to_settle',
      'invalid_exact_casper_insufficient_time_to_settle: The authorization expires too soon to be settled. (less than 6s to settle)',
      'less than 6s to settle',
    ],
    [
      'invalid_exact_casper_payto_mismatch',
      'invalid_exact_casper_payto_mismatch: The authorization pays someone other than the payee.',
      undefined,
    ],
  ])('says what %s means in the 402', async (invalidReason, text, invalidMessage) => {
    facilitator.state.verifyAnswer = {
      isValid: false,
      invalidReason,
      ...(invalidMessage ? { invalidMessage } : {}),
    };
    const response = await pay()(url);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toBe(text);
  });

  it('says so when the facilitator gives no reason, or free text in place of one', async () => {
    facilitator.state.verifyAnswer = { isValid: false, invalidReason: null, payer: null };
    let response = await pay()(url);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toBe(
      'The facilitator refused the payment without giving a reason.',
    );
    facilitator.state.verifyAnswer = {
      isValid: false,
      invalidReason: 'Balance too low!\r\nX-Injected: 1',
    };
    response = await pay()(url);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toBe(
      'The facilitator refused the payment for a reason this server does not know. (Balance too low! X-Injected: 1)',
    );
  });

  it('takes a Go settlement failure without transaction or network: 402, reason, receipt', async () => {
    facilitator.state.settleAnswer = {
      success: false,
      errorReason: 'invalid_exact_casper_build_deploy_failed',
      errorMessage: 'invalid amount',
      payer: `00${'ab'.repeat(32)}`,
    };
    const response = await pay()(url);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toBe(
      'settlement failed: invalid_exact_casper_build_deploy_failed: The facilitator could not build the settlement transaction. (invalid amount)',
    );
    expect(paymentReceiptOf(response)).toEqual({
      success: false,
      errorReason: 'invalid_exact_casper_build_deploy_failed',
      errorMessage: 'invalid amount',
      payer: `00${'ab'.repeat(32)}`,
      transaction: '',
      network: 'casper:casper-test',
    });
    expect(handled).toBe(1);
  });

  it('says what the Go short names mean too (verification_failed, sign_deploy_failed)', async () => {
    facilitator.state.settleAnswer = { success: false, errorReason: 'verification_failed' };
    let response = await pay()(url);
    expect(await errorOf(response)).toBe(
      'settlement failed: verification_failed: The payment did not pass verification when the facilitator came to settle it.',
    );
    facilitator.state.settleAnswer = {
      success: false,
      errorReason: 'invalid_exact_casper_sign_deploy_failed',
      transaction: '',
      network: 'casper:casper-test',
    };
    response = await pay()(url);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toMatch(
      /^settlement failed: invalid_exact_casper_sign_deploy_failed: The facilitator could not sign/,
    );
  });

  it('takes a success that names its transaction but not its network as on the paid network', async () => {
    facilitator.state.settleAnswer = { success: true, transaction: 'cd'.repeat(32) };
    const response = await pay()(url);
    expect(response.status).toBe(200);
    expect(decodePaymentResponse(response.headers.get('payment-response'))).toEqual({
      success: true,
      transaction: 'cd'.repeat(32),
      network: 'casper:casper-test',
    });
  });

  it('still answers 502 for a "success" that names no transaction, and serves nothing', async () => {
    facilitator.state.settleAnswer = { success: true, network: 'casper:casper-test' };
    const response = await pay()(url);
    expect(response.status).toBe(502);
    expect(await errorOf(response)).toMatch(/body\.transaction/);
    expect(response.headers.get('payment-response')).toBeNull();
  });

  it('reads the reason of a /verify refused with HTTP 400 in x402 form', async () => {
    facilitator.state.verifyStatus = 400;
    facilitator.state.verifyErrorBody = {
      isValid: false,
      invalidReason: 'invalid_v2_payload',
      invalidMessage: 'json: cannot unmarshal',
    };
    const response = await pay()(url);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toBe(
      'invalid_v2_payload: The payment payload is malformed. (json: cannot unmarshal)',
    );
  });

  it('answers 402, not 502, when /settle is refused as malformed (HTTP 400)', async () => {
    facilitator.state.mode = 'http-400';
    const response = await pay()(url);
    expect(response.status).toBe(402);
    expect(await errorOf(response)).toMatch(/^settlement failed: the facilitator refused it: /);
    expect(decodePaymentRequired(response.headers.get('payment-required')).accepts).toHaveLength(1);
  });

  it('answers 502 saying so when the facilitator refuses our credentials', async () => {
    facilitator.state.authorization = 'Bearer another-key';
    const response = await pay()(url);
    expect(response.status).toBe(502);
    expect(await errorOf(response)).toMatch(/refused our credentials \(HTTP 401\)/);
  });
});

describe('facilitator credentials and headers', () => {
  it('sends authorization verbatim, as a CSPR.cloud access token is sent', async () => {
    const tokenUrl = await site({
      facilitator: { url: facilitator.url, authorization: 'cspr-cloud-token-123' },
    });
    facilitator.state.authorization = 'cspr-cloud-token-123';
    const response = await pay()(tokenUrl);
    expect(response.status).toBe(200);
    expect(facilitator.state.lastHeaders.authorization).toBe('cspr-cloud-token-123');
  });

  it('sends extra headers on every call, with apiKey as Bearer', async () => {
    const headersUrl = await site({
      facilitator: {
        url: facilitator.url,
        apiKey: 'test-key',
        headers: { 'X-Tenant': 'shop-1', accept: 'application/json' },
      },
    });
    const response = await pay()(headersUrl);
    expect(response.status).toBe(200);
    expect(facilitator.state.lastHeaders).toMatchObject({
      authorization: 'Bearer test-key',
      'x-tenant': 'shop-1',
      accept: 'application/json',
    });
  });

  it('takes the Authorization header from headers when neither option sets it', async () => {
    const headerUrl = await site({
      facilitator: { url: facilitator.url, headers: { Authorization: 'raw-token' } },
    });
    facilitator.state.authorization = 'raw-token';
    expect((await pay()(headerUrl)).status).toBe(200);
  });

  it('treats an empty apiKey or authorization (an unset variable) as none', async () => {
    const noKeyUrl = await site({
      facilitator: { url: facilitator.url, apiKey: '', authorization: '' },
    });
    facilitator.state.authorization = undefined as unknown as string;
    expect((await pay()(noKeyUrl)).status).toBe(200);
    expect(facilitator.state.lastHeaders.authorization).toBeUndefined();
  });

  it.each<[string, FacilitatorOptions, RegExp]>([
    [
      'paywall.facilitator.authorization',
      { url: 'http://127.0.0.1:9', authorization: 'token', apiKey: 'key' },
      /not both/,
    ],
    [
      'paywall.facilitator.authorization',
      { url: 'http://127.0.0.1:9', authorization: 'a\r\nb' },
      /line breaks/,
    ],
    ['paywall.facilitator.apiKey', { url: 'http://127.0.0.1:9', apiKey: 'key\n' }, /line breaks/],
    [
      'paywall.facilitator.apiKey',
      { url: 'http://127.0.0.1:9', apiKey: 42 as unknown as string },
      /must be a string/,
    ],
    [
      'paywall.facilitator.headers.X-Tenant',
      { url: 'http://127.0.0.1:9', headers: { 'X-Tenant': 'a\rb' } },
      /line breaks/,
    ],
    [
      'paywall.facilitator.headers.X-Zero',
      { url: 'http://127.0.0.1:9', headers: { 'X-Zero': 'a\0b' } },
      /NUL/,
    ],
    [
      'paywall.facilitator.headers.bad name',
      { url: 'http://127.0.0.1:9', headers: { 'bad name': 'x' } },
      /not a valid HTTP header name/,
    ],
    [
      'paywall.facilitator.headers.x:y',
      { url: 'http://127.0.0.1:9', headers: { 'x:y': 'x' } },
      /not a valid HTTP header name/,
    ],
    [
      'paywall.facilitator.headers.',
      { url: 'http://127.0.0.1:9', headers: { '': 'x' } },
      /not a valid HTTP header name/,
    ],
    [
      'paywall.facilitator.headers.x-tenant',
      { url: 'http://127.0.0.1:9', headers: { 'X-Tenant': 'a', 'x-tenant': 'b' } },
      /twice/,
    ],
    [
      'paywall.facilitator.headers.Authorization',
      { url: 'http://127.0.0.1:9', apiKey: 'key', headers: { Authorization: 'x' } },
      /once/,
    ],
    [
      'paywall.facilitator.headers.Content-Type',
      { url: 'http://127.0.0.1:9', headers: { 'Content-Type': 'text/plain' } },
      /set by the client/,
    ],
    [
      'paywall.facilitator.headers.X-Number',
      { url: 'http://127.0.0.1:9', headers: { 'X-Number': 1 as unknown as string } },
      /must be a string/,
    ],
    [
      'paywall.facilitator.headers',
      { url: 'http://127.0.0.1:9', headers: 'x-a: b' as unknown as Record<string, string> },
      /object/,
    ],
    ['paywall.facilitator.url', { url: 'ftp://127.0.0.1:9' }, /http\(s\) URL/],
    ['paywall.facilitator.url', { url: 'not a url' }, /http\(s\) URL/],
  ])('refuses at start-up, naming %s', async (field, options, reason) => {
    const error = await startupError({ facilitator: options });
    expect(error.field).toBe(field);
    expect(error.reason).toMatch(reason);
  });

  it('checks options the same way when the client is built on its own', () => {
    expect(() => new FacilitatorClient({ url: 'http://127.0.0.1:9', apiKey: 'a\nb' })).toThrow(
      /^facilitator\.apiKey: /,
    );
    expect(
      () => new FacilitatorClient({ url: 'http://127.0.0.1:9', apiKey: 'k', authorization: 't' }),
    ).toThrow(/^facilitator\.authorization: /);
  });
});

describe('the token a paywall charges in', () => {
  const acceptsOf = async (target: string) =>
    decodePaymentRequired((await fetch(target)).headers.get('payment-required')).accepts;

  it.each([
    ['casper:casper-test', CSPRUSD_TESTNET],
    ['casper:casper', CSPRUSD_MAINNET],
  ])('defaults to csprUSD on %s when no asset is named', async (network, packageHash) => {
    const target = await site({ network, asset: undefined });
    expect(await acceptsOf(target)).toEqual([
      {
        scheme: 'exact',
        network,
        amount: '10000',
        asset: packageHash,
        payTo,
        maxTimeoutSeconds: 300,
        extra: { name: 'csprUSD', version: '1', decimals: 6, symbol: 'csprUSD' },
      },
    ]);
  });

  it('is paid end to end in csprUSD on testnet without naming it', async () => {
    const target = await site({ asset: undefined });
    const response = await pay()(target);
    expect(response.status).toBe(200);
    expect(paymentReceiptOf(response)).toMatchObject({ success: true });
  });

  it.each([
    ['casper:casper-test', CSPRUSD_TESTNET, undefined],
    ['casper:casper', CSPRUSD_MAINNET, undefined],
    [
      'casper:casper (csprUSD named)',
      CSPRUSD_MAINNET,
      { packageHash: CSPRUSD_MAINNET.toUpperCase(), name: 'csprUSD', decimals: 6 },
    ],
  ])('prices "$0.01" in csprUSD on %s: 10000 units', async (label, packageHash, named) => {
    const network = label.split(' ')[0]!;
    const target = await site({ network, asset: named }, '$0.01');
    expect(await acceptsOf(target)).toMatchObject([
      { network, amount: '10000', asset: packageHash, extra: { name: 'csprUSD', decimals: 6 } },
    ]);
  });

  it('is paid end to end at "$0.01" in csprUSD on testnet without naming a token', async () => {
    const target = await site({ asset: undefined }, '$0.01');
    let paid: PaymentPayload | undefined;
    const paying = fetchWithPayment(
      fetch,
      payer,
      { maxAmount: '0.01' },
      { onPayment: (event) => (paid = event.payload) },
    );
    const response = await paying(target);
    expect(response.status).toBe(200);
    expect(paymentReceiptOf(response)).toMatchObject({ success: true });
    expect(paid?.accepted).toMatchObject({ amount: '10000', asset: CSPRUSD_TESTNET });
    expect(facilitator.calls.settle).toBe(1);
  });

  it.each([
    [
      'a token that is not a dollar stablecoin',
      {},
      '$0.01',
      /is in dollars, but the paywall's asset \(CX402\)/,
    ],
    [
      'more decimals than csprUSD has',
      { asset: undefined },
      '$0.0000001',
      /more than 6 decimal places/,
    ],
    ['a sign after the dollar', { asset: undefined }, '$-1', /plain decimal number/],
    [
      "csprUSD's testnet package named on another network",
      {
        network: 'casper:casper-net-1',
        asset: { packageHash: CSPRUSD_TESTNET, name: 'csprUSD', decimals: 6, symbol: 'csprUSD' },
      },
      '$1',
      /is in dollars, but the paywall's asset \(csprUSD\) is not a dollar stablecoin it knows on casper:casper-net-1/,
    ],
  ])(
    'refuses a dollar price for %s at start-up, naming the route field',
    async (_, overrides, price, reason) => {
      const error = await startupError(overrides, price);
      expect(error.field).toBe('GET /priced config.x402.price');
      expect(error.reason).toMatch(reason);
    },
  );

  it('must be named on other networks', async () => {
    const error = await startupError({ network: 'casper:casper-net-1', asset: undefined });
    expect(error.field).toBe('paywall.asset');
    expect(error.reason).toMatch(/required on casper:casper-net-1/);
  });

  it('puts the signing-domain name, not the CEP-18 name, in extra.name', async () => {
    const target = await site({ asset: { ...asset, domainName: 'Cep18x402' } });
    expect((await acceptsOf(target))[0]!.extra).toEqual({
      name: 'Cep18x402',
      version: '1',
      decimals: 6,
      symbol: 'CX402',
    });
    const response = await pay()(target);
    expect(response.status).toBe(200);
    const error = await startupError({ asset: { ...asset, domainName: '' } });
    expect(error.field).toBe('paywall.asset.domainName');
  });
});

describe('the paywall page', () => {
  it('shows an amount whose decimals came as a string, as the Go reference sends them', () => {
    const required: PaymentRequired = {
      x402Version: 2,
      resource: { url: 'https://shop.example/weather' },
      accepts: [
        {
          scheme: 'exact',
          network: 'casper:casper-test',
          amount: '12345',
          asset: asset.packageHash,
          payTo,
          maxTimeoutSeconds: 300,
          extra: { name: 'Cep18x402', version: '1', decimals: '2', symbol: 'X402' },
        },
      ],
    };
    expect(paywallPage(required)).toContain('123.45 X402');
    required.accepts[0]!.extra!.decimals = '2.5';
    expect(paywallPage(required)).toContain('12345 X402');
  });
});
