import {
  type PaymentPayload,
  type PaymentRequirements,
  parseSettleResponse,
  parseSupportedResponse,
  parseVerifyResponse,
  type SettleResponse,
  type SupportedResponse,
  type VerifyResponse,
  X402_VERSION,
  X402InputError,
} from '@x402-casper/shared';

export interface FacilitatorOptions {
  /** Base URL, e.g. http://127.0.0.1:4022 */
  url: string;
  /**
   * Sent verbatim as the `Authorization` header of every call: how a CSPR.cloud access token
   * is sent (`Authorization: <token>`), or any scheme a facilitator wants. Not with `apiKey`.
   */
  authorization?: string;
  /** Sent as `Authorization: Bearer <apiKey>` (an x402-casper facilitator's API key). */
  apiKey?: string;
  /** Extra headers sent on every call, e.g. `{ 'x-tenant': 'shop-1' }`. */
  headers?: Record<string, string>;
  /** Time limit for /supported and /verify; default 10 s. */
  timeoutMs?: number;
  /** Time limit for /settle, which waits for a block; default 90 s. */
  settleTimeoutMs?: number;
}

/** Per call: the site's request id, sent as `x-request-id` so both logs show one id. */
export interface CallOptions {
  requestId?: string;
}

/** The facilitator could not be reached or did not answer in time (→ 503). */
export class FacilitatorUnavailableError extends Error {
  override readonly name = 'FacilitatorUnavailableError';
}

/** The facilitator refused the request as malformed (HTTP 400): the client's payment is bad (→ 402). */
export class FacilitatorRejectedError extends Error {
  override readonly name = 'FacilitatorRejectedError';
  constructor(
    message: string,
    /** The reason code the refusal carried (`invalidReason` / `errorReason`), if any. */
    readonly reason?: string,
    /** Its message (`invalidMessage` / `errorMessage` / `message`), if any. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The facilitator answered, but not with a valid x402 response (→ 502). */
export class FacilitatorResponseError extends Error {
  override readonly name = 'FacilitatorResponseError';
  constructor(
    message: string,
    /**
     * Whether the same call may be answered otherwise when sent again: an HTTP 429 or 5xx (a
     * gateway's, say) or an answer that could not be read; not a refusal of our credentials.
     */
    readonly transient = false,
  ) {
    super(message);
  }
}

/** An HTTP header name (an RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the client sets itself or that fetch manages. */
const MANAGED_HEADERS = new Set(['content-type', 'content-length', 'host', 'transfer-encoding']);

function checkHeaderValue(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new X402InputError(field, 'must be a string');
  if (/[\r\n\0]/.test(value)) {
    throw new X402InputError(field, 'must not contain line breaks (CR, LF) or NUL');
  }
  return value;
}

/** Checks the options and returns the headers every call carries (names in lower case). */
function headersOf(options: FacilitatorOptions, root: string): Record<string, string> {
  if (typeof options !== 'object' || options === null) {
    throw new X402InputError(root, 'must be {url, authorization?, apiKey?, headers?, …}');
  }
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new X402InputError(`${root}.url`, 'must be an http(s) URL like http://127.0.0.1:4022');
  }
  // An empty value (an unset environment variable) means none.
  const authorization =
    options.authorization === undefined || options.authorization === ''
      ? undefined
      : checkHeaderValue(options.authorization, `${root}.authorization`);
  const apiKey =
    options.apiKey === undefined || options.apiKey === ''
      ? undefined
      : checkHeaderValue(options.apiKey, `${root}.apiKey`);
  if (authorization !== undefined && apiKey !== undefined) {
    throw new X402InputError(
      `${root}.authorization`,
      'give authorization (sent as it is) or apiKey (sent as Bearer), not both',
    );
  }
  const headers: Record<string, string> = {};
  if (options.headers !== undefined) {
    if (typeof options.headers !== 'object' || options.headers === null) {
      throw new X402InputError(`${root}.headers`, 'must be an object of header names to values');
    }
    for (const [name, value] of Object.entries(options.headers)) {
      const field = `${root}.headers.${name}`;
      if (!HEADER_NAME.test(name)) {
        throw new X402InputError(field, 'is not a valid HTTP header name');
      }
      const lower = name.toLowerCase();
      if (MANAGED_HEADERS.has(lower)) {
        throw new X402InputError(field, 'is set by the client itself');
      }
      if (Object.hasOwn(headers, lower)) {
        throw new X402InputError(field, 'is given twice (header names ignore case)');
      }
      if (lower === 'authorization' && (authorization !== undefined || apiKey !== undefined)) {
        throw new X402InputError(
          field,
          'is also set by authorization or apiKey: give the Authorization header once',
        );
      }
      headers[lower] = checkHeaderValue(value, field);
    }
  }
  if (authorization !== undefined) headers.authorization = authorization;
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
  headers.accept ??= 'application/json';
  return headers;
}

/** The reason and message a refused request's body carries, if it is x402-shaped JSON. */
function refusalOf(text: string): { reason?: string; detail?: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof body !== 'object' || body === null) return {};
  const fields = body as Record<string, unknown>;
  const pick = (...keys: string[]) => {
    for (const key of keys) if (typeof fields[key] === 'string') return fields[key] as string;
    return undefined;
  };
  const reason = pick('invalidReason', 'errorReason');
  const detail = pick('invalidMessage', 'errorMessage', 'message');
  return {
    ...(reason !== undefined ? { reason } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
}

/** A small x402 facilitator client: GET /supported, POST /verify, POST /settle. */
export class FacilitatorClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  /**
   * Throws an X402InputError naming the option (`facilitator.url`, `facilitator.apiKey`,
   * `facilitator.headers.<name>`, …; `root` is the prefix) when the options are unusable.
   */
  constructor(
    private readonly options: FacilitatorOptions,
    root = 'facilitator',
  ) {
    this.headers = headersOf(options, root);
    this.base = options.url.replace(/\/+$/, '');
  }

  /** The time limit of one /settle call. */
  get settleTimeoutMs(): number {
    return this.options.settleTimeoutMs ?? 90_000;
  }

  supported(): Promise<SupportedResponse> {
    return this.call(
      'GET',
      '/supported',
      undefined,
      this.options.timeoutMs ?? 10_000,
      parseSupportedResponse,
    );
  }

  verify(
    paymentPayload: PaymentPayload,
    paymentRequirements: PaymentRequirements,
    call: CallOptions = {},
  ): Promise<VerifyResponse> {
    const body = { x402Version: X402_VERSION, paymentPayload, paymentRequirements };
    return this.call(
      'POST',
      '/verify',
      body,
      this.options.timeoutMs ?? 10_000,
      parseVerifyResponse,
      call,
    );
  }

  /**
   * POST /settle. Repeat a call that timed out or lost its connection with the same
   * `idempotencyKey`: a facilitator that honours it answers the success again.
   */
  settle(
    paymentPayload: PaymentPayload,
    paymentRequirements: PaymentRequirements,
    call: CallOptions & { idempotencyKey?: string } = {},
  ): Promise<SettleResponse> {
    const body = { x402Version: X402_VERSION, paymentPayload, paymentRequirements };
    // A receipt that does not name its network is for the requirements' network.
    const parse = (answer: unknown) =>
      parseSettleResponse(answer, { network: paymentRequirements.network });
    return this.call('POST', '/settle', body, this.settleTimeoutMs, parse, call);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    timeoutMs: number,
    parse: (value: unknown) => T,
    call: CallOptions & { idempotencyKey?: string } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (call.requestId !== undefined) headers['x-request-id'] = call.requestId;
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const why =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : 'unreachable';
      throw new FacilitatorUnavailableError(`facilitator ${this.base} is ${why} (${path})`);
    }
    const text = await response.text().catch(() => '');
    if (response.status === 400) {
      const { reason, detail } = refusalOf(text);
      throw new FacilitatorRejectedError(
        `the facilitator refused it: ${text.slice(0, 200)}`,
        reason,
        detail,
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new FacilitatorResponseError(
        `facilitator ${path} refused our credentials (HTTP ${response.status}): check the authorization, apiKey or headers options`,
      );
    }
    if (!response.ok) {
      throw new FacilitatorResponseError(
        `facilitator ${path} answered HTTP ${response.status}: ${text.slice(0, 200)}`,
        response.status === 429 || response.status >= 500,
      );
    }
    try {
      return parse(JSON.parse(text));
    } catch (error) {
      throw new FacilitatorResponseError(
        `facilitator ${path} sent an invalid response: ${(error as Error).message}`,
        true,
      );
    }
  }
}
