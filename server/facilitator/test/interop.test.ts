// Stock x402 tooling against the facilitator: @x402/core's HTTPFacilitatorClient, unchanged.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HTTPFacilitatorClient } from '@x402/core/http';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import {
  paymentFor,
  rawConfig,
  requirementsFor,
  tempDir,
  tokenBalance,
  whileMining,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Facilitator, startFacilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';

const API_KEY = 'interop-key-0123456789';
const dir = tempDir('interop');
const accounts = defaultDevAccounts();
const alice = accounts[2]!;
const merchantAddress = addressOfPublicKey(accounts[1]!.publicKey);
let devnet: Devnet;
let facilitator: Facilitator & { url: string };

type ClientPayload = Parameters<HTTPFacilitatorClient['verify']>[0];
type ClientRequirements = Parameters<HTTPFacilitatorClient['verify']>[1];

function client(key: string) {
  const headers = { Authorization: `Bearer ${key}` };
  return new HTTPFacilitatorClient({
    url: facilitator.url,
    createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: headers }),
  });
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  const token = devnet.tokens[0]!;
  facilitator = await startFacilitator(
    parseConfig(
      rawConfig({
        database: join(dir, 'ledger.sqlite'),
        network: devnet.network,
        rpcUrl: devnet.rpcUrl,
        feePayer: accounts[0]!.secretKey,
        assets: [
          {
            packageHash: token.packageHash,
            domainName: token.domainName,
            decimals: token.decimals,
          },
        ],
        apiKeys: [API_KEY],
        extra: { pollIntervalMs: 25, settleTimeoutMs: 20_000 },
      }),
    ),
  );
});

afterAll(async () => {
  await facilitator?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('@x402/core HTTPFacilitatorClient', () => {
  it('reads /supported, verifies and settles through the stock client', async () => {
    const stock = client(API_KEY);
    const supported = await stock.getSupported();
    expect(supported.kinds).toEqual([
      expect.objectContaining({ x402Version: 2, scheme: 'exact', network: devnet.network }),
    ]);
    expect(supported.signers['casper:*']).toEqual([accounts[0]!.publicKey]);

    const token = devnet.tokens[0]!;
    const { paymentPayload, paymentRequirements } = await paymentFor(
      alice.secretKey,
      requirementsFor(devnet.network, token, merchantAddress, '300'),
    );
    const payload = paymentPayload as unknown as ClientPayload;
    const requirements = paymentRequirements as unknown as ClientRequirements;
    const verified = await stock.verify(payload, requirements);
    expect(verified).toMatchObject({ isValid: true, payer: addressOfPublicKey(alice.publicKey) });

    const before = await tokenBalance(devnet, token, merchantAddress);
    const settled = await whileMining(devnet.rpcUrl, stock.settle(payload, requirements));
    expect(settled).toMatchObject({
      success: true,
      transaction: expect.stringMatching(/^[0-9a-f]{64}$/),
      network: devnet.network,
    });
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(before + 300n);
  });

  it('is refused without the right API key', async () => {
    await expect(client('wrong-key-0123456789').getSupported()).rejects.toThrow(/401/);
  });
});
