// Transactions a node refuses are refused here with -32016 and the node's reason, and
// change nothing; JSON-RPC framing and lookup errors carry the node's codes.

import { generateSecretKey, hexToBytes, signDigest } from '@x402-casper/shared';
import {
  buildCall,
  type CallSpec,
  type CLValue,
  putParams,
  rebuild,
  rpc,
  rpcResult,
  sdk,
  sdkKey,
  type Transaction,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';

const [facilitator, merchant] = defaultDevAccounts();
let devnet: Devnet;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
});
afterAll(() => devnet.close());

const transferArgs = (): Record<string, CLValue> => ({
  recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${merchant.accountHash}`)),
  amount: sdk.CLValue.newCLUInt256('1'),
});

function transfer(overrides: Partial<CallSpec> = {}): Transaction {
  return buildCall({
    signer: facilitator.secretKey,
    packageHash: devnet.tokens[0]!.packageHash,
    entryPoint: 'transfer',
    args: transferArgs(),
    chainName: devnet.chainName,
    ...overrides,
  });
}

type V1Json = {
  hash: string;
  payload: Record<string, unknown>;
  approvals: Array<{ signer: string; signature: string }>;
};
const jsonOf = (tx: Transaction) => structuredClone(tx.toJSON()) as V1Json;

/** Submits and expects -32016 with the node's reason; the transaction must stay unknown. */
async function expectRefused(v1: V1Json, reason: string) {
  const answer = await rpc(devnet.rpcUrl, 'account_put_transaction', {
    transaction: { Version1: v1 },
  });
  expect(answer.error).toEqual({
    code: -32016,
    message: 'Invalid transaction',
    data: `the transaction was invalid: ${reason}`,
  });
  const lookup = await rpc(devnet.rpcUrl, 'info_get_transaction', {
    transaction_hash: { Version1: v1.hash },
  });
  expect(lookup.error?.code).toBe(-32014);
}

describe('account_put_transaction refuses what a node refuses', () => {
  it('accepts a valid transaction (the baseline the refusals differ from)', async () => {
    const answer = await rpc(devnet.rpcUrl, 'account_put_transaction', putParams(transfer()));
    expect(answer.result?.transaction_hash).toBeDefined();
  });

  it('a hash that is not the payload hash', async () => {
    const v1 = jsonOf(transfer());
    v1.hash = 'ab'.repeat(32);
    await expectRefused(v1, 'the transaction sent to the network had an invalid hash');
  });

  it('a payload changed after hashing', async () => {
    const v1 = jsonOf(transfer());
    (v1.payload as { ttl: string }).ttl = '29m';
    await expectRefused(v1, 'the transaction sent to the network had an invalid hash');
  });

  it('no approvals', async () => {
    const v1 = jsonOf(transfer());
    v1.approvals = [];
    await expectRefused(v1, 'the transaction sent to the network had no approvals');
  });

  it('an approval whose signature does not verify', async () => {
    const v1 = jsonOf(transfer());
    const signature = v1.approvals[0]!.signature;
    v1.approvals[0]!.signature =
      `${signature.slice(0, -2)}${signature.endsWith('00') ? '01' : '00'}`;
    await expectRefused(v1, 'the transaction sent to the network had an invalid approval');
  });

  it("an approval by a key that is not the initiator's", async () => {
    const v1 = jsonOf(transfer());
    const other = generateSecretKey();
    v1.approvals = [
      { signer: other.publicKey.hex, signature: signDigest(other, hexToBytes(v1.hash)) },
    ];
    await expectRefused(v1, 'invalid associated keys');
  });

  it('another chain name', async () => {
    await expectRefused(
      jsonOf(transfer({ chainName: 'casper-test' })),
      'the transaction sent to the network had an invalid chain name',
    );
  });

  it('Fixed pricing mode', async () => {
    const tx = rebuild(transfer(), facilitator.secretKey, (payload) => {
      const fixed = new sdk.FixedMode();
      fixed.gasPriceTolerance = 1;
      fixed.additionalComputationFactor = 0;
      const mode = new sdk.PricingMode();
      mode.fixed = fixed;
      payload.pricingMode = mode;
    });
    await expectRefused(
      jsonOf(tx),
      'the transaction sent to the network had an invalid pricing mode',
    );
  });

  it('gas price tolerance 0', async () => {
    await expectRefused(jsonOf(transfer({ gasPriceTolerance: 0 })), 'gas price tolerance too low');
  });

  it('a payment below 2.5 CSPR', async () => {
    await expectRefused(
      jsonOf(transfer({ paymentMotes: 2_499_999_999 })),
      'Invalid payment amount for Transaction::V1',
    );
  });

  it('a TTL over 2 hours', async () => {
    await expectRefused(
      jsonOf(transfer({ ttlMs: 2 * 60 * 60 * 1000 + 1000 })),
      'the transaction sent to the network had an excessive time to live',
    );
  });

  it('a timestamp more than 2 s in the future', async () => {
    await expectRefused(
      jsonOf(transfer({ timestamp: new Date(Date.now() + 60_000) })),
      'the transaction sent to the network had a timestamp that has not yet occurred',
    );
  });

  it('an expired transaction', async () => {
    await expectRefused(
      jsonOf(
        transfer({ timestamp: new Date(Date.now() - 2 * 60 * 60 * 1000), ttlMs: 60 * 60 * 1000 }),
      ),
      'transaction has expired',
    );
  });

  it('runtime args over 512 bytes with a small-lane payment (≤ 5 CSPR)', async () => {
    const args = { ...transferArgs(), memo: sdk.CLValue.newCLString('x'.repeat(600)) };
    await expectRefused(
      jsonOf(transfer({ args })),
      'the transaction sent to the network had excessive args length',
    );
    const larger = await rpc(
      devnet.rpcUrl,
      'account_put_transaction',
      putParams(transfer({ args, paymentMotes: 10_000_000_000 })),
    );
    expect(larger.result?.transaction_hash).toBeDefined();
  });

  it('an initiator without an account', async () => {
    await expectRefused(
      jsonOf(transfer({ signer: generateSecretKey() })),
      'no such addressable entity',
    );
  });

  it('an initiator with less than 2.5 CSPR', async () => {
    const poor = generateSecretKey('secp256k1');
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: poor.publicKey.hex,
      motes: '2499999999',
    });
    await expectRefused(jsonOf(transfer({ signer: poor })), 'insufficient balance');
  });

  it('an unknown package, contract or entry point', async () => {
    await expectRefused(
      jsonOf(transfer({ packageHash: 'cd'.repeat(32) })),
      'no such package at hash',
    );
    await expectRefused(
      jsonOf(transfer({ byContractHash: 'cd'.repeat(32) })),
      'no such contract at hash',
    );
    await expectRefused(jsonOf(transfer({ entryPoint: 'mint' })), 'no such entry point');
  });

  it('an initiator given by account hash, approved by its key, is accepted', async () => {
    const key = sdkKey(facilitator.secretKey);
    const tx = new sdk.ContractCallBuilder()
      .fromAccountHash(sdk.AccountHash.fromString(`account-hash-${facilitator.accountHash}`))
      .byPackageHash(devnet.tokens[0]!.packageHash)
      .entryPoint('transfer')
      .runtimeArgs(sdk.Args.fromMap(transferArgs()))
      .chainName(devnet.chainName)
      .ttl(60_000)
      .payment(3_000_000_000, 1)
      .build();
    tx.sign(key);
    expect((tx.toJSON() as V1Json).payload.initiator_addr).toEqual({
      AccountHash: `account-hash-${facilitator.accountHash}`,
    });
    const answer = await rpc(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
    expect(answer.result?.transaction_hash).toEqual({ Version1: tx.hash.toHex() });
  });

  it('a contract hash target is accepted like a package hash', async () => {
    const answer = await rpc(
      devnet.rpcUrl,
      'account_put_transaction',
      putParams(transfer({ byContractHash: devnet.tokens[0]!.contractHash })),
    );
    expect(answer.result?.transaction_hash).toBeDefined();
  });

  it('a native transfer, which this devnet does not execute', async () => {
    const key = sdkKey(facilitator.secretKey);
    const tx = new sdk.NativeTransferBuilder()
      .from(key.publicKey)
      .target(sdk.PublicKey.fromHex(merchant.publicKey))
      .amount('2500000000')
      .id(1)
      .chainName(devnet.chainName)
      .payment(2_500_000_000, 1)
      .build();
    tx.sign(key);
    await expectRefused(
      jsonOf(tx),
      'the devnet executes stored contracts and session Wasm, not native targets',
    );
  });

  it('a Deploy', async () => {
    const answer = await rpc(devnet.rpcUrl, 'account_put_transaction', {
      transaction: { Deploy: { hash: '00'.repeat(32) } },
    });
    expect(answer.error).toMatchObject({
      code: -32016,
      data: 'the transaction was invalid: expected transaction V1, got deploy',
    });
  });

  it('params that are not a transaction: -32602', async () => {
    for (const params of [{}, { transaction: { Version1: { hash: 'x' } } }, { transaction: 'x' }]) {
      const answer = await rpc(devnet.rpcUrl, 'account_put_transaction', params);
      expect(answer.error).toMatchObject({ code: -32602, message: 'Invalid params' });
    }
  });
});

describe("JSON-RPC framing and lookups answer with the node's codes", () => {
  const post = async (body: string) =>
    (await (
      await fetch(devnet.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    ).json()) as {
      id: unknown;
      error?: { code: number };
    };

  it('parse error, invalid request, positional params', async () => {
    expect((await post('{not json')).error?.code).toBe(-32700);
    expect((await post('{"id":4,"method":"info_get_status"}')).error?.code).toBe(-32600);
    expect((await post('[1,2]')).error?.code).toBe(-32600);
    const positional = await post(
      '{"jsonrpc":"2.0","id":5,"method":"chain_get_block","params":[1]}',
    );
    expect(positional).toMatchObject({ id: 5, error: { code: -32602 } });
  });

  it('unknown transaction, block, state root, key, dictionary item and name, purse', async () => {
    const root = (await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash'))
      .state_root_hash as string;
    const token = devnet.tokens[0]!;
    const named = (dictionary_name: string, dictionary_item_key: string) => ({
      state_root_hash: root,
      dictionary_identifier: {
        ContractNamedKey: {
          key: `hash-${token.contractHash}`,
          dictionary_name,
          dictionary_item_key,
        },
      },
    });
    const cases: Array<[string, unknown, number]> = [
      ['info_get_transaction', { transaction_hash: { Version1: 'ef'.repeat(32) } }, -32014],
      ['chain_get_block', { block_identifier: { Height: 999_999 } }, -32001],
      ['chain_get_block', { block_identifier: { Hash: 'ef'.repeat(32) } }, -32001],
      [
        'query_global_state',
        { key: `hash-${token.packageHash}`, state_identifier: { StateRootHash: 'ef'.repeat(32) } },
        -32012,
      ],
      ['query_global_state', { key: 'not-a-key' }, -32602],
      ['query_global_state', { key: `hash-${'ef'.repeat(32)}` }, -32003],
      ['query_global_state', { key: `hash-${token.contractHash}`, path: ['nope'] }, -32003],
      ['state_get_dictionary_item', named('balances', 'AA'.repeat(22)), -32003],
      ['state_get_dictionary_item', named('allowances', 'x'), -32010],
      [
        'state_get_dictionary_item',
        { ...named('balances', 'x'), state_root_hash: 'ef'.repeat(32) },
        -32012,
      ],
      [
        'query_balance',
        { purse_identifier: { main_purse_under_account_hash: `account-hash-${'ef'.repeat(32)}` } },
        -32026,
      ],
      [
        'query_balance',
        { purse_identifier: { main_purse_under_account_hash: 'account-hash' } },
        -32602,
      ],
    ];
    for (const [method, params, code] of cases) {
      const answer = await rpc(devnet.rpcUrl, method, params);
      expect(answer.error?.code, `${method} ${JSON.stringify(params)}`).toBe(code);
    }
  });
});
