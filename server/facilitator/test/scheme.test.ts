// Stock x402 packages, unchanged, with our Casper schemes: @x402/fetch pays, @x402/express
// and @x402/hono charge, and settlement runs through our facilitator (HTTP) or through @x402/core's
// x402Facilitator with our facilitator scheme, on a real devnet over JSON-RPC.
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { x402Facilitator } from '@x402/core/facilitator';
import { HTTPFacilitatorClient } from '@x402/core/http';
import { x402ResourceServer } from '@x402/core/server';
import type {
  SchemeNetworkClient,
  SchemeNetworkFacilitator,
  SchemeNetworkServer,
} from '@x402/core/types';
import { paymentMiddleware } from '@x402/express';
import { decodePaymentResponseHeader, wrapFetchWithPayment, x402Client } from '@x402/fetch';
import { paymentMiddleware as honoPaymentMiddleware } from '@x402/hono';
import { type Devnet, devAccount, startDevnet } from '@x402-casper/devnet';
import {
  addressOfPublicKey,
  createPaymentPayload,
  decodePaymentRequired,
  ExactCasperClientScheme,
  ExactCasperServerScheme,
  encodePaymentSignature,
  generateSecretKey,
  type PaymentRequirements,
  type SecretKey,
  secretKeySigner,
} from '@x402-casper/shared';
import {
  executionOf,
  postJson,
  rawConfig,
  rpcResult,
  tempDir,
  tokenBalance,
} from '@x402-casper/testing';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExactCasperFacilitatorScheme,
  type Facilitator,
  parseConfig,
  startFacilitator,
} from '../src/index.js';

const API_KEY = 'ecosystem-interop-key-0123456789';
const dir = tempDir('ecosystem');
const feePayer = devAccount('facilitator');
const merchant = addressOfPublicKey(devAccount('merchant').publicKey);
const alice = devAccount('alice');
const bob = devAccount('bob');
const PRICE = '0.25';
const ATOMIC = 250_000n; // 0.25 of a 6-decimal token

let devnet: Devnet;
let httpFacilitator: Facilitator & { url: string };
let schemeFacilitator: ExactCasperFacilitatorScheme;
const servers: Array<{ close(done: () => void): void }> = [];

async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve).once('error', reject);
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function facilitatorConfig(database: string) {
  const token = devnet.tokens[0]!;
  return parseConfig(
    rawConfig({
      database: join(dir, database),
      network: devnet.network,
      rpcUrl: devnet.rpcUrl,
      feePayer: feePayer.secretKey,
      assets: [
        { packageHash: token.packageHash, domainName: token.domainName, decimals: token.decimals },
      ],
      apiKeys: [API_KEY],
      extra: { pollIntervalMs: 25, settleTimeoutMs: 20_000 },
    }),
  );
}

/** A stock x402ResourceServer with our server scheme, settling through `facilitatorUrl`. */
function resourceServerFor(facilitatorUrl: string): x402ResourceServer {
  const token = devnet.tokens[0]!;
  const auth = { Authorization: `Bearer ${API_KEY}` };
  return new x402ResourceServer(
    new HTTPFacilitatorClient({
      url: facilitatorUrl,
      createAuthHeaders: async () => ({ verify: auth, settle: auth, supported: auth }),
    }),
  ).register(
    devnet.network as `${string}:${string}`,
    new ExactCasperServerScheme({
      assets: [
        {
          packageHash: token.packageHash,
          name: token.name,
          decimals: token.decimals,
          symbol: token.symbol,
        },
      ],
    }),
  );
}

/** The routes every stock site charges PRICE for. */
function paidRoutes() {
  const route = (description: string) => ({
    accepts: {
      scheme: 'exact',
      network: devnet.network as `${string}:${string}`,
      payTo: merchant,
      price: PRICE,
    },
    description,
    mimeType: 'application/json',
  });
  return { 'GET /weather': route('Weather for one city'), 'GET /forecast': route('Next week') };
}

/**
 * A site on stock @x402/express charging PRICE for GET /weather and GET /forecast, settling
 * through `facilitatorUrl`.
 */
async function startSite(facilitatorUrl: string): Promise<string> {
  const app = express();
  app.use(paymentMiddleware(paidRoutes(), resourceServerFor(facilitatorUrl)));
  app.get('/weather', (_req, res) => {
    res.json({ city: 'Zug', forecast: 'sunny' });
  });
  app.get('/forecast', (_req, res) => {
    res.json({ city: 'Zug', week: 'sunny' });
  });
  return listen(app);
}

/** The same site on stock @x402/hono, served by @hono/node-server. */
async function startHonoSite(facilitatorUrl: string): Promise<string> {
  const app = new Hono();
  app.use(honoPaymentMiddleware(paidRoutes(), resourceServerFor(facilitatorUrl)));
  app.get('/weather', (c) => c.json({ city: 'Zug', forecast: 'sunny' }));
  app.get('/forecast', (c) => c.json({ city: 'Zug', week: 'sunny' }));
  const port = await new Promise<number>((resolve) => {
    servers.push(
      serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port)),
    );
  });
  return `http://127.0.0.1:${port}`;
}

/** Stock @x402/fetch with our client scheme; `cap` is the spend cap in atomic units. */
function payingFetch(payer: SecretKey, cap: string, seen: Request[] = []) {
  const token = devnet.tokens[0]!;
  const network = devnet.network as `${string}:${string}`;
  const client = new x402Client()
    .register(network, new ExactCasperClientScheme(secretKeySigner(payer)))
    .setSpendControls({
      allowedAssets: [{ network, asset: token.packageHash, maxAmountPerPayment: cap }],
    });
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    seen.push(request.clone());
    return fetch(request);
  };
  return wrapFetchWithPayment(recording, client);
}

async function balances(...addresses: string[]): Promise<bigint[]> {
  const token = devnet.tokens[0]!;
  return Promise.all(addresses.map((a) => tokenBalance(devnet, token, a)));
}

let siteViaHttpFacilitator: string;
let siteViaSchemeFacilitator: string;
let honoSite: string;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 100 });
  httpFacilitator = await startFacilitator(facilitatorConfig('http-ledger.sqlite'));
  siteViaHttpFacilitator = await startSite(httpFacilitator.url);
  honoSite = await startHonoSite(httpFacilitator.url);

  // A facilitator built from stock @x402/core and our facilitator scheme, served over HTTP.
  schemeFacilitator = new ExactCasperFacilitatorScheme(facilitatorConfig('scheme-ledger.sqlite'));
  const stock = new x402Facilitator().register(schemeFacilitator.networks, schemeFacilitator);
  const app = express();
  app.use(express.json());
  app.get('/supported', (_req, res) => {
    res.json(stock.getSupported());
  });
  app.post('/verify', async (req, res) => {
    res.json(await stock.verify(req.body.paymentPayload, req.body.paymentRequirements));
  });
  app.post('/settle', async (req, res) => {
    res.json(await stock.settle(req.body.paymentPayload, req.body.paymentRequirements));
  });
  siteViaSchemeFacilitator = await startSite(await listen(app));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
  await schemeFacilitator?.close();
  await httpFacilitator?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('our schemes satisfy @x402/core 2.27 interfaces', () => {
  it('type-checks as SchemeNetworkClient, SchemeNetworkServer and SchemeNetworkFacilitator', () => {
    const client: SchemeNetworkClient = new ExactCasperClientScheme(
      secretKeySigner(alice.secretKey),
    );
    const server: SchemeNetworkServer = new ExactCasperServerScheme({
      assets: [{ packageHash: devnet.tokens[0]!.packageHash, name: 'T', decimals: 6 }],
    });
    const facilitator: SchemeNetworkFacilitator = schemeFacilitator;
    expect([client.scheme, server.scheme, facilitator.scheme]).toEqual(['exact', 'exact', 'exact']);
    expect(facilitator.caipFamily).toBe('casper:*');
  });
});

describe('stock @x402/express site + our server scheme', () => {
  it('answers an unpaid request with 402 and Casper exact requirements', async () => {
    const token = devnet.tokens[0]!;
    const response = await fetch(`${siteViaHttpFacilitator}/weather`);
    expect(response.status).toBe(402);
    const required = decodePaymentRequired(response.headers.get('PAYMENT-REQUIRED')!);
    expect(required.x402Version).toBe(2);
    expect(required.accepts).toEqual([
      {
        scheme: 'exact',
        network: devnet.network,
        amount: ATOMIC.toString(),
        asset: token.packageHash,
        payTo: merchant,
        maxTimeoutSeconds: 300,
        extra: { name: token.name, version: '1', decimals: 6, symbol: token.symbol },
      },
    ]);
  });
});

describe('stock @x402/fetch + our client scheme → stock @x402/express → our facilitator → devnet', () => {
  it('pays, gets 200 with a successful PAYMENT-RESPONSE, and the tokens move on chain', async () => {
    const payer = addressOfPublicKey(alice.publicKey);
    const [payerBefore, merchantBefore] = await balances(payer, merchant);

    const response = await payingFetch(
      alice.secretKey,
      '1000000',
    )(`${siteViaHttpFacilitator}/weather`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ city: 'Zug', forecast: 'sunny' });
    const receipt = decodePaymentResponseHeader(response.headers.get('PAYMENT-RESPONSE')!);
    expect(receipt).toMatchObject({ success: true, network: devnet.network, payer });
    expect(receipt.transaction).toMatch(/^[0-9a-f]{64}$/);

    expect(await executionOf(devnet.rpcUrl, receipt.transaction)).toMatchObject({
      error_message: null,
    });
    expect(await balances(payer, merchant)).toEqual([
      payerBefore! - ATOMIC,
      merchantBefore! + ATOMIC,
    ]);
  });

  it('does not pay above the client spend cap, and nothing moves', async () => {
    const payer = addressOfPublicKey(alice.publicKey);
    const before = await balances(payer, merchant);
    const seen: Request[] = [];
    await expect(
      payingFetch(
        alice.secretKey,
        (ATOMIC - 1n).toString(),
        seen,
      )(`${siteViaHttpFacilitator}/weather`),
    ).rejects.toThrow(/maxAmountPerPayment/);
    expect(seen.some((r) => r.headers.has('PAYMENT-SIGNATURE'))).toBe(false);
    expect(await balances(payer, merchant)).toEqual(before);
  });

  it('a payer without tokens is refused with 402 insufficient_funds, and nothing moves', async () => {
    const broke = generateSecretKey('ed25519');
    const before = await balances(merchant);
    const response = await payingFetch(broke, '1000000')(`${siteViaHttpFacilitator}/weather`);
    expect(response.status).toBe(402);
    const required = decodePaymentRequired(response.headers.get('PAYMENT-REQUIRED')!);
    expect(required.error).toMatch(/insufficient_funds/);
    expect(await balances(merchant)).toEqual(before);
  });
});

describe('stock @x402/fetch + our client scheme → stock @x402/hono → our facilitator → devnet', () => {
  it('answers an unpaid request with 402 and the same Casper exact requirements as Express', async () => {
    const unpaid = await fetch(`${honoSite}/weather`);
    expect(unpaid.status).toBe(402);
    const hono = decodePaymentRequired(unpaid.headers.get('PAYMENT-REQUIRED')!);
    const viaExpress = decodePaymentRequired(
      (await fetch(`${siteViaHttpFacilitator}/weather`)).headers.get('PAYMENT-REQUIRED')!,
    );
    expect(hono.x402Version).toBe(2);
    expect(hono.accepts).toEqual(viaExpress.accepts);
    expect(hono.resource).toMatchObject({
      url: `${honoSite}/weather`,
      description: 'Weather for one city',
    });
  });

  it('pays, gets 200 with a successful PAYMENT-RESPONSE, and the tokens move on chain', async () => {
    const payer = addressOfPublicKey(bob.publicKey);
    const [payerBefore, merchantBefore] = await balances(payer, merchant);
    const response = await payingFetch(bob.secretKey, '1000000')(`${honoSite}/forecast`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ city: 'Zug', week: 'sunny' });
    const receipt = decodePaymentResponseHeader(response.headers.get('PAYMENT-RESPONSE')!);
    expect(receipt).toMatchObject({ success: true, network: devnet.network, payer });
    expect(await executionOf(devnet.rpcUrl, receipt.transaction)).toMatchObject({
      error_message: null,
    });
    expect(await balances(payer, merchant)).toEqual([
      payerBefore! - ATOMIC,
      merchantBefore! + ATOMIC,
    ]);
  });

  it('a payer without tokens is refused with 402 insufficient_funds, and nothing moves', async () => {
    const before = await balances(merchant);
    const response = await payingFetch(
      generateSecretKey('ed25519'),
      '1000000',
    )(`${honoSite}/weather`);
    expect(response.status).toBe(402);
    expect(decodePaymentRequired(response.headers.get('PAYMENT-REQUIRED')!).error).toMatch(
      /insufficient_funds/,
    );
    expect(await balances(merchant)).toEqual(before);
  });
});

describe('… → stock @x402/core x402Facilitator + our facilitator scheme → devnet', () => {
  it('advertises the network, token domain and fee payer through getSupported', async () => {
    const stock = new x402Facilitator().register(schemeFacilitator.networks, schemeFacilitator);
    const token = devnet.tokens[0]!;
    expect(stock.getSupported()).toEqual({
      kinds: [
        {
          x402Version: 2,
          scheme: 'exact',
          network: devnet.network,
          extra: expect.objectContaining({
            feePayer: feePayer.publicKey,
            assets: [
              expect.objectContaining({ asset: token.packageHash, name: token.name, version: '1' }),
            ],
          }),
        },
      ],
      extensions: [],
      signers: { 'casper:*': [feePayer.publicKey] },
    });
  });

  it('pays once; replaying the same PAYMENT-SIGNATURE is refused and nothing moves again', async () => {
    const payer = addressOfPublicKey(bob.publicKey);
    const [payerBefore, merchantBefore] = await balances(payer, merchant);
    const seen: Request[] = [];
    const response = await payingFetch(
      bob.secretKey,
      '1000000',
      seen,
    )(`${siteViaSchemeFacilitator}/weather`);
    expect(response.status).toBe(200);
    const receipt = decodePaymentResponseHeader(response.headers.get('PAYMENT-RESPONSE')!);
    expect(receipt).toMatchObject({ success: true, network: devnet.network, payer });
    expect(await executionOf(devnet.rpcUrl, receipt.transaction)).toMatchObject({
      error_message: null,
    });
    const after = [payerBefore! - ATOMIC, merchantBefore! + ATOMIC];
    expect(await balances(payer, merchant)).toEqual(after);

    const signature = seen
      .find((r) => r.headers.has('PAYMENT-SIGNATURE'))!
      .headers.get('PAYMENT-SIGNATURE')!;
    const replay = await fetch(`${siteViaSchemeFacilitator}/weather`, {
      headers: { 'PAYMENT-SIGNATURE': signature },
    });
    expect(replay.status).toBe(402);
    expect(decodePaymentRequired(replay.headers.get('PAYMENT-REQUIRED')!).error).toMatch(
      /nonce_used/,
    );
    expect(await balances(payer, merchant)).toEqual(after);
  });

  it('answers malformed input with a reason instead of throwing', async () => {
    const requirements = { scheme: 'exact', network: devnet.network, amount: '1' };
    await expect(schemeFacilitator.verify({ x402Version: 2 }, requirements)).resolves.toMatchObject(
      {
        isValid: false,
        invalidReason: 'invalid_payload',
      },
    );
    await expect(schemeFacilitator.settle(null, requirements)).resolves.toMatchObject({
      success: false,
      errorReason: 'invalid_payload',
      transaction: '',
      network: devnet.network,
    });
  });
});

describe('a payload whose accepted asset is spelled in upper case', () => {
  const requirements = (): PaymentRequirements => {
    const token = devnet.tokens[0]!;
    return {
      scheme: 'exact',
      network: devnet.network,
      amount: '1000',
      asset: token.packageHash,
      payTo: merchant,
      maxTimeoutSeconds: 300,
      extra: { name: token.name, version: '1', decimals: token.decimals },
    };
  };
  const upperCased = async (payer: SecretKey) => {
    const payload = await createPaymentPayload(requirements(), secretKeySigner(payer));
    return {
      ...payload,
      accepted: { ...payload.accepted, asset: payload.accepted.asset.toUpperCase() },
    };
  };

  it('is verified and settled over HTTP, keyed by the requirements', async () => {
    const payer = addressOfPublicKey(alice.publicKey);
    const body = {
      x402Version: 2,
      paymentPayload: await upperCased(alice.secretKey),
      paymentRequirements: requirements(),
    };
    const auth = { authorization: `Bearer ${API_KEY}` };
    const [merchantBefore] = await balances(merchant);
    const verified = await postJson(`${httpFacilitator.url}/verify`, body, auth);
    expect(verified).toMatchObject({ status: 200, body: { isValid: true, payer } });
    const settled = await postJson(`${httpFacilitator.url}/settle`, body, auth);
    expect(settled).toMatchObject({ status: 200, body: { success: true, payer } });
    expect(await balances(merchant)).toEqual([merchantBefore! + 1000n]);
  });

  it('is verified and settled by the facilitator scheme instead of throwing', async () => {
    const payer = addressOfPublicKey(bob.publicKey);
    const payload = await upperCased(bob.secretKey);
    await expect(schemeFacilitator.verify(payload, requirements())).resolves.toEqual({
      isValid: true,
      payer,
    });
    await expect(schemeFacilitator.settle(payload, requirements())).resolves.toMatchObject({
      success: true,
      payer,
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });
});

describe('one PAYMENT-SIGNATURE sent to several paid routes at once', () => {
  it.each([
    ['our HTTP facilitator', () => siteViaHttpFacilitator],
    ['x402Facilitator with our scheme', () => siteViaSchemeFacilitator],
  ])('is charged once and delivers once (%s)', async (_, siteOf) => {
    const site = siteOf();
    const payer = generateSecretKey('ed25519');
    const token = devnet.tokens[0]!;
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: token.packageHash, amount: '1000000' },
    });
    const address = addressOfPublicKey(payer.publicKey);
    const required = decodePaymentRequired(
      (await fetch(`${site}/weather`)).headers.get('PAYMENT-REQUIRED')!,
    );
    const payload = await createPaymentPayload(required.accepts[0]!, secretKeySigner(payer));
    const signature = encodePaymentSignature({ ...payload, resource: required.resource });
    const [merchantBefore] = await balances(merchant);

    const responses = await Promise.all(
      ['/weather', '/forecast', '/weather', '/forecast'].map((path) =>
        fetch(`${site}${path}`, { headers: { 'PAYMENT-SIGNATURE': signature } }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 402, 402, 402]);
    const paid = responses.find((response) => response.status === 200)!;
    const receipt = decodePaymentResponseHeader(paid.headers.get('PAYMENT-RESPONSE')!);
    expect(receipt).toMatchObject({ success: true, payer: address });
    expect(await balances(address, merchant)).toEqual([
      1_000_000n - ATOMIC,
      merchantBefore! + ATOMIC,
    ]);
  });
});
