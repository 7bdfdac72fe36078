// The API description (/openapi.json, made by @fastify/swagger from the routes' TypeBox
// schemas) against the service itself: what it documents is what the routes take, and a body
// it rejects is the body the route answers 400 for, naming the same field.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createPaymentPayload, generateSecretKey, secretKeySigner } from '@x402-casper/shared';
import { closedPort, postJson, rawConfig, requirementsFor, tempDir } from '@x402-casper/testing';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Facilitator, startFacilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';

const NETWORK = 'casper:casper-test';
const TOKEN = { packageHash: '5c'.repeat(32), domainName: 'T', symbol: 'T', decimals: 2 };
const KEY = 'openapi-key-0123456789';
const dir = tempDir('openapi');
let facilitator: Facilitator & { url: string };

beforeAll(async () => {
  facilitator = await startFacilitator(
    parseConfig(
      rawConfig({
        database: join(dir, 'ledger.sqlite'),
        network: NETWORK,
        rpcUrl: `http://127.0.0.1:${await closedPort()}/rpc`,
        feePayer: generateSecretKey('ed25519'),
        assets: [TOKEN],
        apiKeys: [KEY],
      }),
    ),
  );
});

afterAll(async () => {
  await facilitator?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Operation {
  security?: unknown[];
  requestBody?: { content: { 'application/json': { schema: object } } };
  responses: Record<string, unknown>;
}

async function description() {
  const response = await fetch(`${facilitator.url}/openapi.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  };
}

async function validRequest() {
  const payer = generateSecretKey('ed25519');
  const requirements = requirementsFor(NETWORK, TOKEN, `00${'ab'.repeat(32)}`, '100');
  const paymentPayload = await createPaymentPayload(requirements, secretKeySigner(payer));
  return { x402Version: 2, paymentPayload, paymentRequirements: requirements };
}

describe('GET /openapi.json', () => {
  it('describes the routes without asking for a key: the x402 ones need it, /health does not', async () => {
    const doc = await description();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health',
      '/metrics',
      '/settle',
      '/supported',
      '/verify',
    ]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, method] of [
      ['/supported', 'get'],
      ['/verify', 'post'],
      ['/settle', 'post'],
      ['/metrics', 'get'],
    ] as const) {
      expect(doc.paths[path]![method]!.security, path).toEqual([{ apiKey: [] }]);
    }
    expect(doc.paths['/health']!.get!.security).toBeUndefined();
    expect(Object.keys(doc.paths['/verify']!.post!.responses)).toContain('200');
  });

  it('documents the body /verify and /settle take: a real payment fits it, a broken one fails where the route says', async () => {
    const doc = await description();
    const ajv = new Ajv({ strict: false });
    for (const path of ['/verify', '/settle']) {
      const schema = doc.paths[path]!.post!.requestBody!.content['application/json'].schema;
      const check = ajv.compile(schema);
      const good = await validRequest();
      expect(check(good), JSON.stringify(check.errors)).toBe(true);

      const broken = JSON.parse(JSON.stringify(good));
      broken.paymentRequirements.maxTimeoutSeconds = 'soon';
      expect(check(broken)).toBe(false);
      expect(check.errors?.[0]?.instancePath).toBe('/paymentRequirements/maxTimeoutSeconds');
      const answer = await postJson(`${facilitator.url}${path}`, broken, {
        authorization: `Bearer ${KEY}`,
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        error: 'invalid_request',
        field: 'body.paymentRequirements.maxTimeoutSeconds',
      });
    }
  });

  it('is the same document on every call, and /metrics carries the default process metrics', async () => {
    expect(await description()).toEqual(await description());
    const metrics = await fetch(`${facilitator.url}/metrics`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const text = await metrics.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(
      /^x402_facilitator_requests_total\{route="\/openapi.json",method="GET",status="200"\} [1-9]/m,
    );
  });
});
