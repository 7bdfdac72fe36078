// Every node method's result is validated against the node's own OpenRPC result schema and
// parsed by casper-js-sdk's RpcClient.

import {
  type ArgLayout,
  addressOfPublicKey,
  balancesItemKey,
  layoutArgs,
} from '@x402-casper/shared';
import {
  authorization,
  putParams,
  type RpcClient,
  rpc,
  rpcResult,
  sdk,
  settlementCall,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';
import { expectConforms, resultSchemaOf } from './openrpc.js';

const [facilitator, merchant, alice] = defaultDevAccounts();
let devnet: Devnet;
let client: RpcClient;
let executedHash: string;
let revertedHash: string;
let pendingHash: string;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  client = new sdk.RpcClient(new sdk.HttpHandler(devnet.rpcUrl, 'fetch'));
  const token = devnet.tokens[0]!;
  const settle = (value: string, signedBy = alice.secretKey) =>
    settlementCall({
      chain: devnet,
      token,
      relayer: facilitator.secretKey,
      auth: authorization(alice.secretKey, `00${merchant.accountHash}`, value),
      payer: alice.secretKey,
      signedBy,
    });
  const executed = settle('100');
  const reverted = settle('100', merchant.secretKey);
  executedHash = executed.hash.toHex();
  revertedHash = reverted.hash.toHex();
  await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(executed));
  await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(reverted));
  await rpcResult(devnet.rpcUrl, 'devnet_mine');
  const pending = settle('5');
  pendingHash = pending.hash.toHex();
  const put = await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(pending));
  expectConforms('account_put_transaction', put);
});
afterAll(() => devnet.close());

describe('node methods conform to the OpenRPC schema and parse in casper-js-sdk', () => {
  it('info_get_status', async () => {
    expectConforms('info_get_status', await rpcResult(devnet.rpcUrl, 'info_get_status'));
    const status = await client.getStatus();
    expect(status.chainSpecName).toBe(devnet.chainName);
  });

  it('chain_get_state_root_hash (latest, by height, by hash)', async () => {
    const latest = await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash');
    expectConforms('chain_get_state_root_hash', latest);
    const block = (
      await rpcResult(devnet.rpcUrl, 'chain_get_block', { block_identifier: { Height: 1 } })
    ).block_with_signatures as { block: { Version2: { hash: string } } };
    for (const block_identifier of [{ Height: 0 }, { Hash: block.block.Version2.hash }]) {
      expectConforms(
        'chain_get_state_root_hash',
        await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash', { block_identifier }),
      );
    }
    const parsed = await client.getStateRootHashLatest();
    expect((parsed.stateRootHash as { toHex(): string }).toHex()).toBe(latest.state_root_hash);
  });

  it('chain_get_block (genesis, a block with transactions, latest)', async () => {
    for (const params of [
      { block_identifier: { Height: 0 } },
      { block_identifier: { Height: 1 } },
      {},
    ]) {
      expectConforms('chain_get_block', await rpcResult(devnet.rpcUrl, 'chain_get_block', params));
    }
    const withTransactions = await client.getBlockByHeight(1);
    expect((withTransactions.block as { height: number }).height).toBe(1);
    await client.getBlockByHeight(0);
    await client.getLatestBlock();
  });

  it('info_get_transaction (pending, executed, reverted)', async () => {
    for (const hash of [pendingHash, executedHash, revertedHash]) {
      const result = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
        transaction_hash: { Version1: hash },
      });
      expectConforms('info_get_transaction', result);
      const parsed = await client.getTransactionByTransactionHash(hash);
      expect(parsed.rawJSON).toEqual(result);
    }
    const reverted = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
      transaction_hash: { Version1: revertedHash },
    });
    expect(reverted.execution_info).toMatchObject({
      block_height: 1,
      execution_result: { Version2: { error_message: 'User error: 37003' } },
    });
  });

  it('query_global_state: account, package, contract, named keys, dictionary, path, block identifier', async () => {
    const token = devnet.tokens[0]!;
    const contract = (
      await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${token.contractHash}` })
    ).stored_value as { Contract: { named_keys: Array<{ name: string; key: string }> } };
    const namedKey = (name: string) =>
      contract.Contract.named_keys.find((k) => k.name === name)!.key;
    const dictionaryKey = (
      await rpcResult(devnet.rpcUrl, 'state_get_dictionary_item', {
        state_root_hash: (
          await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash')
        ).state_root_hash,
        dictionary_identifier: {
          URef: {
            seed_uref: namedKey('balances'),
            dictionary_item_key: balancesItemKey(addressOfPublicKey(alice.publicKey)),
          },
        },
      })
    ).dictionary_key as string;
    const cases = [
      { key: `account-hash-${facilitator.accountHash}` },
      { key: `hash-${token.packageHash}` },
      { key: `hash-${token.contractHash}` },
      { key: namedKey('name') },
      { key: namedKey('total_supply') },
      { key: dictionaryKey },
      { key: `hash-${token.contractHash}`, path: ['decimals'] },
      { key: `hash-${token.packageHash}`, state_identifier: { BlockHeight: 1 } },
    ];
    for (const params of cases) {
      const result = await rpcResult(devnet.rpcUrl, 'query_global_state', params);
      expectConforms('query_global_state', result);
      await client.queryLatestGlobalState(params.key, params.path ?? []);
    }
    const pkg = await client.queryLatestGlobalState(`hash-${token.packageHash}`, []);
    const versions = (
      pkg.storedValue as {
        contractPackage: { versions: Array<{ contractHash: { hash: { toHex(): string } } }> };
      }
    ).contractPackage.versions;
    expect(versions[0]!.contractHash.hash.toHex()).toBe(token.contractHash);
  });

  it('query_global_state: the contract of every layout and nonce storage', async () => {
    // Its own devnet: deploying mines blocks, which would execute the pending transaction.
    const other = await startDevnet({ port: 0, blockTimeMs: 0 });
    const otherClient = new sdk.RpcClient(new sdk.HttpHandler(other.rpcUrl, 'fetch'));
    try {
      await contractsOfEveryLayout(other, otherClient);
    } finally {
      await other.close();
    }
  });

  async function contractsOfEveryLayout(devnet: Devnet, client: RpcClient) {
    for (const [arg_layout, nonce_storage] of [
      ['amount-u64', 'used_nonces'],
      ['value-u64', 'odra-state'],
      ['amount-u256', 'odra-state'],
    ]) {
      const deployed = await rpcResult(devnet.rpcUrl, 'devnet_deployToken', {
        name: `Conformance ${arg_layout}`,
        symbol: 'CNF',
        decimals: 2,
        arg_layout,
        domain_name: 'Cep18x402',
        nonce_storage,
      });
      const params = { key: `hash-${deployed.contract_hash}` };
      const result = await rpcResult(devnet.rpcUrl, 'query_global_state', params);
      expectConforms('query_global_state', result);
      const parsed = await client.queryLatestGlobalState(params.key, []);
      const entryPoints = (
        parsed.storedValue as {
          contract: { entryPoints: Array<{ entryPoint: { args: Array<{ name: string }> } }> };
        }
      ).contract.entryPoints;
      expect(entryPoints[0]!.entryPoint.args[2]!.name).toBe(
        layoutArgs(arg_layout as ArgLayout).amount,
      );
    }
  }

  it('state_get_dictionary_item: ContractNamedKey, URef and Dictionary identifiers', async () => {
    const token = devnet.tokens[0]!;
    const root = (await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash'))
      .state_root_hash as string;
    const itemKey = balancesItemKey(`00${merchant.accountHash}`);
    const byName = await rpcResult(devnet.rpcUrl, 'state_get_dictionary_item', {
      state_root_hash: root,
      dictionary_identifier: {
        ContractNamedKey: {
          key: `hash-${token.contractHash}`,
          dictionary_name: 'balances',
          dictionary_item_key: itemKey,
        },
      },
    });
    expectConforms('state_get_dictionary_item', byName);
    expect(byName.stored_value).toEqual({
      CLValue: { cl_type: 'U256', bytes: '0164', parsed: '100' },
    });
    const byDictionary = await rpcResult(devnet.rpcUrl, 'state_get_dictionary_item', {
      state_root_hash: root,
      dictionary_identifier: { Dictionary: byName.dictionary_key },
    });
    expectConforms('state_get_dictionary_item', byDictionary);
    expect(byDictionary.stored_value).toEqual(byName.stored_value);
    const parsed = await client.getDictionaryItemByIdentifier(
      null,
      new sdk.ParamDictionaryIdentifier(
        undefined,
        new sdk.ParamDictionaryIdentifierContractNamedKey(
          `hash-${token.contractHash}`,
          'balances',
          itemKey,
        ),
      ),
    );
    expect(parsed.rawJSON).toEqual(byName);
  });

  it('query_balance', async () => {
    const result = await rpcResult(devnet.rpcUrl, 'query_balance', {
      purse_identifier: { main_purse_under_public_key: merchant.publicKey },
    });
    expectConforms('query_balance', result);
    expect(result.balance).toBe((1_000n * 10n ** 9n).toString());
    const parsed = await client.queryLatestBalance(
      sdk.PurseIdentifier.fromPublicKey(sdk.PublicKey.fromHex(merchant.publicKey)),
    );
    expect(String(parsed.balance)).toBe(result.balance);
  });

  it('the schema check itself rejects a result that breaks the schema', async () => {
    const status = await rpcResult(devnet.rpcUrl, 'info_get_status');
    const validate = resultSchemaOf('info_get_status');
    expect(validate({ ...status, extra: 1 })).toBe(false);
    expect(validate({ ...status, available_block_range: { low: 0 } })).toBe(false);
  });

  it('answers unknown methods with -32601', async () => {
    const answer = await rpc(devnet.rpcUrl, 'state_get_auction_info');
    expect(answer.error).toMatchObject({ code: -32601, message: 'Method not found' });
  });
});
