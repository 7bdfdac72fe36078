import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Asset,
  type AssetInput,
  decodePaymentSignature,
  defaultAssetOf,
  describeRefusal,
  encodePaymentRequired,
  encodePaymentResponse,
  exactPayloadOf,
  findKnownAsset,
  isCasperNetwork,
  normalizeAddress,
  oneLine,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequirements,
  parseAmount,
  parseAsset,
  parseUint,
  type SettleResponse,
  type SupportedResponse,
  X402_VERSION,
  X402InputError,
} from '@x402-casper/shared';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
  onRouteHookHandler,
  onSendAsyncHookHandler,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { AuthorizationClaims } from './claims.js';
import {
  FacilitatorClient,
  type FacilitatorOptions,
  FacilitatorRejectedError,
  FacilitatorResponseError,
  FacilitatorUnavailableError,
} from './facilitator-client.js';
import { paywallPage } from './page.js';

/** Per-route settings: `{ config: { x402: { price: '0.01', description: '…' } } }`. */
export interface PaidRoute {
  /**
   * Price in token units, e.g. "0.01"; or in dollars, "$0.01", where the asset is a dollar
   * stablecoin the paywall knows (csprUSD, the default on casper:casper and casper:casper-test).
   */
  price: string;
  description?: string;
  /** MIME type of the paid content, for clients. */
  mimeType?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    x402?: PaidRoute;
  }
}

/** The token a paywall charges in: the shared asset, as written (domain name and version may be left out). */
export type PaywallAsset = AssetInput;

export interface PaywallOptions {
  facilitator: FacilitatorOptions | FacilitatorClient;
  /** CAIP-2 id, e.g. casper:casper-test. */
  network: string;
  /** Who gets paid: `00` + account hash (or `account-hash-…`). */
  payTo: string;
  /**
   * The token prices are in. Optional on casper:casper and casper:casper-test, where it
   * defaults to csprUSD (see KNOWN_ASSETS); required on any other network.
   */
  asset?: PaywallAsset;
  /** How long an authorization may stay valid; default 300 s. */
  maxTimeoutSeconds?: number;
  /** How long the facilitator's /supported answer is reused; default 5 minutes. */
  supportedCacheMs?: number;
  /** Allowed CORS origin for paid routes (`*` by default); `false` sends no CORS headers. */
  corsOrigin?: string | false;
}

const X402_HEADERS = [PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER].join(', ');
/** The request headers a paying client sends cross-origin, allowed by the preflight. */
const ALLOWED_HEADERS = 'content-type, authorization, payment-signature, x-payment';

/** Marks the config of a route the paywall has hooked (see paidRouteGuard). */
const HOOKED = Symbol('x402-casper-paywall hooked');

interface Verified {
  payload: PaymentPayload;
  requirements: PaymentRequirements;
  /** The key of this payment's claim in AuthorizationClaims. */
  claim: string;
  /** One per paid request: its settle calls, retried, carry it as `Idempotency-Key`. */
  idempotencyKey: string;
  requestId: string;
  /**
   * Already settled before the handler ran (an earlier request's settlement, collected with
   * this authorization's key): nothing is settled after it, and should the handler fail, the
   * same payment may be sent again, its key answered the same success.
   */
  settled?: SettleResponse;
}

const PENDING = 'settlement_pending';
const NONCE_USED = 'invalid_exact_casper_nonce_used';
const UNEXPECTED = 'unexpected_settle_error';
/** How often a settle call lost on the way (timeout, dropped connection) is sent again. */
const LOST_SETTLE_RETRIES = 2;
/** The 402's words for a payment whose settlement is not final yet. */
const SETTLEMENT_PENDING =
  'settlement pending: the payment was submitted but is not final yet; retry with the same payment to receive the content';
/** Pause between settle calls that answered `settlement_pending` or were lost. */
const PENDING_PAUSE_MS = 1000;

/** Which authorization a payload spends, and until when it can be settled. */
function claimOf(payload: PaymentPayload): { claim: string; expiresAtMs: number } {
  const { authorization } = exactPayloadOf(payload);
  const validBefore = Number(
    parseUint(authorization.validBefore, 'payload.authorization.validBefore', 64),
  );
  const claim = [
    payload.accepted.network,
    payload.accepted.asset,
    authorization.from,
    authorization.nonce,
  ]
    .join(':')
    .toLowerCase();
  return { claim, expiresAtMs: Math.min(validBefore * 1000, Number.MAX_SAFE_INTEGER) };
}

/** The token of `network` a paywall charges in when its options name none. */
function defaultPaywallAsset(network: string): Asset {
  const known = defaultAssetOf(network);
  if (!known) {
    throw new X402InputError(
      'paywall.asset',
      `is required on ${network}: only casper:casper and casper:casper-test have a default token (csprUSD)`,
    );
  }
  return known;
}

/**
 * A route's price in atomic units of `asset`: token units ("0.01"), or dollars ("$0.01") when
 * `asset` is a dollar stablecoin known on `network` (csprUSD), converted by its decimals.
 */
function atomicPrice(price: string, asset: Asset, network: string, field: string): bigint {
  if (typeof price !== 'string' || !price.startsWith('$')) {
    return parseAmount(price, asset.decimals, field);
  }
  if (!findKnownAsset(network, asset.packageHash)?.usd) {
    throw new X402InputError(
      field,
      `is in dollars, but the paywall's asset (${asset.symbol ?? asset.packageHash}) is not a dollar stablecoin it knows on ${network} (csprUSD on casper:casper and casper:casper-test): give the price in token units, e.g. "0.01"`,
    );
  }
  return parseAmount(price.slice(1), asset.decimals, field);
}

function checkOptions(options: PaywallOptions): { payTo: string; asset: Asset } {
  if (!isCasperNetwork(options.network))
    throw new X402InputError('paywall.network', 'must be a Casper CAIP-2 id');
  const payTo = normalizeAddress(options.payTo, 'paywall.payTo');
  const asset = options.asset
    ? parseAsset(options.asset, 'paywall.asset')
    : defaultPaywallAsset(options.network);
  return { payTo, asset };
}

/**
 * Fastify plugin that charges for routes marked with `config.x402`: answers 402 with
 * PAYMENT-REQUIRED (JSON, or an HTML paywall page for browsers), verifies PAYMENT-SIGNATURE
 * (or X-PAYMENT) with the facilitator before the handler runs, and settles before the response
 * leaves. Handler errors are never settled. Its hooks are attached to the paid routes only, which
 * also get the CORS headers and, per path, an OPTIONS route answering the preflight.
 */
async function paywallPlugin(app: FastifyInstance, options: PaywallOptions): Promise<void> {
  const { payTo, asset } = checkOptions(options);
  const client =
    options.facilitator instanceof FacilitatorClient
      ? options.facilitator
      : new FacilitatorClient(options.facilitator, 'paywall.facilitator');
  const cacheMs = options.supportedCacheMs ?? 5 * 60_000;
  const corsOrigin = options.corsOrigin ?? '*';
  const verified = new WeakMap<FastifyRequest, Verified>();
  const claims = new AuthorizationClaims();
  const settleBudgetMs = client.settleTimeoutMs;

  /**
   * Settles, asking again while the facilitator answers `settlement_pending` or the call is
   * lost on the way (no answer in time, a dropped connection, an HTTP 429 or 5xx, an answer
   * that cannot be read), within the budget. Every call carries the request's idempotency key,
   * so a success whose answer was lost is answered again.
   */
  const settleUntilFinal = async (payment: Verified): Promise<SettleResponse> => {
    const { payload, requirements, idempotencyKey, requestId } = payment;
    const deadline = Date.now() + settleBudgetMs;
    const settleOnce = () => client.settle(payload, requirements, { idempotencyKey, requestId });
    let lost = 0;
    for (;;) {
      try {
        const receipt = await settleOnce();
        if (receipt.success) return receipt;
        // The facilitator failed on its side (e.g. its database's answer was lost): the same
        // key may still be answered the success.
        const time = Date.now() + PENDING_PAUSE_MS < deadline;
        if (receipt.errorReason === UNEXPECTED && lost < LOST_SETTLE_RETRIES && time) {
          lost += 1;
        } else if (receipt.errorReason !== PENDING || !time) {
          return receipt;
        }
      } catch (error) {
        // Lost on the way, or answered by something in between: the same key may still be
        // answered the settlement's success.
        const lostCall =
          error instanceof FacilitatorUnavailableError ||
          (error instanceof FacilitatorResponseError && error.transient);
        if (!lostCall) throw error;
        lost += 1;
        if (lost > LOST_SETTLE_RETRIES || Date.now() + PENDING_PAUSE_MS >= deadline) throw error;
      }
      await sleep(PENDING_PAUSE_MS);
    }
  };
  let supported: { at: number; value: Promise<SupportedResponse> } | undefined;

  const supportsNetwork = async () => {
    if (!supported || Date.now() - supported.at > cacheMs) {
      const value = client.supported();
      supported = { at: Date.now(), value };
      value.catch(() => {
        supported = undefined;
      });
    }
    const answer = await supported.value;
    return answer.kinds.some(
      (k) =>
        k.scheme === 'exact' && k.network === options.network && k.x402Version === X402_VERSION,
    );
  };

  const requirementsFor = (route: PaidRoute): PaymentRequirements => ({
    scheme: 'exact',
    network: options.network,
    amount: atomicPrice(route.price, asset, options.network, 'price').toString(),
    asset: asset.packageHash,
    payTo,
    maxTimeoutSeconds: options.maxTimeoutSeconds ?? 300,
    extra: {
      // extra.name is the EIP-712 domain name, which may differ from the CEP-18 name.
      name: asset.domainName,
      version: asset.version,
      decimals: asset.decimals,
      ...(asset.symbol ? { symbol: asset.symbol } : {}),
    },
  });

  const paymentRequired = (
    request: FastifyRequest,
    route: PaidRoute,
    error: string,
  ): PaymentRequired => ({
    x402Version: X402_VERSION,
    error,
    resource: {
      url: `${request.protocol}://${request.host}${request.url}`,
      ...(route.description ? { description: route.description } : {}),
      ...(route.mimeType ? { mimeType: route.mimeType } : {}),
    },
    accepts: [requirementsFor(route)],
  });

  const send402 = (
    request: FastifyRequest,
    reply: FastifyReply,
    route: PaidRoute,
    error: string,
  ) => {
    const required = paymentRequired(request, route, error);
    reply.code(402).header(PAYMENT_REQUIRED_HEADER, encodePaymentRequired(required));
    const wantsHtml =
      /text\/html/.test(request.headers.accept ?? '') &&
      !/application\/json/.test(request.headers.accept ?? '');
    return wantsHtml
      ? reply.type('text/html; charset=utf-8').send(paywallPage(required))
      : reply.send(required);
  };

  const facilitatorFailure = (reply: FastifyReply, error: unknown) => {
    if (error instanceof FacilitatorUnavailableError)
      return { status: 503, message: error.message };
    if (error instanceof FacilitatorResponseError) return { status: 502, message: error.message };
    reply.log.error({ err: error }, 'paywall: unexpected facilitator error');
    return { status: 502, message: 'the payment facilitator failed' };
  };

  /** On every response of a paid route (its 402s too): a page elsewhere may read the x402 headers. */
  /**
   * The one hook every route of the instance runs, a check of its config: a paid route gets
   * its CORS headers here, before any hook of the site's scopes (so a site's own refusal of a
   * cross-origin request can be read by the page), and a paid route the paywall never hooked
   * (declared before the plugin was registered, or without awaiting its registration) is
   * refused with a 500 rather than served for free.
   */
  const paidRouteGuard: onRequestAsyncHookHandler = async (request, reply) => {
    const config = request.routeOptions.config;
    if (!config.x402) return;
    if (!(config as unknown as Record<symbol, unknown>)[HOOKED]) {
      request.log.error(
        { url: request.routeOptions.url },
        'paywall: a priced route was declared before x402Paywall was registered; refusing it',
      );
      return reply.code(500).send({
        error:
          'this route is priced (config.x402) but the x402 paywall was not registered before it: await app.register(x402Paywall, …) before declaring paid routes',
      });
    }
    if (corsOrigin === false) return;
    reply.header('access-control-allow-origin', corsOrigin);
    reply.header('access-control-expose-headers', X402_HEADERS);
  };

  /** Before the handler: a 402 without a payment, else the facilitator's verdict on it. */
  const verifyPayment: preHandlerAsyncHookHandler = async (request, reply) => {
    const route = request.routeOptions.config.x402;
    if (!route) return;
    const header = request.headers['payment-signature'] ?? request.headers['x-payment'];
    if (header === undefined) return send402(request, reply, route, 'payment required');
    let payload: PaymentPayload;
    let claim: string;
    let expiresAtMs: number;
    try {
      payload = decodePaymentSignature(Array.isArray(header) ? header[0] : header);
      ({ claim, expiresAtMs } = claimOf(payload));
    } catch (error) {
      return send402(request, reply, route, `invalid payment: ${(error as Error).message}`);
    }
    if (!claims.claim(claim, expiresAtMs)) {
      return send402(
        request,
        reply,
        route,
        'this payment is already being used for another request',
      );
    }
    const requirements = requirementsFor(route);
    try {
      if (!(await supportsNetwork())) {
        claims.release(claim);
        return reply
          .code(503)
          .send({ error: `the facilitator does not support ${options.network}` });
      }
      const verdict = await client.verify(payload, requirements, { requestId: request.id });
      if (verdict.isValid) {
        verified.set(request, {
          payload,
          requirements,
          claim,
          idempotencyKey: claims.idempotencyKey(claim, expiresAtMs),
          requestId: request.id,
        });
        return;
      }
      if (verdict.invalidReason === NONCE_USED) {
        // Settled after an earlier request of ours was told "pending" (or lost its answer):
        // the facilitator hands out that settlement's success to our idempotency key, kept
        // for this authorization, so this request is the one to deliver.
        const payment = {
          payload,
          requirements,
          claim,
          idempotencyKey: claims.idempotencyKey(claim, expiresAtMs),
          requestId: request.id,
        };
        const receipt = await settleUntilFinal(payment);
        if (receipt.success) {
          verified.set(request, { ...payment, settled: receipt });
          return;
        }
        if (receipt.errorReason === PENDING) {
          // Still settling: the payment is not spent on anything else, and the same one sent
          // again collects it.
          claims.release(claim);
          reply.header(PAYMENT_RESPONSE_HEADER, encodePaymentResponse(receipt));
          return send402(request, reply, route, SETTLEMENT_PENDING);
        }
      }
      claims.release(claim);
      return send402(
        request,
        reply,
        route,
        describeRefusal(verdict.invalidReason, verdict.invalidMessage),
      );
    } catch (error) {
      claims.release(claim);
      if (error instanceof FacilitatorRejectedError) {
        return send402(
          request,
          reply,
          route,
          error.reason !== undefined
            ? describeRefusal(error.reason, error.detail)
            : `invalid payment: ${error.message}`,
        );
      }
      const failure = facilitatorFailure(reply, error);
      return reply.code(failure.status).send({ error: failure.message });
    }
  };

  /** Before the response leaves: settles a verified payment, or releases it when the handler failed. */
  const settlePayment: onSendAsyncHookHandler = async (request, reply, body) => {
    const payment = verified.get(request);
    if (!payment) return body;
    verified.delete(request);
    if (reply.statusCode >= 400) {
      // The handler failed: nothing was delivered, nothing is charged (a payment settled
      // before the handler is delivered when sent again: its key is answered the same success).
      claims.release(payment.claim);
      return body;
    }
    if (payment.settled) {
      reply.header(PAYMENT_RESPONSE_HEADER, encodePaymentResponse(payment.settled));
      return body;
    }
    let receipt: SettleResponse;
    const route = request.routeOptions.config.x402;
    if (!route) return body;
    try {
      receipt = await settleUntilFinal(payment);
    } catch (error) {
      claims.release(payment.claim);
      if (error instanceof FacilitatorRejectedError) {
        // Refused as malformed at settlement: nothing was charged, the payment is not accepted.
        const text = `settlement failed: ${
          error.reason !== undefined
            ? describeRefusal(error.reason, error.detail)
            : `the facilitator refused it: ${oneLine(error.message)}`
        }`;
        const required = paymentRequired(request, route, text);
        reply
          .code(402)
          .header(PAYMENT_REQUIRED_HEADER, encodePaymentRequired(required))
          .type('application/json; charset=utf-8');
        return JSON.stringify(required);
      }
      const failure = facilitatorFailure(reply, error);
      reply.code(failure.status).type('application/json; charset=utf-8');
      return JSON.stringify({ error: failure.message });
    }
    reply.header(PAYMENT_RESPONSE_HEADER, encodePaymentResponse(receipt));
    if (receipt.success) return body;
    // Not paid (yet): a retry with the same payment may collect the settlement, which the
    // facilitator reports as a success only once.
    claims.release(payment.claim);
    const reason =
      receipt.errorReason === PENDING
        ? SETTLEMENT_PENDING
        : `settlement failed: ${describeRefusal(receipt.errorReason, receipt.errorMessage)}`;
    const required = paymentRequired(request, route, reason);
    reply
      .code(402)
      .header(PAYMENT_REQUIRED_HEADER, encodePaymentRequired(required))
      .type('application/json; charset=utf-8');
    return JSON.stringify(required);
  };

  /** The preflight route of each paid path, by its full URL, with the methods paid there. */
  const preflights = new Map<string, Set<string>>();

  const preflightRoute = (route: PaidRouteOptions) => {
    const methods = [route.method].flat().map((method) => method.toUpperCase());
    // A paid route that takes OPTIONS itself answers it, as the site wrote it.
    if (methods.includes('OPTIONS')) return;
    const known = preflights.get(route.url);
    if (known) {
      for (const method of methods) known.add(method);
      return;
    }
    // The site's own OPTIONS route, registered before, stays the site's. One registered after
    // the paid route collides with the preflight route (Fastify refuses it as a duplicate), so
    // a site answering OPTIONS itself on a paid path registers that route first.
    if (app.hasRoute({ url: pathOnApp(route.url), method: 'OPTIONS' })) return;
    const paidMethods = new Set(methods);
    preflights.set(route.url, paidMethods);
    const preflight = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply
        .code(204)
        .header('access-control-allow-origin', corsOrigin)
        .header('access-control-allow-methods', [...paidMethods, 'OPTIONS'].join(', '))
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .send();
    // Registered on the paywall's own instance, not in the paid route's scope: a browser's
    // preflight carries no credentials, so the site's scope hooks (a login check) must not
    // answer it. A route at `/` under a prefix answers at `/prefix` and `/prefix/` by default.
    const urls =
      route.routePath === '' && route.prefixTrailingSlash !== 'no-slash'
        ? route.prefixTrailingSlash === 'slash'
          ? [`${route.url}/`]
          : [route.url, `${route.url}/`]
        : [route.url];
    for (const url of urls) app.options(pathOnApp(url), preflight);
  };

  /** A full URL as a route of the paywall's instance (which adds its own prefix). */
  const pathOnApp = (url: string) => url.slice(app.prefix.length) || '/';

  app.addHook('onRequest', paidRouteGuard);

  // The paywall's hooks go on the paid routes only: an unpaid route runs none of them. The hook
  // sees the routes of the instance it is registered on and of every scope registered in it
  // afterwards.
  app.addHook('onRoute', (route) => {
    const paid = route.config?.x402;
    if (!paid) return;
    // A bad price fails at start-up, naming the route.
    const field = `${[route.method].flat().join(',')} ${route.url} config.x402.price`;
    atomicPrice(paid.price, asset, options.network, field);
    route.config = { ...route.config, [HOOKED]: true } as typeof route.config;
    // After the site's own route hooks: a site hook that answers (a login check, say) answers
    // before any payment is asked or verified.
    route.preHandler = [...hooksOf(route.preHandler), verifyPayment];
    // Settlement first among the route's onSend hooks: the site's own route-level onSend hooks
    // (and Fastify's, which empties HEAD bodies) then see the response as it leaves, settled or
    // turned into a 402, and a hook that transforms the body (compression, say) transforms the
    // body actually sent rather than having its output replaced by the paywall's 402. (So a
    // site onSend hook that fails does so after settlement: only handler errors go unsettled.
    // onSend hooks a site adds to a scope with addHook run before the route's, so before it.)
    route.onSend = [settlePayment, ...hooksOf(route.onSend)];
    if (corsOrigin !== false) preflightRoute(route);
  });
}

/** The options an onRoute hook is handed. */
type PaidRouteOptions = Parameters<onRouteHookHandler>[0];

/** A route option's hooks as a new array (`undefined`, one function or an array), the site's own untouched. */
function hooksOf<Hook>(hooks: Hook | Hook[] | undefined): Hook[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? [...hooks] : [hooks];
}

/**
 * The paywall, as a fastify-plugin plugin named `x402-casper-paywall` (Fastify 5): not
 * encapsulated, so it sees the routes of the instance it is registered on.
 */
export const x402Paywall: FastifyPluginAsync<PaywallOptions> = fp(paywallPlugin, {
  name: 'x402-casper-paywall',
  fastify: '5.x',
});
