// Stored targets of the real Cep18X402 binary over RPC: a transaction calls its contract by
// contract hash, by a named key holding the contract hash, and by package hash with an
// explicit version, each moving tokens as the contract's own `transfer` does.

import { hexToBytes, stringBytes } from '@x402-casper/shared';
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
import { hostCall, wasmModule } from './wasm-kit.js';

const wasm = loadCep18x402();
const [facilitator, merchant] = defaultDevAccounts();
const key = sdkKey(facilitator!.secretKey);
let devnet: Devnet;
let packageHash: string;
let contractHash: string;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  if (!wasm) return;
  const args = installArgs({
    packageKeyName: 'targets_token',
    name: 'Cep18x402',
    symbol: 'X402',
    decimals: 2,
    initialSupply: '1000',
    chainName: devnet.network,
  });
  const installed = await executeFull(
    devnet,
    buildInstall(facilitator!.secretKey, wasm, args, devnet.chainName),
  );
  if (installed.error_message) throw new Error(installed.error_message);
  packageHash = (await namedPackage(devnet, facilitator!.accountHash, 'targets_token'))!.slice(5);
  const pkg = await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${packageHash}` });
  contractHash = (
    pkg.stored_value as { ContractPackage: { versions: Array<{ contract_hash: string }> } }
  ).ContractPackage.versions[0]!.contract_hash.slice('contract-'.length);
});
afterAll(() => devnet?.close());

type Builder = ReturnType<typeof callBuilder>;
const callBuilder = () => new sdk.ContractCallBuilder().from(key.publicKey);

function transfer(builder: Builder, amount: string) {
  const tx = builder
    .entryPoint('transfer')
    .runtimeArgs(
      sdk.Args.fromMap({
        recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${merchant!.accountHash}`)),
        amount: sdk.CLValue.newCLUInt256(amount),
      }),
    )
    .chainName(devnet.chainName)
    .payment(10_000_000_000, 1)
    .build();
  tx.sign(key);
  return tx;
}

const merchantBalance = () => tokenBalance(devnet, { contractHash }, `00${merchant!.accountHash}`);

async function expectTransferred(builder: Builder, amount: bigint) {
  const before = await merchantBalance();
  const result = await executeFull(devnet, transfer(builder, String(amount)));
  expect(result.error_message).toBeNull();
  expect(await merchantBalance()).toBe(before + amount);
}

describe.skipIf(!wasm)('stored targets', () => {
  it('by contract hash', async () => {
    await expectTransferred(callBuilder().byHash(contractHash), 1n);
  });

  it('by package hash with an explicit version (1)', async () => {
    await expectTransferred(callBuilder().byPackageHash(packageHash, 1), 2n);
  });

  it('by contract name: a named key of the caller holding the contract hash', async () => {
    // a session puts `Key::Hash(contract)` under the name `token_contract`
    const spec = { imports: ['casper_put_key'] };
    const name = stringBytes('token_contract');
    const putKey = wasmModule({
      ...spec,
      call: hostCall(spec, 'casper_put_key', [0x100, name.length, 0x200, 33]),
      data: [
        [0x100, [...name]],
        [0x200, [0x01, ...hexToBytes(contractHash)]],
      ],
    });
    const session = new sdk.SessionBuilder()
      .from(key.publicKey)
      .wasm(putKey)
      .runtimeArgs(sdk.Args.fromMap({}))
      .chainName(devnet.chainName)
      .payment(3_000_000_000, 1)
      .build();
    session.sign(key);
    expect((await executeFull(devnet, session)).error_message).toBeNull();
    await expectTransferred(callBuilder().byName('token_contract'), 4n);
  });
});
