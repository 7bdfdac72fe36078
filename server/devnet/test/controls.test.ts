// Test controls (devnet_*), blocks on a timer, genesis documents and files.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressOfPublicKey, generateSecretKey } from '@x402-casper/shared';
import {
  authorization,
  buildCall,
  execute,
  putParams,
  rpc,
  rpcResult,
  sdk,
  settlementCall,
  tokenBalance,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';

const [facilitator, merchant, alice] = defaultDevAccounts();
const dir = mkdtempSync(join(tmpdir(), 'devnet-controls-'));
let devnet: Devnet;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
});
afterAll(async () => {
  await devnet.close();
  rmSync(dir, { recursive: true, force: true });
});

const height = async (url = devnet.rpcUrl) =>
  (
    (await rpcResult(url, 'info_get_status')).last_added_block_info as {
      height: number;
    }
  ).height;
const motes = async (publicKey: string) =>
  BigInt(
    (
      await rpcResult(devnet.rpcUrl, 'query_balance', {
        purse_identifier: { main_purse_under_public_key: publicKey },
      })
    ).balance as string,
  );

describe('devnet_fund', () => {
  it('credits CSPR and mints tokens to a public key, an account-hash and a 00 address', async () => {
    const token = devnet.tokens[0]!;
    for (const form of ['publicKey', 'account-hash', 'address'] as const) {
      const key = generateSecretKey(form === 'address' ? 'secp256k1' : 'ed25519');
      const address = addressOfPublicKey(key.publicKey);
      const account =
        form === 'publicKey'
          ? key.publicKey.hex
          : form === 'account-hash'
            ? `account-hash-${address.slice(2)}`
            : address;
      const supply = async () =>
        BigInt(
          (
            (
              await rpcResult(devnet.rpcUrl, 'query_global_state', {
                key: `hash-${token.contractHash}`,
                path: ['total_supply'],
              })
            ).stored_value as { CLValue: { parsed: string } }
          ).CLValue.parsed,
        );
      const supplyBefore = await supply();
      const result = await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account,
        motes: '5000000000',
        token: { package_hash: token.packageHash, amount: '42' },
      });
      expect(result.account_hash).toBe(`account-hash-${address.slice(2)}`);
      expect(await motes(key.publicKey.hex)).toBe(5_000_000_000n);
      expect(await tokenBalance(devnet, token, address)).toBe(42n);
      expect(await supply()).toBe(supplyBefore + 42n);
    }
  });

  it('mints tokens to a contract address but refuses it CSPR', async () => {
    const token = devnet.tokens[0]!;
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: `hash-${'12'.repeat(32)}`,
      token: { package_hash: token.packageHash, amount: '3' },
    });
    expect(await tokenBalance(devnet, token, `01${'12'.repeat(32)}`)).toBe(3n);
    const refused = await rpc(devnet.rpcUrl, 'devnet_fund', {
      account: `hash-${'12'.repeat(32)}`,
      motes: '1',
    });
    expect(refused.error).toMatchObject({ code: -32602, data: expect.stringContaining('account') });
  });

  it('names the field of bad input and changes nothing', async () => {
    const before = await height();
    const cases: Array<[unknown, string]> = [
      [{ account: 'nope', motes: '1' }, 'account'],
      [{ account: alice.publicKey, motes: '-1' }, 'motes'],
      [{ account: alice.publicKey }, 'motes'],
      [
        { account: alice.publicKey, token: { package_hash: 'ab'.repeat(32), amount: '1' } },
        'token.package_hash',
      ],
      [
        {
          account: alice.publicKey,
          token: { package_hash: devnet.tokens[0]!.packageHash, amount: '1.5' },
        },
        'token.amount',
      ],
    ];
    for (const [params, field] of cases) {
      const answer = await rpc(devnet.rpcUrl, 'devnet_fund', params);
      expect(answer.error?.code).toBe(-32602);
      expect(String(answer.error?.data)).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
    }
    expect(await height()).toBe(before);
  });
});

describe('devnet_deployToken', () => {
  it('installs a token readable like the genesis one, with hashes fixed by chain and order', async () => {
    const result = await rpcResult(devnet.rpcUrl, 'devnet_deployToken', {
      name: 'Test USD',
      symbol: 'TUSD',
      decimals: 2,
    });
    const value = async (name: string) =>
      (
        (
          await rpcResult(devnet.rpcUrl, 'query_global_state', {
            key: `hash-${result.contract_hash}`,
            path: [name],
          })
        ).stored_value as { CLValue: { parsed: unknown } }
      ).CLValue.parsed;
    expect([
      await value('name'),
      await value('symbol'),
      await value('decimals'),
      await value('total_supply'),
    ]).toEqual(['Test USD', 'TUSD', 2, '0']);
    const pkg = (
      await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${result.package_hash}` })
    ).stored_value as { ContractPackage: { versions: Array<{ contract_hash: string }> } };
    expect(pkg.ContractPackage.versions[0]!.contract_hash).toBe(`contract-${result.contract_hash}`);

    const twin = await startDevnet({ port: 0, blockTimeMs: 0 });
    try {
      const again = await rpcResult(twin.rpcUrl, 'devnet_deployToken', {
        name: 'Test USD',
        symbol: 'TUSD',
        decimals: 2,
      });
      expect(again).toEqual(result);
      expect(twin.tokens).toEqual(devnet.tokens);
    } finally {
      await twin.close();
    }
  });

  it('refuses bad specs naming the field, and changes nothing', async () => {
    const before = await height();
    const base = { name: 'X', symbol: 'X', decimals: 1 };
    for (const [params, field, reason] of [
      [{ ...base, name: '' }, 'name', 'non-empty string'],
      [{ ...base, decimals: 256 }, 'decimals', 'from 0 to 255'],
      [
        { ...base, arg_layout: 'u128' },
        'arg_layout',
        'must be one of amount-u64, value-u64, amount-u256, cep3009, legacy-u256',
      ],
      [{ ...base, arg_layout: 3 }, 'arg_layout', 'must be one of'],
      [{ ...base, domain_name: '' }, 'domain_name', 'non-empty string of at most 128'],
      [{ ...base, domain_name: 'D'.repeat(129) }, 'domain_name', 'at most 128 characters'],
      [{ ...base, domain_name: 7 }, 'domain_name', 'non-empty string'],
      [
        { ...base, nonce_storage: 'odra' },
        'nonce_storage',
        'must be one of used_nonces, odra-state, hidden',
      ],
      [{ ...base, nonce_storage: null }, 'nonce_storage', 'must be one of'],
    ] as const) {
      const answer = await rpc(devnet.rpcUrl, 'devnet_deployToken', params);
      expect(answer.error?.code).toBe(-32602);
      expect(String(answer.error?.data)).toMatch(new RegExp(`^${field}: .*${reason}`));
    }
    expect(await height()).toBe(before);
  });

  it('answers with the layout (aliases resolved), domain name and nonce storage', async () => {
    expect(
      await rpcResult(devnet.rpcUrl, 'devnet_deployToken', {
        name: 'Shown',
        symbol: 'SHW',
        decimals: 0,
        arg_layout: 'legacy-u256',
        domain_name: 'Cep18x402',
        nonce_storage: 'odra-state',
      }),
    ).toMatchObject({
      arg_layout: 'amount-u256',
      domain_name: 'Cep18x402',
      nonce_storage: 'odra-state',
    });
    expect(
      await rpcResult(devnet.rpcUrl, 'devnet_deployToken', {
        name: 'Plain',
        symbol: 'P',
        decimals: 0,
      }),
    ).toMatchObject({
      arg_layout: 'amount-u64',
      domain_name: 'Plain',
      nonce_storage: 'used_nonces',
    });
  });
});

describe('blocks, time, snapshots', () => {
  it('devnet_mine makes blocks; without it no block comes when --block-time is 0', async () => {
    const before = await height();
    const result = await rpcResult(devnet.rpcUrl, 'devnet_mine', { blocks: 3 });
    expect(result.block_height).toBe(before + 3);
    await rpcResult(devnet.rpcUrl, 'info_get_status');
    expect(await height()).toBe(before + 3);
    expect((await rpc(devnet.rpcUrl, 'devnet_mine', { blocks: 0 })).error?.code).toBe(-32602);
  });

  it("devnet_increaseTime moves the next block's timestamp forward", async () => {
    const timestamp = async () =>
      Date.parse(
        (
          (await rpcResult(devnet.rpcUrl, 'info_get_status')).last_added_block_info as {
            timestamp: string;
          }
        ).timestamp,
      );
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const before = await timestamp();
    await rpcResult(devnet.rpcUrl, 'devnet_increaseTime', { seconds: 3600 });
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    expect((await timestamp()) - before).toBeGreaterThanOrEqual(3_600_000);
    expect((await rpc(devnet.rpcUrl, 'devnet_increaseTime', { seconds: -1 })).error?.code).toBe(
      -32602,
    );
  });

  it('devnet_revert restores balances, blocks and transactions, once', async () => {
    const token = devnet.tokens[0]!;
    const { id } = await rpcResult(devnet.rpcUrl, 'devnet_snapshot');
    const before = await height();
    const aliceBalance = await tokenBalance(devnet, token, `00${alice.accountHash}`);
    const tx = buildCall({
      signer: alice.secretKey,
      packageHash: token.packageHash,
      entryPoint: 'transfer',
      args: {
        recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${merchant.accountHash}`)),
        amount: sdk.CLValue.newCLUInt256('9'),
      },
      chainName: devnet.chainName,
    });
    await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    expect(await tokenBalance(devnet, token, `00${alice.accountHash}`)).toBe(aliceBalance - 9n);
    expect(await rpcResult(devnet.rpcUrl, 'devnet_revert', { id })).toMatchObject({
      reverted: true,
    });
    expect(await height()).toBe(before);
    expect(await tokenBalance(devnet, token, `00${alice.accountHash}`)).toBe(aliceBalance);
    const lookup = await rpc(devnet.rpcUrl, 'info_get_transaction', {
      transaction_hash: { Version1: tx.hash.toHex() },
    });
    expect(lookup.error?.code).toBe(-32014);
    expect((await rpc(devnet.rpcUrl, 'devnet_revert', { id })).error?.code).toBe(-32602);
  });

  it('with a block time, a submitted transaction executes without devnet_mine', async () => {
    const timed = await startDevnet({ port: 0, blockTimeMs: 50 });
    try {
      const tx = buildCall({
        signer: alice.secretKey,
        packageHash: timed.tokens[0]!.packageHash,
        entryPoint: 'transfer',
        args: {
          recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${merchant.accountHash}`)),
          amount: sdk.CLValue.newCLUInt256('1'),
        },
        chainName: timed.chainName,
      });
      await rpcResult(timed.rpcUrl, 'account_put_transaction', putParams(tx));
      let info: Record<string, unknown> = {};
      for (let attempt = 0; attempt < 200 && !info.execution_info; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        info = await rpcResult(timed.rpcUrl, 'info_get_transaction', {
          transaction_hash: { Version1: tx.hash.toHex() },
        });
      }
      expect(info.execution_info).toMatchObject({
        execution_result: { Version2: { error_message: null } },
      });
    } finally {
      await timed.close();
    }
  });
});

describe('genesis', () => {
  const genesis = {
    accounts: [{ name: 'payer', publicKey: alice.publicKey, motes: '7000000000' }],
    tokens: [
      {
        name: 'Legacy Coin',
        symbol: 'LEG',
        decimals: 9,
        argLayout: 'legacy-u256',
        balances: { payer: '500' },
      },
      {
        name: 'Plain Coin',
        symbol: 'PLN',
        decimals: 0,
        balances: { [facilitator.publicKey]: '9' },
      },
      {
        name: 'PoC Coin',
        symbol: 'POC',
        decimals: 2,
        argLayout: 'value-u64',
        domainName: 'Cep18x402',
        nonceStorage: 'odra-state',
      },
      { name: 'Hidden Coin', symbol: 'HID', decimals: 0, nonceStorage: 'hidden' },
    ],
  };

  it('a genesis file defines accounts and tokens; hashes depend on genesis and chain name', async () => {
    const file = join(dir, 'genesis.json');
    writeFileSync(file, JSON.stringify(genesis));
    const custom = await startDevnet({
      port: 0,
      blockTimeMs: 0,
      genesis: file,
      chainName: 'casper-custom',
    });
    const same = await startDevnet({
      port: 0,
      blockTimeMs: 0,
      genesis,
      chainName: 'casper-custom',
    });
    const otherChain = await startDevnet({ port: 0, blockTimeMs: 0, genesis });
    try {
      expect(custom.network).toBe('casper:casper-custom');
      expect(custom.accounts).toEqual([
        { name: 'payer', publicKey: alice.publicKey, accountHash: alice.accountHash },
      ]);
      expect(
        custom.tokens.map((t) => [t.symbol, t.decimals, t.argLayout, t.domainName, t.nonceStorage]),
      ).toEqual([
        ['LEG', 9, 'amount-u256', 'Legacy Coin', 'used_nonces'],
        ['PLN', 0, 'amount-u64', 'Plain Coin', 'used_nonces'],
        ['POC', 2, 'value-u64', 'Cep18x402', 'odra-state'],
        ['HID', 0, 'amount-u64', 'Hidden Coin', 'hidden'],
      ]);
      expect(await tokenBalance(custom, custom.tokens[0]!, `00${alice.accountHash}`)).toBe(500n);
      expect(await tokenBalance(custom, custom.tokens[1]!, `00${facilitator.accountHash}`)).toBe(
        9n,
      );
      const balance = await rpcResult(custom.rpcUrl, 'query_balance', {
        purse_identifier: { main_purse_under_public_key: alice.publicKey },
      });
      expect(balance.balance).toBe('7000000000');
      expect(same.tokens).toEqual(custom.tokens);
      expect(otherChain.tokens[0]!.packageHash).not.toBe(custom.tokens[0]!.packageHash);
    } finally {
      await Promise.all([custom.close(), same.close(), otherChain.close()]);
    }
  });

  it('a bad genesis is refused naming the field', async () => {
    const bad: Array<[unknown, string]> = [
      [{ accounts: [], tokens: {} }, 'tokens'],
      [
        { accounts: [{ name: 'a', publicKey: '01ab', motes: '1' }], tokens: [] },
        'accounts[0].publicKey',
      ],
      [
        { accounts: [{ name: 'a', publicKey: alice.publicKey, motes: 'lots' }], tokens: [] },
        'accounts[0].motes',
      ],
      [
        {
          accounts: [],
          tokens: [{ name: 'T', symbol: 'T', decimals: 1, balances: { nobody: '1' } }],
        },
        'tokens[0].balances.nobody',
      ],
      [
        { accounts: [], tokens: [{ name: 'T', symbol: 'T', decimals: 1, argLayout: 'x' }] },
        'tokens[0].argLayout',
      ],
      [
        { accounts: [], tokens: [{ name: 'T', symbol: 'T', decimals: 1, domainName: '' }] },
        'tokens[0].domainName',
      ],
      [
        {
          accounts: [],
          tokens: [{ name: 'T', symbol: 'T', decimals: 1, domainName: 'D'.repeat(129) }],
        },
        'tokens[0].domainName',
      ],
      [
        {
          accounts: [],
          tokens: [{ name: 'T', symbol: 'T', decimals: 1, nonceStorage: 'dictionary' }],
        },
        'tokens[0].nonceStorage',
      ],
    ];
    for (const [document, field] of bad) {
      await expect(
        startDevnet({ port: 0, genesis: document as Record<string, unknown> }),
      ).rejects.toMatchObject({ field });
    }
    await expect(
      startDevnet({ port: 0, genesis: join(dir, 'missing.json') }),
    ).rejects.toMatchObject({ field: 'genesis' });
  });
});

describe('state file', () => {
  it('loads a state saved before domain names, nonce storage and the new layout names', async () => {
    const file = join(dir, 'old-state.json');
    const genesis = {
      accounts: [{ name: 'payer', publicKey: alice.publicKey, motes: '7000000000' }],
      tokens: [
        { name: 'Old Coin', symbol: 'OLD', decimals: 2, balances: { payer: '50' } },
        { name: 'Old Legacy', symbol: 'OLG', decimals: 2, argLayout: 'amount-u256' },
      ],
    };
    const first = await startDevnet({ port: 0, blockTimeMs: 0, genesis, statePath: file });
    await first.close();
    // Rewrite it as an older devnet saved it.
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      chain: { states: Record<string, { tokens: Record<string, Record<string, unknown>> }> };
    };
    for (const state of Object.values(saved.chain.states)) {
      for (const token of Object.values(state.tokens)) {
        delete token.domainName;
        delete token.nonceStorage;
        token.argLayout = token.argLayout === 'amount-u256' ? 'legacy-u256' : 'cep3009';
      }
    }
    writeFileSync(file, JSON.stringify(saved));

    const reloaded = await startDevnet({ port: 0, blockTimeMs: 0, statePath: file });
    try {
      expect(
        reloaded.tokens.map((t) => [t.symbol, t.argLayout, t.domainName, t.nonceStorage]),
      ).toEqual([
        ['OLD', 'amount-u64', 'Old Coin', 'used_nonces'],
        ['OLG', 'amount-u256', 'Old Legacy', 'used_nonces'],
      ]);
      const token = reloaded.tokens[0]!;
      expect(await tokenBalance(reloaded, token, `00${alice.accountHash}`)).toBe(50n);
      const contract = (
        await rpcResult(reloaded.rpcUrl, 'query_global_state', {
          key: `hash-${token.contractHash}`,
        })
      ).stored_value as { Contract: { named_keys: Array<{ name: string }> } };
      expect(contract.Contract.named_keys.map((namedKey) => namedKey.name)).toContain(
        'used_nonces',
      );
      // Signed under the CEP-18 name, with amount-u64 args, as before.
      const auth = authorization(alice.secretKey, `00${merchant.accountHash}`, '20');
      const settlement = settlementCall({
        chain: reloaded,
        token,
        relayer: alice.secretKey,
        auth,
        payer: alice.secretKey,
        domainName: 'Old Coin',
      });
      expect(await execute(reloaded, settlement)).toBeNull();
      expect(await tokenBalance(reloaded, token, `00${merchant.accountHash}`)).toBe(20n);
    } finally {
      await reloaded.close();
    }
  });

  it('refuses a state file whose token has an unknown layout, naming it', async () => {
    const file = join(dir, 'bad-state.json');
    const first = await startDevnet({ port: 0, blockTimeMs: 0, statePath: file });
    await first.close();
    const text = readFileSync(file, 'utf8').replaceAll('"amount-u64"', '"u128"');
    writeFileSync(file, text);
    await expect(startDevnet({ port: 0, statePath: file })).rejects.toMatchObject({
      field: expect.stringMatching(/^state\.tokens\.[0-9a-f]{64}\.argLayout$/),
    });
  });
});
