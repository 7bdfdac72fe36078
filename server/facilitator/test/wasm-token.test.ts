// The x402 flow through the real Cep18X402 binary: shared signs, our facilitator verifies and
// settles, and the tokens move through the contract's own code, with no argument layout
// configured (the facilitator reads the entry point from the chain).

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Devnet, defaultDevAccounts, startDevnet } from '@x402-casper/devnet';
import {
  addressOfPublicKey,
  CasperChain,
  CasperRpc,
  generateSecretKey,
  type SecretKey,
} from '@x402-casper/shared';
import {
  buildCall,
  buildInstall,
  executeFull,
  installArgs,
  loadCep18x402,
  namedPackage,
  paymentFor,
  postJson,
  rawConfig,
  requirementsFor,
  rpcResult,
  sdk,
  tempDir,
  tokenBalance,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Facilitator, startFacilitator } from '../src/app.js';
import { parseConfig } from '../src/config.js';

const wasm = loadCep18x402();
const [facilitatorAccount, merchant, alice, bob] = defaultDevAccounts();
const merchantAddress = `00${merchant.accountHash}`;
const dir = tempDir('devnet-wasm-x402-');
let devnet: Devnet;
let facilitator: (Facilitator & { url: string }) | undefined;
let other: (Facilitator & { url: string }) | undefined;
let baseConfig: Record<string, unknown>;
let token: {
  packageHash: string;
  contractHash: string;
  domainName: string;
  symbol: string;
  decimals: number;
};

/** The fee payer's CSPR (motes) at the newest block, read over the devnet's JSON-RPC. */
async function feePayerMotes(): Promise<bigint> {
  const chain = new CasperChain(new CasperRpc(devnet.rpcUrl));
  const { stateRootHash } = await chain.newestBlock();
  return chain.accountBalance(facilitatorAccount.publicKey, stateRootHash);
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 200 });
  if (!wasm) return;
  const installed = await executeFull(
    devnet,
    buildInstall(
      facilitatorAccount.secretKey,
      wasm,
      installArgs({
        packageKeyName: 'cep18x402',
        name: 'Cep18x402',
        symbol: 'X402',
        decimals: 2,
        initialSupply: '100000',
        chainName: devnet.network,
      }),
      devnet.chainName,
    ),
  );
  if (installed.error_message) throw new Error(installed.error_message);
  const packageHash = (await namedPackage(
    devnet,
    facilitatorAccount.accountHash,
    'cep18x402',
  ))!.slice(5);
  const pkg = (await (
    await fetch(devnet.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'query_global_state',
        params: { key: `hash-${packageHash}` },
      }),
    })
  ).json()) as {
    result: { stored_value: { ContractPackage: { versions: Array<{ contract_hash: string }> } } };
  };
  token = {
    packageHash,
    contractHash: pkg.result.stored_value.ContractPackage.versions[0]!.contract_hash.slice(9),
    domainName: 'Cep18x402',
    symbol: 'X402',
    decimals: 2,
  };
  const funded = await executeFull(
    devnet,
    buildCall({
      signer: facilitatorAccount.secretKey,
      packageHash,
      entryPoint: 'transfer',
      args: {
        recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${alice.accountHash}`)),
        amount: sdk.CLValue.newCLUInt256('5000'),
      },
      chainName: devnet.chainName,
      paymentMotes: 20_000_000_000,
    }),
  );
  if (funded.error_message) throw new Error(funded.error_message);
  const configOf = (database: string, feePayer: SecretKey) =>
    rawConfig({
      database: join(dir, database),
      network: devnet.network,
      rpcUrl: devnet.rpcUrl,
      feePayer,
      assets: [{ packageHash, domainName: 'Cep18x402', decimals: 2 }],
      blockIntervalMs: 200,
    });
  const raw = configOf('ledger.sqlite', facilitatorAccount.secretKey);
  // The default payments: 10 CSPR for an ed25519 payer's settlement (it meters ≈ 6.8 here),
  // 30 CSPR for a secp256k1 payer's (≈ 22).
  baseConfig = raw;
  facilitator = await startFacilitator(parseConfig(raw));
  // A second facilitator with its own ledger and its own fee payer: the chain, not a shared
  // ledger, stops a replay. (With the first one's key, both could build the very same
  // transaction in the same millisecond, which the chain runs once for both.)
  other = await startFacilitator(parseConfig(configOf('second.sqlite', bob.secretKey)));
});
afterAll(async () => {
  await facilitator?.close();
  await other?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!wasm)('x402 through the real Cep18X402 binary', () => {
  it('the facilitator verifies and settles a payment the contract executes', async () => {
    const requirements = requirementsFor(devnet.network, token, merchantAddress, '125');
    const request = await paymentFor(alice.secretKey, requirements);
    const verified = await postJson(`${facilitator!.url}/verify`, request);
    expect(verified.body).toMatchObject({
      isValid: true,
      payer: addressOfPublicKey(alice.publicKey),
    });
    const settled = await postJson(`${facilitator!.url}/settle`, request);
    expect(settled.body).toMatchObject({ success: true, network: devnet.network });
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(125n);
    expect(await tokenBalance(devnet, token, `00${alice.accountHash}`)).toBe(4875n);
  });

  it('reads the nonce where the contract really keeps it: one spent elsewhere is refused at /verify', async () => {
    const requirements = requirementsFor(devnet.network, token, merchantAddress, '7');
    const request = await paymentFor(alice.secretKey, requirements);
    expect((await postJson(`${facilitator!.url}/verify`, request)).body).toMatchObject({
      isValid: true,
    });
    // Settled through the other facilitator: this one's ledger knows nothing of it.
    expect((await postJson(`${other!.url}/settle`, request)).body).toMatchObject({ success: true });
    expect((await postJson(`${facilitator!.url}/verify`, request)).body).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_casper_nonce_used',
      invalidMessage: 'the nonce is already used on chain',
    });
    const health = (await (await fetch(`${facilitator!.url}/health`)).json()) as {
      networks: Array<{ tokens: unknown[] }>;
    };
    expect(health.networks[0]!.tokens).toEqual([
      { asset: token.packageHash, layout: 'amount-u256', nonces: 'odra-state' },
    ]);
  });

  it("names the contract's own revert code: a replay the chain refuses is nonce_used", async () => {
    const requirements = requirementsFor(devnet.network, token, merchantAddress, '9');
    const request = await paymentFor(alice.secretKey, requirements);
    const before = await tokenBalance(devnet, token, merchantAddress);
    // Both facilitators find the nonce unused and submit; the contract runs one, reverts one.
    const [first, second] = await Promise.all([
      postJson(`${facilitator!.url}/settle`, request),
      postJson(`${other!.url}/settle`, request),
    ]);
    const bodies = [first.body, second.body];
    expect(bodies.filter((body) => body.success === true)).toHaveLength(1);
    expect(bodies.find((body) => body.success !== true)).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_casper_nonce_used',
      errorMessage: 'the transaction reverted: User error: 1',
    });
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(before + 9n);
  });

  it("settles a secp256k1 payer's authorization with the default payment for its key type", async () => {
    const payer = generateSecretKey('secp256k1');
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: token.packageHash, amount: '50' },
    });
    const request = await paymentFor(
      payer,
      requirementsFor(devnet.network, token, merchantAddress, '20'),
    );
    const settled = await postJson(`${facilitator!.url}/settle`, request);
    expect(settled.body).toMatchObject({ success: true });
    expect(await tokenBalance(devnet, token, addressOfPublicKey(payer.publicKey))).toBe(30n);
  });

  it('keeps an authorization whose settlement ran out of gas, and settles it once paid enough', async () => {
    const database = join(dir, 'too-little-gas.sqlite');
    const network = (baseConfig.networks as Array<Record<string, unknown>>)[0]!;
    const starved = {
      ...baseConfig,
      database,
      networks: [{ ...network, paymentMotes: '2500000000' }],
    };
    const request = await paymentFor(
      alice.secretKey,
      requirementsFor(devnet.network, token, merchantAddress, '3'),
    );
    const before = await tokenBalance(devnet, token, merchantAddress);
    const poor = await startFacilitator(parseConfig(starved));
    const outOfGas = {
      success: false,
      errorReason: 'unexpected_settle_error',
      errorMessage: expect.stringMatching(/ran out of gas .*raise networks\[\]\.paymentMotes/),
    };
    try {
      expect((await postJson(`${poor.url}/settle`, request)).body).toMatchObject(outOfGas);
      // Settled again with no more gas configured, it is answered the same and nothing is sent:
      // the fee payer pays for the one attempt, however often the payload comes back.
      const gasBefore = await feePayerMotes();
      expect((await postJson(`${poor.url}/settle`, request)).body).toMatchObject(outOfGas);
      expect(await feePayerMotes()).toBe(gasBefore);
    } finally {
      await poor.close();
    }
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(before);
    // The same ledger, now paying the default: the authorization is settled.
    const paid = await startFacilitator(parseConfig({ ...baseConfig, database }));
    try {
      expect((await postJson(`${paid.url}/settle`, request)).body).toMatchObject({ success: true });
    } finally {
      await paid.close();
    }
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(before + 3n);
  });
});
