import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  parseSettleRequest,
  parseVerifyRequest,
  type SettleResponse,
  verifyPayment,
} from '@x402-casper/shared';

export type SettleMode =
  | 'success'
  | 'slow'
  | 'failure'
  | 'always-pending'
  | 'pending-then-success'
  | 'gateway-error-then-success'
  | 'http-500'
  | 'http-400'
  | 'hang';

/**
 * A facilitator over real HTTP whose chain part is scripted: /verify runs the shared rules,
 * /settle answers as `mode` says. For the paywall's failure paths; the real facilitator is
 * exercised by the end-to-end tests.
 */
export async function startStubFacilitator() {
  const calls = { supported: 0, verify: 0, settle: 0 };
  const state = {
    mode: 'success' as SettleMode,
    network: 'casper:casper-test',
    pendingSeen: new Set<string>(),
    /** When set, /verify answers this instead of running the rules. */
    verifyAnswer: undefined as Record<string, unknown> | undefined,
    /** HTTP status /verify answers with; anything but 200 comes with an error body. */
    verifyStatus: 200,
    /** The error body of a /verify answered with verifyStatus. */
    verifyErrorBody: {
      error: 'invalid_request',
      message: 'body.paymentPayload: refused',
    } as Record<string, unknown>,
    /** When set, /settle answers this (after the mode's delay) instead of its receipt. */
    settleAnswer: undefined as Record<string, unknown> | undefined,
    /** When set, /supported answers this. */
    supportedAnswer: undefined as Record<string, unknown> | undefined,
    /** The Authorization header the stub wants. */
    authorization: 'Bearer test-key',
    /** Headers of the last request. */
    lastHeaders: {} as Record<string, string | string[] | undefined>,
  };
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    state.lastHeaders = req.headers;
    if (req.headers.authorization !== state.authorization)
      return reply(401, { error: 'unauthorized' });
    if (req.url === '/supported') {
      calls.supported++;
      return reply(
        200,
        state.supportedAnswer ?? {
          kinds: [{ x402Version: 2, scheme: 'exact', network: state.network }],
          extensions: [],
          signers: {},
        },
      );
    }
    if (req.url === '/verify') {
      calls.verify++;
      if (state.verifyStatus !== 200) return reply(state.verifyStatus, state.verifyErrorBody);
      const body = parseVerifyRequest(JSON.parse(text));
      return reply(
        200,
        state.verifyAnswer ?? verifyPayment(body.paymentPayload, body.paymentRequirements),
      );
    }
    if (req.url === '/settle') {
      calls.settle++;
      const body = parseSettleRequest(JSON.parse(text));
      const verdict = verifyPayment(body.paymentPayload, body.paymentRequirements);
      const network = body.paymentRequirements.network;
      const nonce = JSON.stringify(body.paymentPayload.payload);
      if (state.mode === 'hang') return; // never answers
      if (state.mode === 'http-500') return reply(500, { error: 'boom' });
      // A gateway in front of the facilitator answering 502 once for each payment (the
      // settlement may have gone through behind it).
      if (state.mode === 'gateway-error-then-success' && !state.pendingSeen.has(nonce)) {
        state.pendingSeen.add(nonce);
        return reply(502, { error: 'bad gateway' });
      }
      if (state.mode === 'http-400') return reply(400, { error: 'invalid request' });
      if (state.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 400));
      if (state.settleAnswer) return reply(200, state.settleAnswer);
      if (state.mode === 'always-pending') {
        return reply(200, {
          success: false,
          errorReason: 'settlement_pending',
          transaction: 'cd'.repeat(32),
          network,
        });
      }
      let receipt: SettleResponse = {
        success: true,
        transaction: 'cd'.repeat(32),
        network,
        payer: verdict.payer!,
      };
      if (state.mode === 'failure') {
        receipt = {
          success: false,
          errorReason: 'insufficient_funds',
          errorMessage: 'balance 0',
          transaction: '',
          network,
          payer: verdict.payer!,
        };
      }
      if (state.mode === 'pending-then-success' && !state.pendingSeen.has(nonce)) {
        state.pendingSeen.add(nonce);
        receipt = {
          success: false,
          errorReason: 'settlement_pending',
          transaction: 'cd'.repeat(32),
          network,
        };
      }
      return reply(200, receipt);
    }
    reply(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
