import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Facilitator, parseConfig, startFacilitator } from '@x402-casper/facilitator';
import type { SettleResponse, VerifyResponse } from '@x402-casper/shared';
import type { TestAccount } from './accounts.js';
import type { TestDevnet } from './devnet.js';

/**
 * Facilitator settings on top of the fixture's (`test.use({ facilitatorOptions })`,
 * worker-scoped), in the `x402-casper facilitator` config file's names: `config` for the top
 * level (e.g. `{settleTimeoutMs: 5000}`), `network` for the devnet's entry (e.g.
 * `{paymentMotes: '5000000000'}`).
 */
export interface FacilitatorOptions {
  config?: Record<string, unknown>;
  network?: Record<string, unknown>;
}

export interface TestFacilitator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The API key resource servers send (`Authorization: Bearer <key>`). */
  apiKey: string;
  /** The config it was started with (as in a config file). */
  config: Record<string, unknown>;
  /** The account that pays the gas of settlements. */
  feePayer: TestAccount;
  /** POST /verify, as a resource server would. */
  verify(paymentPayload: unknown, paymentRequirements: unknown): Promise<VerifyResponse>;
  /** POST /settle, as a resource server would. */
  settle(paymentPayload: unknown, paymentRequirements: unknown): Promise<SettleResponse>;
  /** Stops it for the rest of the worker (a suite testing a facilitator that is down). */
  stop(): Promise<void>;
}

/** Starts a facilitator in this process on a free port, settling on `devnet` in its token. */
export async function startTestFacilitator(
  devnet: TestDevnet,
  dir: string,
  options: FacilitatorOptions = {},
): Promise<TestFacilitator> {
  const feePayer = await devnet.newAccount({ cspr: '1000' });
  const apiKey = `e2e-${randomBytes(16).toString('hex')}`;
  const { token } = devnet;
  const config = {
    host: '127.0.0.1',
    port: 0,
    apiKeys: [apiKey],
    database: join(dir, 'facilitator.sqlite'),
    logLevel: 'warn',
    ...options.config,
    networks: [
      {
        network: devnet.network,
        rpcUrl: devnet.rpcUrl,
        secretKeyPem: feePayer.pem,
        blockIntervalMs: 500,
        assets: [
          {
            packageHash: token.packageHash,
            domainName: token.name,
            version: '1',
            decimals: token.decimals,
            symbol: token.symbol,
          },
        ],
        ...options.network,
      },
    ],
  };
  const running: Facilitator & { url: string } = await startFacilitator(parseConfig(config));
  let stopped: Promise<void> | undefined;
  const post = async <T>(path: string, paymentPayload: unknown, paymentRequirements: unknown) => {
    const response = await fetch(`${running.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ x402Version: 2, paymentPayload, paymentRequirements }),
    });
    return (await response.json()) as T;
  };
  return {
    url: running.url,
    apiKey,
    config,
    feePayer,
    verify: (payload, requirements) => post<VerifyResponse>('/verify', payload, requirements),
    settle: (payload, requirements) => post<SettleResponse>('/settle', payload, requirements),
    stop() {
      stopped ??= running.close();
      return stopped;
    },
  };
}
