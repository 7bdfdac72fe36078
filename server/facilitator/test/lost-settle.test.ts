// A settle whose answer is lost on the way back: a real facilitator on a real devnet, behind an
// HTTP proxy that lets the facilitator settle and then cuts the paywall's connection. The
// paywall retries with the same Idempotency-Key, the facilitator answers the success again,
// the visitor gets what they paid for, and one transfer happened.
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { x402Paywall } from '@x402-casper/fastify';
import {
  addressOfPublicKey,
  createPaymentPayload,
  decodePaymentRequired,
  encodePaymentSignature,
  paymentReceiptOf,
  secretKeySigner,
} from '@x402-casper/shared';
import { rpcResult, tempDir, tokenBalance } from '@x402-casper/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Facilitator } from '../src/app.js';
import { facilitatorOn } from './helpers.js';

const dir = tempDir('lost-settle');
const [feePayer, merchant, alice] = defaultDevAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
let devnet: Devnet;
let facilitator: Facilitator & { url: string };
let proxy: Server;
let proxyUrl: string;
let site: FastifyInstance;
let siteUrl: string;
/** /settle calls the proxy saw, with their Idempotency-Key; the first one's answer is cut. */
const settles: Array<string | undefined> = [];
/** While set, the proxy answers /settle this late (after the facilitator has answered it). */
let settleDelayMs = 0;
/** A site whose settle calls give up after 400 ms. */
let impatientUrl: string;
let impatient: FastifyInstance;
let mining: NodeJS.Timeout;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  mining = setInterval(() => void rpcResult(devnet.rpcUrl, 'devnet_mine').catch(() => {}), 50);
  facilitator = await facilitatorOn(devnet, {
    rpcUrl: devnet.rpcUrl,
    database: join(dir, 'ledger.sqlite'),
    feePayer: feePayer.secretKey,
    extra: { pollIntervalMs: 25, settleTimeoutMs: 20_000 },
  });
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const isSettle = req.url === '/settle';
      if (isSettle) settles.push(req.headers['idempotency-key'] as string | undefined);
      const headers = { ...req.headers } as Record<string, string>;
      delete headers.host;
      delete headers['content-length'];
      const answer = await fetch(`${facilitator.url}${req.url}`, {
        method: req.method,
        headers,
        ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
      });
      const text = await answer.text();
      // The facilitator has settled and answered; the paywall never hears it.
      if (isSettle && settles.length === 1) return req.socket.destroy();
      if (isSettle && settleDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, settleDelayMs));
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const token = devnet.tokens[0]!;
  const paywallOf = (settleTimeoutMs?: number) => ({
    facilitator: { url: proxyUrl, ...(settleTimeoutMs ? { settleTimeoutMs } : {}) },
    network: devnet.network,
    payTo: merchantAddress,
    asset: {
      packageHash: token.packageHash,
      domainName: token.domainName,
      name: token.name,
      version: '1',
      decimals: token.decimals,
      symbol: token.symbol,
    },
  });
  site = Fastify();
  await site.register(x402Paywall, paywallOf());
  site.get('/article', { config: { x402: { price: '0.05' } } }, async () => ({ text: 'paid' }));
  siteUrl = await site.listen({ port: 0, host: '127.0.0.1' });
  impatient = Fastify();
  await impatient.register(x402Paywall, paywallOf(400));
  impatient.get('/article', { config: { x402: { price: '0.05' } } }, async () => ({
    text: 'paid',
  }));
  impatientUrl = await impatient.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  clearInterval(mining);
  await site?.close();
  await impatient?.close();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await facilitator?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a settlement answer lost on the way back', () => {
  it('still serves the visitor, with one transfer, by asking again with the same key', async () => {
    const token = devnet.tokens[0]!;
    const before = await tokenBalance(devnet, token, merchantAddress);
    const first = await fetch(`${siteUrl}/article`, { headers: { accept: 'application/json' } });
    expect(first.status).toBe(402);
    const required = decodePaymentRequired(first.headers.get('payment-required')!);
    const payload = await createPaymentPayload(
      required.accepts[0]!,
      secretKeySigner(alice.secretKey),
    );
    const paid = await fetch(`${siteUrl}/article`, {
      headers: { 'payment-signature': encodePaymentSignature(payload) },
    });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ text: 'paid' });
    const receipt = paymentReceiptOf(paid);
    expect(receipt).toMatchObject({ success: true, network: devnet.network });

    // Two settle calls, one key: the second was answered the success the first had won.
    expect(settles).toHaveLength(2);
    expect(settles[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(settles[1]).toBe(settles[0]);
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(before + 50_000n);
  });

  it("serves a visitor's retry whose first settle timed out on the site after the facilitator settled", async () => {
    const token = devnet.tokens[0]!;
    const before = await tokenBalance(devnet, token, merchantAddress);
    const first = await fetch(`${impatientUrl}/article`, {
      headers: { accept: 'application/json' },
    });
    const required = decodePaymentRequired(first.headers.get('payment-required')!);
    const payload = await createPaymentPayload(
      required.accepts[0]!,
      secretKeySigner(alice.secretKey),
    );
    const headers = { 'payment-signature': encodePaymentSignature(payload) };
    settleDelayMs = 1500;
    const lost = await fetch(`${impatientUrl}/article`, { headers });
    expect(lost.status).toBe(503);
    settleDelayMs = 0;
    // The payment went through meanwhile; the same payment again is served, not refused.
    const again = await fetch(`${impatientUrl}/article`, { headers });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ text: 'paid' });
    expect(paymentReceiptOf(again)).toMatchObject({ success: true });
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(before + 50_000n);
  });
});
