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
} from '@x402-casper/shared';

export interface FacilitatorOptions {
  /** Base URL, e.g. http://127.0.0.1:4022 */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Time limit for /supported and /verify; default 10 s. */
  timeoutMs?: number;
  /** Time limit for /settle, which waits for a block; default 90 s. */
  settleTimeoutMs?: number;
}

/** The facilitator could not be reached or did not answer in time (→ 503). */
export class FacilitatorUnavailableError extends Error {
  override readonly name = 'FacilitatorUnavailableError';
}

/** The facilitator refused the request as malformed (HTTP 400): the client's payment is bad (→ 402). */
export class FacilitatorRejectedError extends Error {
  override readonly name = 'FacilitatorRejectedError';
}

/** The facilitator answered, but not with a valid x402 response (→ 502). */
export class FacilitatorResponseError extends Error {
  override readonly name = 'FacilitatorResponseError';
}

/** A small x402 facilitator client: GET /supported, POST /verify, POST /settle. */
export class FacilitatorClient {
  private readonly base: string;

  constructor(private readonly options: FacilitatorOptions) {
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
  ): Promise<VerifyResponse> {
    const body = { x402Version: X402_VERSION, paymentPayload, paymentRequirements };
    return this.call(
      'POST',
      '/verify',
      body,
      this.options.timeoutMs ?? 10_000,
      parseVerifyResponse,
    );
  }

  settle(
    paymentPayload: PaymentPayload,
    paymentRequirements: PaymentRequirements,
  ): Promise<SettleResponse> {
    const body = { x402Version: X402_VERSION, paymentPayload, paymentRequirements };
    return this.call('POST', '/settle', body, this.settleTimeoutMs, parseSettleResponse);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    timeoutMs: number,
    parse: (value: unknown) => T,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
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
      throw new FacilitatorRejectedError(`the facilitator refused it: ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      throw new FacilitatorResponseError(
        `facilitator ${path} answered HTTP ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    try {
      return parse(JSON.parse(text));
    } catch (error) {
      throw new FacilitatorResponseError(
        `facilitator ${path} sent an invalid response: ${(error as Error).message}`,
      );
    }
  }
}
