// A token whose package is upgraded while the facilitator runs: the new contract version's
// transfer_with_authorization takes another argument layout, no layout is configured, and the
// facilitator (which keeps what it read per contract hash, and reads the package's current
// contract each block) settles in the new layout after the upgrade, on a real devnet.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import { addressOfPublicKey } from '@x402-casper/shared';
import {
  type DeployedToken,
  deployToken,
  paymentFor,
  postJson,
  rawConfig,
  requirementsFor,
  rpcResult,
  tempDir,
  tokenBalance,
  whileMining,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Facilitator, startFacilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';

const dir = tempDir('upgrade');
const [feePayer, merchant, alice] = defaultDevAccounts();
const merchantAddress = addressOfPublicKey(merchant.publicKey);
let devnet: Devnet;
let token: DeployedToken;
let facilitator: Facilitator & { url: string };

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  token = await deployToken(devnet, { name: 'Upgraded Token', symbol: 'UPG', decimals: 2 });
  await rpcResult(devnet.rpcUrl, 'devnet_fund', {
    account: alice.publicKey,
    token: { package_hash: token.packageHash, amount: '1000000' },
  });
  facilitator = await startFacilitator(
    parseConfig(
      rawConfig({
        database: join(dir, 'ledger.sqlite'),
        network: devnet.network,
        rpcUrl: devnet.rpcUrl,
        feePayer: feePayer.secretKey,
        // No argLayout: the layout is read from the chain.
        assets: [{ packageHash: token.packageHash, domainName: token.domainName, decimals: 2 }],
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

/** Pays `amount` through the facilitator; answers the names of the settlement's runtime args. */
async function settle(amount: string): Promise<string[]> {
  const request = await paymentFor(
    alice.secretKey,
    requirementsFor(devnet.network, token, merchantAddress, amount),
  );
  const before = await tokenBalance(
    devnet,
    { contractHash: await currentContract() },
    merchantAddress,
  );
  const settled = await whileMining(devnet.rpcUrl, postJson(`${facilitator.url}/settle`, request));
  expect(settled.body).toMatchObject({ success: true });
  const info = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
    transaction_hash: { Version1: settled.body.transaction },
  });
  expect(info.execution_info).toMatchObject({
    execution_result: { Version2: { error_message: null } },
  });
  const after = await tokenBalance(
    devnet,
    { contractHash: await currentContract() },
    merchantAddress,
  );
  expect(after).toBe(before + BigInt(amount));
  const { payload } = (
    info.transaction as {
      Version1: { payload: { fields: { args: { Named: Array<[string, unknown]> } } } };
    }
  ).Version1;
  return payload.fields.args.Named.map(([name]) => name);
}

/** The package's current contract hash, as the devnet lists it. */
async function currentContract(): Promise<string> {
  const stored = (
    await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${token.packageHash}` })
  ).stored_value as {
    ContractPackage: { versions: Array<{ contract_hash: string }> };
  };
  return stored.ContractPackage.versions.at(-1)!.contract_hash.slice('contract-'.length);
}

/** What /health says of the token (checked once here: it keeps a check for a few seconds). */
async function healthOfToken(): Promise<unknown> {
  const body = (await (await fetch(`${facilitator.url}/health`)).json()) as {
    networks: Array<{ tokens: unknown[] }>;
  };
  return body.networks[0]!.tokens[0];
}

describe('a token package upgraded to another argument layout', () => {
  it('is settled in the new layout after the upgrade, with no layout configured', async () => {
    expect(await settle('100')).toContain('amount');

    const upgraded = await rpcResult(devnet.rpcUrl, 'devnet_upgradeToken', {
      package_hash: token.packageHash,
      arg_layout: 'value-u64',
    });
    expect(upgraded.contract_hash).not.toBe(token.contractHash);
    expect(await currentContract()).toBe(upgraded.contract_hash);

    const args = await settle('50');
    expect(args).toContain('value');
    expect(args).not.toContain('amount');
    expect(await healthOfToken()).toEqual({
      asset: token.packageHash,
      layout: 'value-u64',
      nonces: 'used_nonces',
    });
  });
});
