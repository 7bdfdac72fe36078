// The HTTP surface without a chain: auth, limits, malformed input, off-chain verification and
// what happens when the network's RPC endpoint cannot be reached.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  addressOfPublicKey,
  createPaymentPayload,
  generateSecretKey,
  type PaymentRequirements,
  parseSupportedResponse,
  secretKeySigner,
} from '@x402-casper/shared';
import { closedPort, postJson, rawConfig, tempDir } from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Facilitator, startFacilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { ApiKeys } from '../src/plugins/auth.js';

const NETWORK = 'casper:casper-test';
const ASSET = '5c'.repeat(32);
const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

const dir = tempDir('http');
const feePayer = generateSecretKey('ed25519');
const payer = generateSecretKey('secp256k1');
let facilitator: Facilitator & { url: string };
let rpcPort: number;

const requirements: PaymentRequirements = {
  scheme: 'exact',
  network: NETWORK,
  amount: '10000',
  asset: ASSET,
  payTo: `00${'ae'.repeat(32)}`,
  maxTimeoutSeconds: 300,
  extra: { name: 'Casper x402 Token', version: '1', decimals: 6, symbol: 'CX402' },
};

beforeAll(async () => {
  rpcPort = await closedPort();
  const config = parseConfig(
    rawConfig({
      database: join(dir, 'ledger.sqlite'),
      network: NETWORK,
      rpcUrl: `http://127.0.0.1:${rpcPort}/rpc`,
      feePayer,
      assets: [
        { packageHash: ASSET, domainName: 'Casper x402 Token', decimals: 6, symbol: 'CX402' },
      ],
      apiKeys: [KEY_A, KEY_B],
      extra: { bodyLimit: 4096, rateLimit: { max: 40, windowMs: 60_000 }, rpcTimeoutMs: 2000 },
    }),
  );
  facilitator = await startFacilitator(config);
});

afterAll(async () => {
  await facilitator?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('facilitator HTTP without a chain', () => {
  it('asks for a Bearer key on every route but /health', async () => {
    for (const [method, path] of [
      ['GET', '/supported'],
      ['POST', '/verify'],
      ['POST', '/settle'],
      ['GET', '/metrics'],
    ] as const) {
      const missing = await fetch(`${facilitator.url}${path}`, { method });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await fetch(`${facilitator.url}${path}`, {
        method,
        headers: auth(`${KEY_A}x`),
      });
      expect(wrong.status).toBe(401);
    }
    const health = await fetch(`${facilitator.url}/health`);
    expect(health.status).not.toBe(401);
  });

  it('takes a key as Bearer or bare (as Go resource servers send it), and no wrong key either way', async () => {
    const bare = await fetch(`${facilitator.url}/supported`, {
      headers: { authorization: KEY_A },
    });
    expect(bare.status).toBe(200);
    const lower = await fetch(`${facilitator.url}/supported`, {
      headers: { authorization: `bearer ${KEY_A}` },
    });
    expect(lower.status).toBe(200);
    for (const authorization of [
      `${KEY_A}x`,
      KEY_A.slice(0, -1),
      `Token ${KEY_A}`,
      `${KEY_A} ${KEY_A}`,
      `Bearer ${KEY_A}x`,
      'Bearer',
    ]) {
      const wrong = await fetch(`${facilitator.url}/supported`, { headers: { authorization } });
      expect(wrong.status, authorization).toBe(401);
      expect(await wrong.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('lists one exact kind per network with the fee payer and assets', async () => {
    const response = await fetch(`${facilitator.url}/supported`, { headers: auth(KEY_B) });
    expect(response.status).toBe(200);
    const supported = parseSupportedResponse(await response.json());
    expect(supported).toEqual({
      kinds: [
        {
          x402Version: 2,
          scheme: 'exact',
          network: NETWORK,
          extra: {
            feePayer: feePayer.publicKey.hex,
            feePayerAddress: addressOfPublicKey(feePayer.publicKey),
            assets: [
              {
                asset: ASSET,
                name: 'Casper x402 Token',
                version: '1',
                decimals: 6,
                symbol: 'CX402',
              },
            ],
          },
        },
      ],
      extensions: [],
      signers: { 'casper:*': [feePayer.publicKey.hex] },
    });
  });

  it('answers 503 on /health when the RPC endpoint is unreachable, naming the network', async () => {
    const response = await fetch(`${facilitator.url}/health`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; networks: Record<string, unknown>[] };
    expect(body.status).toBe('unavailable');
    expect(body.networks).toEqual([
      expect.objectContaining({
        network: NETWORK,
        ok: false,
        error: expect.stringMatching(/info_get_status: cannot reach http:\/\/127.0.0.1:\d+\/rpc/),
      }),
    ]);
  });

  it('refuses malformed JSON, other content types, oversized bodies and non-requests', async () => {
    const url = `${facilitator.url}/verify`;
    const malformed = await postJson(url, '{"x402Version":', auth(KEY_A));
    expect(malformed.status).toBe(400);
    const text = await fetch(url, {
      method: 'POST',
      headers: { ...auth(KEY_A), 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    const big = await postJson(url, { padding: 'x'.repeat(5000) }, auth(KEY_A));
    expect(big.status).toBe(413);
    const notRequest = await postJson(url, { x402Version: 2, paymentPayload: {} }, auth(KEY_A));
    expect(notRequest.status).toBe(400);
    expect(notRequest.body).toMatchObject({
      error: 'invalid_request',
      field: expect.stringMatching(/^body/),
    });
    const settle = await postJson(`${facilitator.url}/settle`, [], auth(KEY_A));
    expect(settle.status).toBe(400);
  });

  it('answers an invalid payment with 200 and the reason, before touching the chain', async () => {
    const payload = await createPaymentPayload(requirements, secretKeySigner(payer));
    const otherNetwork = { ...requirements, network: 'casper:casper' };
    const wrongNetwork = await postJson(
      `${facilitator.url}/verify`,
      {
        x402Version: 2,
        paymentPayload: { ...payload, accepted: otherNetwork },
        paymentRequirements: otherNetwork,
      },
      auth(KEY_A),
    );
    expect(wrongNetwork.status).toBe(200);
    expect(wrongNetwork.body).toMatchObject({ isValid: false, invalidReason: 'invalid_network' });

    const expired = await createPaymentPayload(requirements, secretKeySigner(payer), {
      now: Math.floor(Date.now() / 1000) - 3600,
    });
    const late = await postJson(
      `${facilitator.url}/verify`,
      { x402Version: 2, paymentPayload: expired, paymentRequirements: requirements },
      auth(KEY_A),
    );
    expect(late.body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_payload_expired',
      payer: addressOfPublicKey(payer.publicKey),
    });

    const unknownAsset = { ...requirements, asset: 'ee'.repeat(32) };
    const unknown = await postJson(
      `${facilitator.url}/verify`,
      {
        x402Version: 2,
        paymentPayload: await createPaymentPayload(unknownAsset, secretKeySigner(payer)),
        paymentRequirements: unknownAsset,
      },
      auth(KEY_A),
    );
    expect(unknown.body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_unknown_asset',
    });

    const renamed = { ...requirements, extra: { ...requirements.extra, name: 'Other Token' } };
    const domain = await postJson(
      `${facilitator.url}/verify`,
      {
        x402Version: 2,
        paymentPayload: await createPaymentPayload(renamed, secretKeySigner(payer)),
        paymentRequirements: renamed,
      },
      auth(KEY_A),
    );
    expect(domain.body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_domain_mismatch',
      invalidMessage:
        'this facilitator expects signing-domain name "Casper x402 Token" version "1" for this token, not signing-domain name "Other Token" version "1"',
    });
  });

  it('gives a clear failure when the node is unreachable, and keeps nothing in the ledger', async () => {
    const payload = await createPaymentPayload(requirements, secretKeySigner(payer));
    const request = { x402Version: 2, paymentPayload: payload, paymentRequirements: requirements };
    const verified = await postJson(`${facilitator.url}/verify`, request, auth(KEY_A));
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      isValid: false,
      invalidReason: 'unexpected_verify_error',
      invalidMessage: expect.stringContaining(`cannot read ${NETWORK}`),
    });
    const settled = await postJson(`${facilitator.url}/settle`, request, auth(KEY_A));
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({
      success: false,
      errorReason: 'unexpected_settle_error',
      transaction: '',
      network: NETWORK,
    });
    expect(await facilitator.ledger.pendingCount()).toBe(0);
  });

  it('echoes a request id, or makes one', async () => {
    const given = await fetch(`${facilitator.url}/health`, {
      headers: { 'x-request-id': 'trace-123' },
    });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const made = await fetch(`${facilitator.url}/health`, {
      headers: { 'x-request-id': 'bad id!' },
    });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exports Prometheus metrics of requests and verify results', async () => {
    const response = await fetch(`${facilitator.url}/metrics`, { headers: auth(KEY_A) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(
      /x402_facilitator_requests_total\{route="\/supported",method="GET",status="200"\} [1-9]/,
    );
    expect(text).toMatch(
      /x402_facilitator_requests_total\{route="\/verify",method="POST",status="401"\} [1-9]/,
    );
    expect(text).toMatch(
      /x402_facilitator_verify_results_total\{network="unconfigured",reason="invalid_network"\} 1/,
    );
    expect(text).toMatch(/x402_facilitator_settle_duration_seconds_count [1-9]/);
    expect(text).toContain('x402_facilitator_pending_settlements 0');
  });

  it('answers 404 in JSON for an unknown route, with or without a key (no route, no key check)', async () => {
    for (const headers of [auth(KEY_A), {}]) {
      const response = await fetch(`${facilitator.url}/nope`, { headers });
      expect(response.status).toBe(404);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(await response.json()).toMatchObject({ error: 'not_found' });
    }
  });

  it('limits requests per API key', async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const response = await fetch(`${facilitator.url}/supported`, { headers: auth(KEY_B) });
      if (response.status === 429) limited = response;
      else expect(response.status).toBe(200);
    }
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited?.json()).toMatchObject({ error: 'rate_limited' });
    const otherKey = await fetch(`${facilitator.url}/supported`, { headers: auth(KEY_A) });
    expect(otherKey.status).toBe(200);
  });
});

describe('API keys', () => {
  const keys = new ApiKeys([KEY_A, KEY_B]);

  it.each([
    [`Bearer ${KEY_A}`, 0],
    [`bearer ${KEY_B}`, 1],
    [`BEARER   ${KEY_A}`, 0],
    [KEY_A, 0],
    [KEY_B, 1],
    [`  ${KEY_B}  `, 1],
  ])('finds the key in %j', (header, index) => {
    expect(keys.match(header)).toBe(index);
  });

  it.each([
    undefined,
    '',
    '   ',
    'Bearer',
    'Bearer ',
    `Bearer ${KEY_A}x`,
    `${KEY_A}x`,
    KEY_A.slice(1),
    `Basic ${KEY_A}`,
    `Bearer ${KEY_A} ${KEY_B}`,
    `${KEY_A}\t${KEY_B}`,
    `Bearer\t${KEY_A}`,
  ])('finds no key in %j', (header) => {
    expect(keys.match(header)).toBe(-1);
  });

  it('asks for nothing without keys, and matches nothing', () => {
    const none = new ApiKeys([]);
    expect(none.required).toBe(false);
    expect(none.match(KEY_A)).toBe(-1);
    expect(keys.required).toBe(true);
  });
});
