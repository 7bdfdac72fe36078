// Fuzzing over HTTP: thousands of random and mutated bodies against the facilitator process's
// /verify and /settle, and of payment headers against a paid site's paywall. No answer may
// be a 5xx and the facilitator must stay up; every answer must be the one shared's own rules
// give for that input: a 400 naming the same field, or the same invalid reason. What settles
// must be exactly what was really valid, once each, on chain.
import { connect } from 'node:net';
import type { Devnet } from '@x402-casper/devnet';
import {
  bytesToBase64,
  decodePaymentRequired,
  decodePaymentResponse,
  decodePaymentSignature,
  encodePaymentSignature,
  exactPayloadOf,
  INVALID_REASONS,
  type PaymentPayload,
  type PaymentRequirements,
  parseSettleResponse,
  parseUint,
  parseVerifyRequest,
  parseVerifyResponse,
  utf8ToBytes,
  verifyPayment,
  X402InputError,
} from '@x402-casper/shared';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PaymentRequest, requirementsOf, signedPayments } from '../../bench/payments.js';
import type { FacilitatorProcess } from '../../bench/processes.js';
import { startPaidSite } from '../support/paid-site.js';
import { type Authorization, audit, chainSettlements, successKey } from './audit.js';
import { emptyFigures, recordFigures } from './figures.js';
import { mutateJson, mutateString, Random, SEED } from './mutate.js';
import { PROFILE } from './profile.js';
import {
  facilitatorProcess,
  fundedPayers,
  inParallel,
  ledgerRows,
  MERCHANT_ADDRESS,
  post,
  removeTempDirs,
  startChain,
  tempDir,
  waitFor,
} from './stack.js';

const figures = emptyFigures();
const random = new Random(SEED + 7);
const N = PROFILE.fuzzCases;
const dir = tempDir('http-fuzz');
const REASONS = new Set(Object.keys(INVALID_REASONS));
/** The facilitator's default bodyLimit: a mutation can grow a body past it. */
const BODY_LIMIT = 65_536;

let devnet: Devnet;
let facilitator: FacilitatorProcess;
let database: string;
let site: FastifyInstance;
let siteUrl: string;
let requirements: PaymentRequirements;
let fresh: () => PaymentRequest;
const settled = new Map<string, Set<string>>();
const sentAuthorizations: Authorization[] = [];
/** Which test made each payment, to say where an unreported settlement came from. */
const origins = new Map<string, string>();
const problems: string[] = [];

beforeAll(async () => {
  devnet = await startChain(100);
  const token = devnet.tokens[0]!;
  const stack = facilitatorProcess({
    dir,
    devnet,
    settings: { pollIntervalMs: 50, settleTimeoutMs: 15_000 },
  });
  database = stack.database;
  facilitator = await stack.start();
  // The paywall's price is 0.01 CX402 = 10000 atomic units, so fuzzed requirements match it.
  requirements = requirementsOf(devnet.network, token, MERCHANT_ADDRESS, '10000');
  const payers = await fundedPayers(devnet, 4);
  fresh = () => {
    const payment = signedPayments(requirements, random.pick(payers), 1)[0]!;
    const { authorization } = payment.paymentPayload.payload as {
      authorization: Authorization & { from: string };
    };
    sentAuthorizations.push({ payer: authorization.from, nonce: authorization.nonce });
    origins.set(
      successKey(authorization.from, authorization.nonce),
      expect.getState().currentTestName ?? '',
    );
    return payment;
  };
  ({ app: site, url: siteUrl } = await startPaidSite({
    facilitatorUrl: facilitator.url,
    network: devnet.network,
    payTo: MERCHANT_ADDRESS,
    asset: { ...token, version: '1' },
  }));
});

afterAll(async () => {
  figures.details.seed = SEED;
  figures.details.problems = problems.slice(0, 20);
  recordFigures('http-fuzz', figures);
  await site?.close();
  await facilitator?.stop();
  await devnet?.close();
  removeTempDirs();
});

/** What the facilitator must answer for a parsed body, by shared's rules (undefined = valid). */
function expectedReason(body: unknown): { field: string } | { reason: string | undefined } {
  let request: ReturnType<typeof parseVerifyRequest>;
  try {
    request = parseVerifyRequest(body);
  } catch (error) {
    if (error instanceof X402InputError) return { field: error.field };
    throw error;
  }
  if (request.x402Version !== 2) return { reason: 'invalid_x402_version' };
  if (request.paymentRequirements.network !== devnet.network) return { reason: 'invalid_network' };
  const verdict = verifyPayment(request.paymentPayload, request.paymentRequirements);
  if (!verdict.isValid) return { reason: verdict.invalidReason };
  const { asset, extra } = request.paymentRequirements;
  if (asset.toLowerCase() !== requirements.asset) {
    return { reason: 'invalid_exact_casper_unknown_asset' };
  }
  if (extra?.name !== requirements.extra?.name || extra?.version !== '1') {
    return { reason: 'invalid_exact_casper_domain_mismatch' };
  }
  return { reason: undefined };
}

/** Bodies that JSON.parse accepts but Fastify refuses (prototype poisoning) get a plain 400. */
const poisoned = (text: string) =>
  /"__proto__"\s*:/.test(text) || /"constructor"\s*:\s*\{[^{}]*"prototype"\s*:/.test(text);

function judge(
  route: '/verify' | '/settle',
  text: string,
  answer: Awaited<ReturnType<typeof post>>,
): void {
  figures.cases++;
  const where = `${route} ${text.slice(0, 160)} → ${answer.status} ${answer.text.slice(0, 200)}`;
  if (answer.status >= 500) {
    problems.push(where);
    throw new Error(`5xx: ${where}`);
  }
  if (Buffer.byteLength(text) > BODY_LIMIT) {
    expect(answer.status, where).toBe(413);
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    expect(answer.status, where).toBe(400);
    return;
  }
  if (poisoned(text)) {
    expect(answer.status, where).toBe(400);
    return;
  }
  const expected = expectedReason(body);
  if ('field' in expected) {
    expect(answer.status, `${where} (shared names ${expected.field})`).toBe(400);
    expect(answer.json, where).toMatchObject({ error: 'invalid_request', field: expected.field });
    return;
  }
  expect(answer.status, where).toBe(200);
  if (route === '/verify') {
    const verdict = parseVerifyResponse(answer.json);
    if (expected.reason === undefined) expect(verdict, where).toMatchObject({ isValid: true });
    else expect(verdict, where).toMatchObject({ isValid: false, invalidReason: expected.reason });
    if (!verdict.isValid) expect(REASONS.has(verdict.invalidReason ?? '')).toBe(true);
    return;
  }
  const receipt = parseSettleResponse(answer.json);
  if (expected.reason !== undefined) {
    expect(receipt, where).toMatchObject({ success: false, errorReason: expected.reason });
    return;
  }
  expect(receipt, where).toMatchObject({ success: true });
  const { authorization } = (body as PaymentRequest).paymentPayload.payload as {
    authorization: { from: string; nonce: string };
  };
  const key = successKey(authorization.from, authorization.nonce);
  settled.set(key, new Set([...(settled.get(key) ?? []), receipt.transaction]));
}

describe('/verify and /settle bodies', () => {
  it('/verify: random JSON, broken JSON, wrong types and sizes, mutated payments', async () => {
    const pool = Array.from({ length: 100 }, fresh);
    const texts = [
      ...fc
        .sample(fc.jsonValue({ maxDepth: 5 }), { seed: SEED, numRuns: N / 4 })
        .map((v) => JSON.stringify(v)),
      ...fc.sample(fc.string({ maxLength: 200 }), { seed: SEED + 1, numRuns: N / 8 }),
      ...Array.from({ length: N / 8 }, () =>
        mutateString(random, JSON.stringify(random.pick(pool))),
      ),
      ...Array.from({ length: N / 2 }, () => JSON.stringify(mutateJson(random, random.pick(pool)))),
    ].filter((text): text is string => typeof text === 'string');
    await inParallel(texts, 8, async (text) => {
      judge('/verify', text, await post(`${facilitator.url}/verify`, text));
    });
  });

  it('/verify: other content types, empty and oversized bodies get a 4xx', async () => {
    const valid = JSON.stringify(fresh());
    const cases: Array<[string, Record<string, string>]> = [
      [valid, { 'content-type': 'text/plain' }],
      [valid, { 'content-type': 'application/x-www-form-urlencoded' }],
      [valid, { 'content-type': 'application/octet-stream' }],
      ['', { 'content-type': 'application/json' }],
      [`{"x402Version":2,"pad":"${'x'.repeat(70_000)}"}`, { 'content-type': 'application/json' }],
      [`[${'['.repeat(5000)}${']'.repeat(5000)}]`, { 'content-type': 'application/json' }],
    ];
    for (const [text, headers] of cases) {
      figures.cases++;
      const answer = await post(`${facilitator.url}/verify`, text, headers);
      expect(answer.status, `${headers['content-type']} ${text.length}`).toBeGreaterThanOrEqual(
        400,
      );
      expect(answer.status).toBeLessThan(500);
    }
  });

  it('/settle: mutated payments settle exactly when really valid, each once', async () => {
    const cases = Array.from({ length: PROFILE.settleFuzzCases }, () => {
      const payment = fresh();
      return random.chance(0.1) ? payment : mutateJson(random, payment);
    });
    await inParallel(cases, 8, async (body) => {
      const text = JSON.stringify(body) ?? 'null';
      let answer = await post(`${facilitator.url}/settle`, text);
      for (let i = 0; i < 5 && answer.json?.errorReason === 'settlement_pending'; i++) {
        answer = await post(`${facilitator.url}/settle`, text);
      }
      judge('/settle', text, answer);
    });
  });
});

describe('paywall', () => {
  const routePayment = () => fresh().paymentPayload;

  // The paywall answers the client's bad input with 402, also when it is the facilitator that
  // refuses the forwarded payment as malformed (HTTP 400).
  const paywallAnswer = async (edit: (json: string) => string) => {
    const json = edit(JSON.stringify(routePayment()));
    const response = await fetch(`${siteUrl}/api/weather`, {
      headers: { 'payment-signature': bytesToBase64(utf8ToBytes(json)) },
    });
    return response.status;
  };
  it('answers 402, not 502, to a payment header carrying a "__proto__" key', async () => {
    expect(
      await paywallAnswer((j) => j.replace('"payload":{', '"payload":{"__proto__":{"x":1},')),
    ).toBe(402);
  });

  async function judgeGet(header: string, name: string, accept: string): Promise<void> {
    figures.cases++;
    const response = await fetch(`${siteUrl}/api/weather?city=Zug`, {
      headers: { [name]: header, accept },
    });
    const text = await response.text();
    const where = `${name}: ${header.slice(0, 120)} → ${response.status} ${text.slice(0, 200)}`;
    if (response.status >= 500) {
      problems.push(where);
      throw new Error(`5xx: ${where}`);
    }
    if (response.status === 431) {
      // Node refuses request headers over 16 KiB before the paywall sees them.
      expect(header.length, where).toBeGreaterThan(12_000);
      return;
    }
    // The paywall decodes the header and reads the authorization (to hold one claim per
    // payment) before asking the facilitator: a failure there is "invalid payment: <field>…".
    let payload: PaymentPayload;
    try {
      payload = decodePaymentSignature(header);
      const { authorization } = exactPayloadOf(payload);
      parseUint(authorization.validBefore, 'payload.authorization.validBefore', 64);
    } catch (error) {
      if (!(error instanceof X402InputError)) throw error;
      expect(response.status, where).toBe(402);
      const required = decodePaymentRequired(response.headers.get('payment-required'));
      expect(required.error, where).toBe(`invalid payment: ${error.message}`);
      return;
    }
    const verdict = verifyPayment(payload, requirements);
    if (!verdict.isValid) {
      expect(response.status, where).toBe(402);
      const required = decodePaymentRequired(response.headers.get('payment-required'));
      expect(required.error?.startsWith(`${verdict.invalidReason}: `), where).toBe(true);
      return;
    }
    expect(response.status, where).toBe(200);
    const receipt = decodePaymentResponse(response.headers.get('payment-response'));
    expect(receipt.success, where).toBe(true);
    const { authorization } = payload.payload as { authorization: { from: string; nonce: string } };
    const key = successKey(authorization.from, authorization.nonce);
    settled.set(key, new Set([...(settled.get(key) ?? []), receipt.transaction]));
  }

  it('answers every PAYMENT-SIGNATURE / X-PAYMENT with 402 and the precise reason, or 200 when paid', async () => {
    const headers = [
      ...fc.sample(fc.string({ minLength: 1, maxLength: 300 }), { seed: SEED + 3, numRuns: N / 4 }),
      ...fc
        .sample(fc.jsonValue({ maxDepth: 4 }), { seed: SEED + 4, numRuns: N / 4 })
        .map((v) => bytesToBase64(utf8ToBytes(JSON.stringify(v)))),
      ...Array.from({ length: N / 2 }, () =>
        random.chance(0.3)
          ? mutateString(random, encodePaymentSignature(routePayment()))
          : bytesToBase64(
              utf8ToBytes(JSON.stringify(mutateJson(random, routePayment())) ?? 'null'),
            ),
      ),
      ...Array.from({ length: 10 }, () => encodePaymentSignature(routePayment())),
    ]
      // fetch refuses header values with control characters or beyond Latin-1; the raw socket
      // test below sends those. Node trims the value's surrounding whitespace.
      .filter((h) => /^[\x20-\x7e]*$/.test(h) && h.trim().length > 0)
      .map((h) => h.trim());
    await inParallel(headers, 8, (header) =>
      judgeGet(
        header,
        random.chance(0.5) ? 'payment-signature' : 'x-payment',
        random.pick(['application/json', 'text/html', '*/*', '']),
      ),
    );
  });

  it('answers raw requests with bytes fetch would never send, without a 5xx', async () => {
    const port = new URL(siteUrl).port;
    const statuses = new Map<number, number>();
    for (let i = 0; i < Math.max(50, N / 20); i++) {
      figures.cases++;
      const bytes = Buffer.from(
        Array.from({ length: 1 + random.int(200) }, () => random.int(256)).filter(
          (b) => b !== 0x0a && b !== 0x0d,
        ),
      );
      const request = Buffer.concat([
        Buffer.from(
          `${random.pick(['GET', 'POST', 'OPTIONS'])} ${random.pick(['/api/weather', '/articles/pay-per-article', '/nope'])} HTTP/1.1\r\nHost: 127.0.0.1\r\nPAYMENT-SIGNATURE: `,
        ),
        bytes,
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]);
      const status = await new Promise<number>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1');
        let head = '';
        socket.on('data', (chunk) => {
          head += chunk.toString('latin1');
        });
        socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)));
        socket.on('error', reject);
        socket.end(request);
      });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status).toBeGreaterThanOrEqual(200);
      expect(status).toBeLessThan(500);
    }
    figures.details.rawStatuses = Object.fromEntries(statuses);
  });
});

describe('afterwards', () => {
  it('kept the facilitator up, and settled exactly the valid payments, once each, on chain', async () => {
    expect(facilitator.child.exitCode).toBeNull();
    const rows = await waitFor(
      () => ledgerRows(database),
      (all) => all.every((row) => row.state !== 'reserved' && row.state !== 'submitted'),
      30_000,
    );
    const chain = await chainSettlements(devnet.rpcUrl);
    const result = audit(sentAuthorizations, chain, rows, settled);
    figures.settlementsChecked += result.checked;
    figures.duplicates += result.duplicates;
    figures.details.settled = settled.size;
    expect(result.problems).toEqual([]);
    expect(result.doubleSpends).toBe(0);
    expect(result.duplicates).toBe(0);
    // Every authorization that settled was reported; nothing else reached the chain.
    const unreported = chain
      .filter((e) => e.error === null && !settled.has(successKey(e.payer, e.nonce)))
      .map((e) => `${origins.get(successKey(e.payer, e.nonce)) ?? 'unknown'}: ${e.hash}`);
    expect(unreported).toEqual([]);
    expect(result.checked - result.unsettled).toBe(settled.size);
  });
});
