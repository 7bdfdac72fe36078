// With the real Cep18X402 binary installed, every read a client makes of Wasm contract state
// (and the install's execution result) validates against the node's own OpenRPC schema.

import { balancesItemKey } from '@x402-casper/shared';
import {
  buildInstall,
  installArgs,
  loadCep18x402,
  namedPackage,
  putParams,
  rpc,
  rpcResult,
  sdk,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';
import { expectConforms } from './openrpc.js';

const wasm = loadCep18x402();
const [facilitator] = defaultDevAccounts();
let devnet: Devnet;
let installHash: string;
let packageHash: string;
let contractHash: string;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  if (!wasm) return;
  const tx = buildInstall(
    facilitator.secretKey,
    wasm,
    installArgs({
      packageKeyName: 'cep18x402',
      name: 'Cep18x402',
      symbol: 'X402',
      decimals: 2,
      initialSupply: '1000',
      chainName: devnet.network,
    }),
    devnet.chainName,
  );
  installHash = tx.hash.toHex();
  await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
  await rpcResult(devnet.rpcUrl, 'devnet_mine');
  packageHash = (await namedPackage(devnet, facilitator.accountHash, 'cep18x402'))!.slice(5);
  const pkg = await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${packageHash}` });
  contractHash = (
    pkg.stored_value as { ContractPackage: { versions: Array<{ contract_hash: string }> } }
  ).ContractPackage.versions[0]!.contract_hash.slice('contract-'.length);
});
afterAll(() => devnet?.close());

describe.skipIf(!wasm)('node shapes of Wasm contract state', () => {
  it('info_get_transaction of the install: lane 2, effects writing package, contract and Wasm', async () => {
    const info = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
      transaction_hash: { Version1: installHash },
    });
    expectConforms('info_get_transaction', info);
    const result = (
      info.execution_info as {
        execution_result: { Version2: { effects: Array<{ kind: { Write: object } }> } };
      }
    ).execution_result.Version2;
    const written = new Set(result.effects.map((effect) => Object.keys(effect.kind.Write)[0]));
    expect([...written]).toEqual(
      expect.arrayContaining(['CLValue', 'ContractPackage', 'Contract', 'ContractWasm']),
    );
    const block = await rpcResult(devnet.rpcUrl, 'chain_get_block', {
      block_identifier: { Height: 1 },
    });
    const body = (
      block.block_with_signatures as {
        block: { Version2: { body: { transactions: Record<string, unknown[]> } } };
      }
    ).block.Version2.body;
    expect(body.transactions['2']).toHaveLength(1);
  });

  it('query_global_state: account named keys, package, contract, contract Wasm, a URef, a path', async () => {
    for (const [key, path] of [
      [`account-hash-${facilitator.accountHash}`, []],
      [`account-hash-${facilitator.accountHash}`, ['cep18x402']],
      [`hash-${packageHash}`, []],
      [`hash-${contractHash}`, []],
      [`hash-${contractHash}`, ['name']],
    ] as Array<[string, string[]]>) {
      const answer = await rpcResult(devnet.rpcUrl, 'query_global_state', { key, path });
      expectConforms('query_global_state', answer);
    }
    const named = await rpcResult(devnet.rpcUrl, 'query_global_state', {
      key: `hash-${contractHash}`,
      path: ['name'],
    });
    expect((named.stored_value as { CLValue: { parsed: unknown } }).CLValue.parsed).toBe(
      'Cep18x402',
    );
    const contract = await rpcResult(devnet.rpcUrl, 'query_global_state', {
      key: `hash-${contractHash}`,
    });
    const wasmKey = (
      contract.stored_value as { Contract: { contract_wasm_hash: string } }
    ).Contract.contract_wasm_hash.replace('contract-wasm-', 'hash-');
    const code = await rpcResult(devnet.rpcUrl, 'query_global_state', { key: wasmKey });
    expectConforms('query_global_state', code);
    expect((code.stored_value as { ContractWasm: { bytes: string } }).ContractWasm.bytes).toBe(
      Buffer.from(wasm!).toString('hex'),
    );
  });

  it('state_get_dictionary_item: balances by ContractNamedKey, and through casper-js-sdk', async () => {
    const root = (await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash'))
      .state_root_hash as string;
    const itemKey = balancesItemKey(`00${facilitator.accountHash}`);
    const answer = await rpcResult(devnet.rpcUrl, 'state_get_dictionary_item', {
      state_root_hash: root,
      dictionary_identifier: {
        ContractNamedKey: {
          key: `hash-${contractHash}`,
          dictionary_name: 'balances',
          dictionary_item_key: itemKey,
        },
      },
    });
    expectConforms('state_get_dictionary_item', answer);
    expect(answer.stored_value).toMatchObject({ CLValue: { cl_type: 'U256', parsed: '1000' } });
    const byAddress = await rpcResult(devnet.rpcUrl, 'state_get_dictionary_item', {
      state_root_hash: root,
      dictionary_identifier: { Dictionary: answer.dictionary_key },
    });
    expect(byAddress.stored_value).toEqual(answer.stored_value);
    const client = new sdk.RpcClient(new sdk.HttpHandler(devnet.rpcUrl, 'fetch'));
    const viaSdk = await client.getDictionaryItemByIdentifier(
      root,
      new sdk.ParamDictionaryIdentifier(
        undefined,
        new sdk.ParamDictionaryIdentifierContractNamedKey(
          `hash-${contractHash}`,
          'balances',
          itemKey,
        ),
      ),
    );
    expect(viaSdk.rawJSON.dictionary_key).toBe(answer.dictionary_key);
  });

  it('state_get_account_info, state_get_entity (account, contract with bytecode), state_get_package', async () => {
    const info = await rpcResult(devnet.rpcUrl, 'state_get_account_info', {
      account_identifier: facilitator.publicKey,
    });
    expectConforms('state_get_account_info', info);
    expect(
      (info.account as { named_keys: Array<{ name: string }> }).named_keys.map((k) => k.name),
    ).toContain('cep18x402');
    const account = await rpcResult(devnet.rpcUrl, 'state_get_entity', {
      entity_identifier: { AccountHash: `account-hash-${facilitator.accountHash}` },
    });
    expectConforms('state_get_entity', account);
    const contract = await rpcResult(devnet.rpcUrl, 'state_get_entity', {
      entity_identifier: { ContractHash: `contract-${contractHash}` },
      include_bytecode: true,
    });
    expectConforms('state_get_entity', contract);
    expect(
      (contract.entity as { Contract: { wasm: { wasm: { bytes: string } } } }).Contract.wasm.wasm
        .bytes.length,
    ).toBe(wasm!.length * 2);
    const pkg = await rpcResult(devnet.rpcUrl, 'state_get_package', {
      package_identifier: { ContractPackageHash: `contract-package-${packageHash}` },
    });
    expectConforms('state_get_package', pkg);
    expect(pkg.package).toMatchObject({
      ContractPackage: { versions: [{ contract_hash: `contract-${contractHash}` }] },
    });
    const missing = await rpc(devnet.rpcUrl, 'state_get_package', {
      package_identifier: { ContractPackageHash: '00'.repeat(32) },
    });
    expect(missing.error?.code).toBe(-32003);
  });
});
