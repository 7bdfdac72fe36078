// Stored targets by name, and Odra's upgrade of the real Cep18X402 binary: a second session
// with odra_cfg_is_upgrade adds a contract version to the same package.

import {
  buildInstall,
  executeFull,
  installArgs,
  loadCep18x402,
  namedPackage,
  rpcResult,
  sdk,
  sdkKey,
  tokenBalance,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';

const wasm = loadCep18x402();
const [facilitator, merchant] = defaultDevAccounts();
let devnet: Devnet;

const args = () =>
  installArgs({
    packageKeyName: 'x402_token',
    name: 'Cep18x402',
    symbol: 'X402',
    decimals: 2,
    initialSupply: '5000',
    chainName: devnet.network,
  });

async function versionsOf(packageHash: string) {
  const pkg = await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${packageHash}` });
  return (
    pkg.stored_value as {
      ContractPackage: {
        versions: Array<{ contract_version: number; contract_hash: string }>;
        disabled_versions: unknown[];
      };
    }
  ).ContractPackage;
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  if (!wasm) return;
  const result = await executeFull(
    devnet,
    buildInstall(facilitator.secretKey, wasm, args(), devnet.chainName),
  );
  if (result.error_message) throw new Error(result.error_message);
});
afterAll(() => devnet?.close());

describe.skipIf(!wasm)('stored targets by name; upgrades', () => {
  it('calls by package name and by contract name resolve through the caller’s named keys', async () => {
    const key = sdkKey(facilitator.secretKey);
    const transfer = (builder: ReturnType<typeof newBuilder>, amount: string) => {
      const tx = builder
        .entryPoint('transfer')
        .runtimeArgs(
          sdk.Args.fromMap({
            recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${merchant.accountHash}`)),
            amount: sdk.CLValue.newCLUInt256(amount),
          }),
        )
        .chainName(devnet.chainName)
        .payment(10_000_000_000, 1)
        .build();
      tx.sign(key);
      return tx;
    };
    const newBuilder = () => new sdk.ContractCallBuilder().from(key.publicKey);
    const byName = await executeFull(
      devnet,
      transfer(newBuilder().byPackageName('x402_token'), '5'),
    );
    expect(byName.error_message).toBeNull();
    const packageHash = (await namedPackage(devnet, facilitator.accountHash, 'x402_token'))!.slice(
      5,
    );
    expect(
      await tokenBalance(
        devnet,
        { contractHash: (await versionsOf(packageHash)).versions[0]!.contract_hash.slice(9) },
        `00${merchant.accountHash}`,
      ),
    ).toBe(5n);
    const refused = await executeFull(
      devnet,
      transfer(newBuilder().byName('no_such_key'), '1'),
    ).catch((error: Error) => error);
    expect(String(refused)).toMatch(/no such named key/);
  });

  it('an upgrade session (odra_cfg_is_upgrade, odra_cfg_package_hash_to_upgrade) adds version 2, disables 1, keeps balances', async () => {
    const packageHash = (await namedPackage(devnet, facilitator.accountHash, 'x402_token'))!.slice(
      5,
    );
    const upgrade = buildInstall(
      facilitator.secretKey,
      wasm!,
      {
        ...args(),
        odra_cfg_is_upgrade: sdk.CLValue.newCLValueBool(true),
        odra_cfg_package_hash_to_upgrade: sdk.CLValue.newCLByteArray(
          Buffer.from(packageHash, 'hex'),
        ),
        odra_cfg_create_upgrade_group: sdk.CLValue.newCLValueBool(false),
      },
      devnet.chainName,
    );
    const result = await executeFull(devnet, upgrade);
    expect(result.error_message).toBeNull();
    const pkg = await versionsOf(packageHash);
    expect(pkg.versions.map((v) => v.contract_version)).toEqual([1, 2]);
    expect(pkg.disabled_versions).toEqual([[2, 1]]);
    const current = pkg.versions[1]!.contract_hash.slice('contract-'.length);
    expect(await tokenBalance(devnet, { contractHash: current }, `00${merchant.accountHash}`)).toBe(
      5n,
    );
    const old = pkg.versions[0]!.contract_hash.slice('contract-'.length);
    const key = sdkKey(facilitator.secretKey);
    const tx = new sdk.ContractCallBuilder()
      .from(key.publicKey)
      .byHash(old)
      .entryPoint('transfer')
      .runtimeArgs(
        sdk.Args.fromMap({
          recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${merchant.accountHash}`)),
          amount: sdk.CLValue.newCLUInt256('1'),
        }),
      )
      .chainName(devnet.chainName)
      .payment(10_000_000_000, 1)
      .build();
    tx.sign(key);
    expect((await executeFull(devnet, tx)).error_message).toMatch(/disabled/);
  });
});
