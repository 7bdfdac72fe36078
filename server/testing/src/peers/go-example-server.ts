// An emulator of the example resource server of make-software/casper-x402 (a Gin app with the
// upstream x402 Gin middleware), for interop tests. Written from reading, not copying, the
// repository at commit 93ea250 (2026-05-25, the newest snapshot read; examples/server/main.go last
// changed in 03e7660, which only added log lines, and still prices every route at amount
// "10000" with extra {name: "Cep18x402", decimals: "2"}; the repository has no go/examples/):
//   examples/server/main.go, examples/server/config.go     (routes, price, extra, auth header)
//   x402/mechanisms/casper/exact/server/scheme.go          (ParsePrice, EnhancePaymentRequirements)
//   docs/api-reference.md §2, docs/user-guide.md           (documented behaviour, env variables)
// and the upstream Go x402 library it runs on (x402-foundation/x402 go/http/gin/middleware.go,
// go/http/server.go, go/http/facilitator_client.go, go/server.go, go/types/v2.go; go.mod pins
// go v0.0.0-20260413175630-11206b0fe4c3), plus gin-contrib/cors v1.7.7 as main.go configures it.
//
// What it reproduces:
// - Start-up: GET <facilitator>/supported, sending `Authorization: <FACILITATOR_API_KEY>`
//   verbatim (no "Bearer") when a key is set, on /supported, /verify and /settle alike. If that
//   call fails the server still starts (Go prints a warning) and every payment is then refused
//   with "no_facilitator_for_network: …"; it does not retry.
// - GET /weather?city=…, priced by the example's money parser: amount "10000" of ASSET_PACKAGE
//   (a "hash-" prefix stripped) with extra {decimals: "2", name: "Cep18x402", symbol: "X402",
//   version: "1"} — decimals as a STRING —, maxTimeoutSeconds 60 (the library default: the
//   route sets none), payTo PAYEE_ADDRESS; resource {url: the request URL with its query,
//   description "Get weather data for a city", mimeType "application/json"}. Requirements go
//   out in Go's field order (scheme, network, asset, amount, payTo, maxTimeoutSeconds, extra)
//   and the facilitator's feePayer is not copied into them (no extension keys are passed).
// - Unpaid: 402 with PAYMENT-REQUIRED (base64 JSON {x402Version: 2, error: "Payment required",
//   resource, accepts}) and a JSON body `null`. A browser (Accept has text/html and the
//   User-Agent has Mozilla) gets an HTML paywall page instead, and no PAYMENT-REQUIRED header:
//   the Go library puts the requirements only into a window.x402 script (its EVM template; the
//   page here is a small stand-in with the same injected object).
// - Paid: only PAYMENT-SIGNATURE is read (no X-PAYMENT); bad base64/JSON or a non-v2 payload →
//   400 {"error":"Invalid payment"}; an `accepted` that matches no requirement on scheme,
//   network, amount, asset and payTo → 402 "No matching payment requirements"; then POST
//   /verify {x402Version, paymentPayload, paymentRequirements} with the server's own
//   requirements. A refusal → 402 whose PaymentRequired.error is the VerifyError text
//   ("<reason>: <message>"); an HTTP error → "facilitator verify failed (<status>): <body>".
//   (The upstream client returns an isValid:false answer without an error; this emulator
//   treats it as the refusal it is, as the resource server would once settle re-verifies.)
// - After the handler ran: POST /settle. Success → 200 with the content, PAYMENT-RESPONSE
//   (base64 of the SettleResponse as Go re-marshals it) and Cache-Control: private. Failure →
//   402, body {}, PAYMENT-RESPONSE {success: false, errorReason, transaction: "", network,
//   payer} — errorMessage is dropped, and an HTTP or transport error becomes the errorReason
//   text. A settle answer without `transaction` or `network` is "invalid data" to the Go client.
// - One 30 s deadline covers verify, handler and settle (the middleware's context timeout).
// - CORS for every origin: Access-Control-Allow-Origin *, Expose-Headers
//   Payment-Required,Payment-Response; preflight 204 with methods GET,POST,OPTIONS, headers
//   Accept,Authorization,Content-Type,Origin,Payment-Signature, max-age 86400.
// - GET /health → {"status":"ok","version":"2.0.0"}; other paths → Gin's 404 text.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  detectVersion,
  type GoPayload,
  type GoRequirements,
  ginJson,
  ginNotFound,
  goMarshal,
  goPayload,
  goStruct,
  marshalPayload,
  marshalRequirements,
  serveGin,
} from './go-wire.js';

/** What the example's money parser returns for every price. */
export const GO_EXAMPLE_AMOUNT = '10000';
export const GO_EXAMPLE_EXTRA = { name: 'Cep18x402', symbol: 'X402', version: '1', decimals: '2' };
export const GO_EXAMPLE_DESCRIPTION = 'Get weather data for a city';
/** x402ResourceServer's default when a route sets no maxTimeoutSeconds. */
export const GO_DEFAULT_MAX_TIMEOUT_SECONDS = 60;

const WEATHER: Record<string, { weather: string; temperature: number }> = {
  Barcelona: { weather: 'sunny', temperature: 45 },
  'San Francisco': { weather: 'foggy', temperature: 60 },
  'New York': { weather: 'cloudy', temperature: 55 },
  London: { weather: 'rainy', temperature: 50 },
  Tokyo: { weather: 'clear', temperature: 65 },
};

export interface GoExampleServerOptions {
  /** FACILITATOR_URL. */
  facilitatorUrl: string;
  /** FACILITATOR_API_KEY: sent verbatim as the Authorization header. */
  facilitatorApiKey?: string;
  /** PAYEE_ADDRESS: `00` + account hash. */
  payTo: string;
  /** CAIP2_CHAIN_ID. */
  network: string;
  /** ASSET_PACKAGE: the token's package hash (a `hash-` prefix is stripped). */
  assetPackage: string;
  host?: string;
  port?: number;
}

export interface FacilitatorCall {
  path: string;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  response: string;
}

export interface GoExampleServer {
  url: string;
  /** What GET /supported at start-up failed with, if it did. */
  initError: string | undefined;
  /** Every call made to the facilitator. */
  readonly facilitatorCalls: FacilitatorCall[];
  close(): Promise<void>;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** base64.StdEncoding.DecodeString: padded standard alphabet only. */
function decodeStdBase64(text: string): string {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new Error('illegal base64 data');
  }
  return Buffer.from(text, 'base64').toString('utf8');
}

/** The stand-in for the library's paywall template, with the window.x402 object it injects. */
function paywallHtml(paymentRequired: unknown, amount: string, currentUrl: string): string {
  const display = Number(amount) / 1_000_000; // the Go library assumes 6 decimals here
  const config = `<script>
    window.x402 = {
      paymentRequired: ${goMarshal(paymentRequired)},
      appName: "",
      appLogo: "",
      amount: ${display.toFixed(6)},
      testnet: false,
      displayAmount: ${display.toFixed(2)},
      currentUrl: "${currentUrl.replace(/&/g, '&amp;').replace(/"/g, '&#34;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}"
    };
  </script>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Payment Required</title>
${config}
</head><body><h1>Payment Required</h1><p>Connect a wallet to pay for this resource.</p></body></html>`;
}

export async function startGoExampleServer(
  options: GoExampleServerOptions,
): Promise<GoExampleServer> {
  const base = options.facilitatorUrl.replace(/\/+$/, '');
  const asset = options.assetPackage.replaceAll('hash-', '');
  const facilitatorCalls: FacilitatorCall[] = [];
  const authHeaders: Record<string, string> = options.facilitatorApiKey
    ? { Authorization: options.facilitatorApiKey }
    : {};

  const callFacilitator = async (
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
  ) => {
    const headers = { 'Content-Type': 'application/json', ...authHeaders };
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: goMarshal(body) } : {}),
      signal,
    });
    const text = await response.text();
    facilitatorCalls.push({ path, headers, body, status: response.status, response: text });
    return { status: response.status, text };
  };

  // Initialize: the facilitator's supported kinds decide whether payments can be handled.
  let supportsNetwork = false;
  let initError: string | undefined;
  try {
    const { status, text } = await callFacilitator(
      'GET',
      '/supported',
      undefined,
      AbortSignal.timeout(30_000),
    );
    if (status !== 200) {
      throw new Error(`facilitator supported failed (${status}): ${text.slice(0, 200)}`);
    }
    const kinds = (JSON.parse(text) as { kinds?: Array<Record<string, unknown>> }).kinds ?? [];
    supportsNetwork = kinds.some(
      (kind) =>
        kind.x402Version === 2 && kind.scheme === 'exact' && kind.network === options.network,
    );
    if (!supportsNetwork) {
      // A route the facilitator cannot serve is a fatal configuration error in Go: exit(1).
      throw new Error(
        `x402 Route Configuration Errors: Facilitator does not support scheme "exact" on network "${options.network}"`,
      );
    }
  } catch (error) {
    initError = `failed to get supported from facilitator: ${(error as Error).message}`;
    if ((error as Error).message.startsWith('x402 Route Configuration Errors')) throw error;
  }

  const requirements: GoRequirements = {
    scheme: 'exact',
    network: options.network,
    asset,
    amount: GO_EXAMPLE_AMOUNT,
    payTo: options.payTo,
    maxTimeoutSeconds: GO_DEFAULT_MAX_TIMEOUT_SECONDS,
    extra: { ...GO_EXAMPLE_EXTRA },
  };

  const paymentRequired = (url: string, error: string) =>
    goStruct([
      ['x402Version', 2],
      ['error', error, 'omitempty'],
      [
        'resource',
        goStruct([
          ['url', url],
          ['description', GO_EXAMPLE_DESCRIPTION, 'omitempty'],
          ['mimeType', 'application/json', 'omitempty'],
        ]),
      ],
      ['accepts', [marshalRequirements(requirements)]],
    ]);

  const send402 = (res: ServerResponse, url: string, error: string) => {
    res.setHeader('PAYMENT-REQUIRED', b64(goMarshal(paymentRequired(url, error))));
    ginJson(res, 402, null);
  };

  /** The text of a Go error from verify: a VerifyError prints "<reason>: <message>". */
  const verifyPayment = async (payload: GoPayload, signal: AbortSignal): Promise<string | null> => {
    if (!supportsNetwork) {
      return `no_facilitator_for_network: no facilitator for exact on ${options.network}`;
    }
    let answer: { status: number; text: string };
    try {
      answer = await callFacilitator(
        'POST',
        '/verify',
        {
          x402Version: payload.x402Version,
          paymentPayload: marshalPayload(payload),
          paymentRequirements: marshalRequirements(requirements),
        },
        signal,
      );
    } catch (error) {
      return `verify request failed: Post "${base}/verify": ${(error as Error).message}`;
    }
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const verifyError = (reason: string, message: unknown) =>
      typeof message === 'string' && message !== '' ? `${reason}: ${message}` : reason;
    if (answer.status !== 200) {
      if (body && typeof body.invalidReason === 'string' && body.invalidReason !== '') {
        return verifyError(body.invalidReason, body.invalidMessage);
      }
      return `facilitator verify failed (${answer.status}): ${answer.text}`;
    }
    if (!body || typeof body.isValid !== 'boolean') {
      return `facilitator verify returned invalid data: ${answer.text.slice(0, 200)}`;
    }
    if (!body.isValid) {
      return verifyError(String(body.invalidReason ?? 'invalid_payment'), body.invalidMessage);
    }
    return null;
  };

  /** ProcessSettlement: the PAYMENT-RESPONSE to send, and whether it succeeded. */
  const settlePayment = async (payload: GoPayload, signal: AbortSignal) => {
    const failure = (errorReason: string, network: string, payer = '') => ({
      success: false,
      header: goStruct([
        ['success', false],
        ['errorReason', errorReason, 'omitempty'],
        ['payer', payer, 'omitempty'],
        ['transaction', ''],
        ['network', network],
      ]),
    });
    let answer: { status: number; text: string };
    try {
      answer = await callFacilitator(
        'POST',
        '/settle',
        {
          x402Version: payload.x402Version,
          paymentPayload: marshalPayload(payload),
          paymentRequirements: marshalRequirements(requirements),
        },
        signal,
      );
    } catch (error) {
      const why = signal.aborted ? 'context deadline exceeded' : (error as Error).message;
      return failure(`settle request failed: Post "${base}/settle": ${why}`, options.network);
    }
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    if (answer.status !== 200) {
      if (body && typeof body.errorReason === 'string' && body.errorReason !== '') {
        return failure(
          `${body.errorReason}: facilitator returned ${answer.status}`,
          options.network,
        );
      }
      return failure(
        `facilitator settle failed (${answer.status}): ${answer.text}`,
        options.network,
      );
    }
    if (
      !body ||
      typeof body.success !== 'boolean' ||
      typeof body.transaction !== 'string' ||
      typeof body.network !== 'string'
    ) {
      return failure(
        `facilitator settle returned invalid data: ${answer.text.trim().slice(0, 200)}`,
        options.network,
      );
    }
    const payer = typeof body.payer === 'string' ? body.payer : '';
    if (!body.success) {
      return failure(String(body.errorReason ?? ''), body.network, payer);
    }
    return {
      success: true,
      header: goStruct([
        ['success', true],
        ['payer', payer, 'omitempty'],
        ['transaction', body.transaction],
        ['network', body.network],
        ['amount', typeof body.amount === 'string' ? body.amount : '', 'omitempty'],
        ['extensions', body.extensions, 'omitempty'],
        ['extra', body.extra, 'omitempty'],
      ]),
    };
  };

  const cors = (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    if (!origin) return false;
    const host = req.headers.host ?? '';
    if (origin === `http://${host}` || origin === `https://${host}`) return false;
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET,POST,OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        'Accept,Authorization,Content-Type,Origin,Payment-Signature',
      );
      res.setHeader('Access-Control-Max-Age', '86400');
      res.statusCode = 204;
      res.end();
      return true;
    }
    res.setHeader('Access-Control-Expose-Headers', 'Payment-Required,Payment-Response');
    return false;
  };

  const weather = (city: string) => {
    const data = WEATHER[city] ?? { weather: 'sunny', temperature: 70 };
    // gin.H is a Go map: its keys go out sorted.
    return {
      city,
      temperature: data.temperature,
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      weather: data.weather,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (cors(req, res)) return;
    const target = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const path = target.pathname.replace(/\/+$/, '') || '/';
    if (req.method === 'GET' && path === '/health') {
      return ginJson(res, 200, { status: 'ok', version: '2.0.0' });
    }
    if (req.method !== 'GET' || path !== '/weather') return ginNotFound(res);

    const deadline = AbortSignal.timeout(30_000);
    const resourceUrl = `http://${req.headers.host ?? ''}${req.url ?? '/'}`;
    const header = req.headers['payment-signature'];
    if (header === undefined || header === '') {
      const accept = req.headers.accept ?? '';
      const agent = req.headers['user-agent'] ?? '';
      if (accept.includes('text/html') && agent.includes('Mozilla')) {
        const html = paywallHtml(
          paymentRequired(resourceUrl, 'Payment required'),
          requirements.amount,
          resourceUrl,
        );
        res.statusCode = 402;
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        return res.end(html);
      }
      return send402(res, resourceUrl, 'Payment required');
    }

    let payload: GoPayload;
    try {
      const raw = JSON.parse(decodeStdBase64(Array.isArray(header) ? header[0]! : header));
      if (detectVersion(raw) !== 2) throw new Error('only V2 payments supported');
      payload = goPayload(raw);
    } catch {
      return ginJson(res, 400, { error: 'Invalid payment' });
    }
    const a = payload.accepted;
    const matches =
      a.scheme === requirements.scheme &&
      a.network === requirements.network &&
      a.amount === requirements.amount &&
      a.asset === requirements.asset &&
      a.payTo === requirements.payTo;
    if (!matches) return send402(res, resourceUrl, 'No matching payment requirements');

    const refusal = await verifyPayment(payload, deadline);
    if (refusal !== null) return send402(res, resourceUrl, refusal);

    // The handler runs, its output is held back until settlement.
    const content = weather(target.searchParams.get('city') ?? 'Barcelona');
    const settled = await settlePayment(payload, deadline);
    res.setHeader('PAYMENT-RESPONSE', b64(goMarshal(settled.header)));
    if (!settled.success) return ginJson(res, 402, {});
    res.setHeader('Cache-Control', 'private');
    return ginJson(res, 200, content);
  };

  const { url, close } = await serveGin(handle, options.host, options.port);
  return {
    url,
    initError,
    facilitatorCalls,
    close,
  };
}
