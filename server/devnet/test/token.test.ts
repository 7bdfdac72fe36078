import {
  ARG_LAYOUTS,
  type ArgLayout,
  addressOfPublicKey,
  layoutArgs,
  odraNonceItemKey,
  usedNonceItemKey,
} from '@x402-casper/shared';
import {
  type Authorization,
  authorization,
  authorizationArgs,
  buildCall,
  deployToken,
  execute,
  nonceUsed,
  putParams,
  rpc,
  rpcResult,
  type SettlementSpec,
  sdk,
  settlementCall,
  signAuthorization,
  tokenBalance,
  vectorKeys,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, type DevnetToken, defaultDevAccounts, startDevnet } from '../src/index.js';

const [payer, secpPayer, stranger] = vectorKeys();
const [facilitator, merchant] = defaultDevAccounts();
const merchantAddress = `00${merchant.accountHash}`;

let devnet: Devnet;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  for (const key of [payer, secpPayer]) {
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: key.publicKey.hex,
      token: { package_hash: devnet.tokens[0]!.packageHash, amount: '5000000' },
    });
  }
});
afterAll(() => devnet.close());

function settlement(
  auth: ReturnType<typeof authorization>,
  signature: string,
  publicKey = payer.publicKey.hex,
) {
  const token = devnet.tokens[0]!;
  return buildCall({
    signer: facilitator.secretKey,
    packageHash: token.packageHash,
    entryPoint: 'transfer_with_authorization',
    args: authorizationArgs(auth, publicKey, signature),
    chainName: devnet.chainName,
  });
}

/** Which version a settlement calls: the package's newest (none given), a version, a contract hash. */
type Target = Pick<SettlementSpec, 'version' | 'byContractHash'>;

/** A signed settlement of `value` on `token` by the payer, with named args in `layout`. */
function settlementOn(token: DevnetToken, layout: ArgLayout, value = '400', by: Target = {}) {
  const auth = authorization(payer, merchantAddress, value);
  return settlementCall({
    chain: devnet,
    token,
    relayer: facilitator.secretKey,
    auth,
    payer,
    layout,
    ...by,
  });
}

describe('transfer_with_authorization', () => {
  it('executes in the next block and moves the balance (ed25519 and secp256k1 payers)', async () => {
    const token = devnet.tokens[0]!;
    for (const key of [payer, secpPayer]) {
      const from = addressOfPublicKey(key.publicKey);
      const auth = authorization(key, merchantAddress, '1250');
      const tx = settlement(
        auth,
        signAuthorization(key, token, devnet.network, auth),
        key.publicKey.hex,
      );
      const client = new sdk.RpcClient(new sdk.HttpHandler(devnet.rpcUrl, 'fetch'));
      const before = [
        await tokenBalance(devnet, token, from),
        await tokenBalance(devnet, token, merchantAddress),
      ];
      await client.putTransaction(tx);
      const pending = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
        transaction_hash: { Version1: tx.hash.toHex() },
      });
      expect(pending.execution_info).toBeNull();
      await rpcResult(devnet.rpcUrl, 'devnet_mine');
      const done = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
        transaction_hash: { Version1: tx.hash.toHex() },
      });
      expect(done.execution_info).toMatchObject({
        execution_result: { Version2: { error_message: null, cost: '3000000000' } },
      });
      expect(await tokenBalance(devnet, token, from)).toBe(before[0]! - 1250n);
      expect(await tokenBalance(devnet, token, merchantAddress)).toBe(before[1]! + 1250n);
      expect(await nonceUsed(devnet, token, from, auth.nonce)).toBe(true);
    }
  });

  it('accepts the same transaction again without executing it twice', async () => {
    const token = devnet.tokens[0]!;
    const auth = authorization(payer, merchantAddress, '7');
    const tx = settlement(auth, signAuthorization(payer, token, devnet.network, auth));
    const first = await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
    const second = await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
    expect(second.transaction_hash).toEqual(first.transaction_hash);
    const before = await tokenBalance(devnet, token, merchantAddress);
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(before + 7n);
  });
});

describe('every revert shows its error_message and changes no balance', () => {
  const from = () => addressOfPublicKey(payer.publicKey);

  async function expectRevert(
    message: string,
    auth: ReturnType<typeof authorization>,
    signature: string,
    publicKey = payer.publicKey.hex,
  ) {
    const token = devnet.tokens[0]!;
    const before = [
      await tokenBalance(devnet, token, auth.from),
      await tokenBalance(devnet, token, auth.to),
    ];
    const usedBefore = await nonceUsed(devnet, token, auth.from, auth.nonce);
    expect(await execute(devnet, settlement(auth, signature, publicKey))).toBe(message);
    expect(await tokenBalance(devnet, token, auth.from)).toBe(before[0]);
    expect(await tokenBalance(devnet, token, auth.to)).toBe(before[1]);
    expect(await nonceUsed(devnet, token, auth.from, auth.nonce)).toBe(usedBefore);
  }

  const sign = (auth: ReturnType<typeof authorization>, key = payer) =>
    signAuthorization(key, devnet.tokens[0]!, devnet.network, auth);

  it('a used nonce: User error: 37000', async () => {
    const auth = authorization(payer, merchantAddress, '10');
    expect(await execute(devnet, settlement(auth, sign(auth)))).toBeNull();
    const again = { ...auth, value: '11' };
    await expectRevert('User error: 37000', again, sign(again));
  });

  it('not yet valid (block time not after valid_after): User error: 37002', async () => {
    const now = Math.floor(Date.now() / 1000);
    const auth = authorization(payer, merchantAddress, '10', { validAfter: String(now + 300) });
    await expectRevert('User error: 37002', auth, sign(auth));
  });

  it('expired (block time not before valid_before): User error: 37001', async () => {
    const now = Math.floor(Date.now() / 1000);
    const auth = authorization(payer, merchantAddress, '10', {
      validAfter: String(now - 600),
      validBefore: String(now - 1),
    });
    await expectRevert('User error: 37001', auth, sign(auth));
  });

  it('expires when devnet_increaseTime moves the block time past valid_before', async () => {
    const snapshot = (await rpcResult(devnet.rpcUrl, 'devnet_snapshot')).id;
    const auth = authorization(payer, merchantAddress, '10');
    const tx = settlement(auth, sign(auth));
    await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
    await rpcResult(devnet.rpcUrl, 'devnet_increaseTime', { seconds: 900 });
    await rpcResult(devnet.rpcUrl, 'devnet_mine');
    const info = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
      transaction_hash: { Version1: tx.hash.toHex() },
    });
    expect(info.execution_info).toMatchObject({
      execution_result: { Version2: { error_message: 'User error: 37001' } },
    });
    await rpcResult(devnet.rpcUrl, 'devnet_revert', { id: snapshot });
  });

  it("a public key that is not from's: User error: 37004", async () => {
    const auth = authorization(payer, merchantAddress, '10');
    await expectRevert('User error: 37004', auth, sign(auth, stranger), stranger.publicKey.hex);
  });

  it('a signature by another key: User error: 37003', async () => {
    const auth = authorization(payer, merchantAddress, '10');
    await expectRevert('User error: 37003', auth, sign(auth, stranger));
  });

  it('a signature over other terms: User error: 37003', async () => {
    const auth = authorization(payer, merchantAddress, '10');
    await expectRevert('User error: 37003', auth, sign({ ...auth, value: '1' }));
  });

  it('more than the balance: User error: 60001', async () => {
    const balance = await tokenBalance(devnet, devnet.tokens[0]!, from());
    const auth = authorization(payer, merchantAddress, String(balance + 1n));
    await expectRevert('User error: 60001', auth, sign(auth));
  });

  it('the initiator still pays the payment amount for a reverted call', async () => {
    const balance = async () =>
      BigInt(
        (
          await rpcResult(devnet.rpcUrl, 'query_balance', {
            purse_identifier: { main_purse_under_public_key: facilitator.publicKey },
          })
        ).balance as string,
      );
    const before = await balance();
    const auth = authorization(payer, merchantAddress, '10');
    expect(await execute(devnet, settlement(auth, sign(auth, stranger)))).toBe('User error: 37003');
    expect(await balance()).toBe(before - 3_000_000_000n);
  });
});

describe('argument layouts', () => {
  interface NamedEntryPoint {
    name: string;
    entry_point: { args: Array<{ name: string; cl_type: unknown }> };
  }

  async function entryPoint(token: DevnetToken, name: string) {
    const stored = (
      await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${token.contractHash}` })
    ).stored_value as { Contract: { entry_points: NamedEntryPoint[] } };
    return stored.Contract.entry_points.find((candidate) => candidate.name === name)!.entry_point;
  }

  it.each(ARG_LAYOUTS)(
    'a %s token shows its args on chain, takes them and refuses the other layouts',
    async (layout) => {
      const token = await deployToken(devnet, {
        name: `Layout ${layout}`,
        symbol: 'LAY',
        decimals: 2,
        arg_layout: layout,
      });
      expect(token.argLayout).toBe(layout);
      const { amount, window } = layoutArgs(layout);
      expect((await entryPoint(token, 'transfer_with_authorization')).args).toEqual([
        { name: 'from', cl_type: 'Key' },
        { name: 'to', cl_type: 'Key' },
        { name: amount, cl_type: 'U256' },
        { name: 'valid_after', cl_type: window },
        { name: 'valid_before', cl_type: window },
        { name: 'nonce', cl_type: { List: 'U8' } },
        { name: 'public_key', cl_type: 'PublicKey' },
        { name: 'signature', cl_type: { List: 'U8' } },
      ]);
      await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: payer.publicKey.hex,
        token: { package_hash: token.packageHash, amount: '1000' },
      });
      for (const other of ARG_LAYOUTS.filter((candidate) => candidate !== layout)) {
        // A differently named amount is missing; the same name with other window types is not
        // the declared type.
        const expected =
          layoutArgs(other).amount === amount
            ? 'ApiError::InvalidArgument [3]'
            : 'ApiError::MissingArgument [2]';
        expect(await execute(devnet, settlementOn(token, other)), other).toBe(expected);
      }
      expect(await tokenBalance(devnet, token, merchantAddress)).toBe(0n);
      expect(await execute(devnet, settlementOn(token, layout))).toBeNull();
      expect(await tokenBalance(devnet, token, merchantAddress)).toBe(400n);
      expect(await tokenBalance(devnet, token, addressOfPublicKey(payer.publicKey))).toBe(600n);
    },
  );

  it('the old names cep3009 and legacy-u256 are aliases of amount-u64 and amount-u256', async () => {
    for (const [alias, layout] of [
      ['cep3009', 'amount-u64'],
      ['legacy-u256', 'amount-u256'],
    ] as const) {
      const token = await deployToken(devnet, {
        name: `Alias ${alias}`,
        symbol: 'ALS',
        decimals: 0,
        arg_layout: alias,
      });
      expect(token.argLayout).toBe(layout);
      const { window } = layoutArgs(layout);
      expect((await entryPoint(token, 'transfer_with_authorization')).args[3]).toEqual({
        name: 'valid_after',
        cl_type: window,
      });
    }
  });
});

describe('a signing domain name apart from the CEP-18 name', () => {
  it('checks signatures under the domain name, refusing one over the CEP-18 name with 37003', async () => {
    const token = await deployToken(devnet, {
      name: 'Any CEP-18 Name',
      symbol: 'X402',
      decimals: 2,
      arg_layout: 'amount-u256',
      domain_name: 'Cep18x402',
    });
    expect(token.domainName).toBe('Cep18x402');
    const name = (
      (
        await rpcResult(devnet.rpcUrl, 'query_global_state', {
          key: `hash-${token.contractHash}`,
          path: ['name'],
        })
      ).stored_value as { CLValue: { parsed: unknown } }
    ).CLValue.parsed;
    expect(name).toBe('Any CEP-18 Name');
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: token.packageHash, amount: '100' },
    });
    const run = (domainName: string) =>
      settlementCall({
        chain: devnet,
        token,
        relayer: facilitator.secretKey,
        auth: authorization(payer, merchantAddress, '30'),
        payer,
        domainName,
        layout: token.argLayout,
      });
    expect(await execute(devnet, run('Any CEP-18 Name'))).toBe('User error: 37003');
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(0n);
    expect(await execute(devnet, run('Cep18x402'))).toBeNull();
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(30n);
  });

  it('signs under the CEP-18 name when no domain name is given', () => {
    for (const token of devnet.tokens) expect(token.domainName).toBe(token.name);
  });
});

describe('nonces in Odra state (nonce_storage odra-state)', () => {
  it('keeps used nonces where Cep18X402 does, and refuses a replay with its code 1', async () => {
    const token = await deployToken(devnet, {
      name: 'Odra Token',
      symbol: 'ODR',
      decimals: 2,
      nonce_storage: 'odra-state',
    });
    expect(token.nonceStorage).toBe('odra-state');
    const contract = (
      await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${token.contractHash}` })
    ).stored_value as { Contract: { named_keys: Array<{ name: string }> } };
    const names = contract.Contract.named_keys.map((namedKey) => namedKey.name);
    expect(names).toContain('state');
    expect(names).toContain('balances');
    expect(names).not.toContain('used_nonces');
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: token.packageHash, amount: '100' },
    });
    const from = addressOfPublicKey(payer.publicKey);
    const auth = authorization(payer, merchantAddress, '10');
    const run = (terms: Authorization) =>
      settlementCall({ chain: devnet, token, relayer: facilitator.secretKey, auth: terms, payer });
    expect(await execute(devnet, run(auth))).toBeNull();
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(10n);

    // What a facilitator can see: no used_nonces dictionary; in Odra's `state`, the nonce at
    // the key the real contract writes (field 2 of its module), as a bool in a List<U8>.
    const root = (await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash')).state_root_hash;
    const lookup = (dictionary_name: string, dictionary_item_key: string) =>
      rpc(devnet.rpcUrl, 'state_get_dictionary_item', {
        state_root_hash: root,
        dictionary_identifier: {
          ContractNamedKey: {
            key: `hash-${token.contractHash}`,
            dictionary_name,
            dictionary_item_key,
          },
        },
      });
    const cepKey = usedNonceItemKey(from, auth.nonce);
    expect((await lookup('used_nonces', cepKey)).error).toMatchObject({
      code: -32010,
      data: "the provided dictionary name doesn't exist",
    });
    expect((await lookup('state', cepKey)).error?.code).toBe(-32003);
    const odraKey = odraNonceItemKey(2, from, auth.nonce);
    expect((await lookup('state', odraKey)).result).toMatchObject({
      stored_value: { CLValue: { cl_type: { List: 'U8' }, bytes: '0100000001' } },
    });

    const again = { ...auth, value: '11' };
    expect(await execute(devnet, run(again))).toBe('User error: 1');
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(10n);
    expect(await tokenBalance(devnet, token, from)).toBe(90n);
  });

  it('writes the used nonce into the state dictionary (an effect of the execution)', async () => {
    const token = await deployToken(devnet, {
      name: 'Odra Effects',
      symbol: 'ODE',
      decimals: 0,
      nonce_storage: 'odra-state',
    });
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: token.packageHash, amount: '5' },
    });
    const auth = authorization(payer, merchantAddress, '1');
    const tx = settlementCall({
      chain: devnet,
      token,
      relayer: facilitator.secretKey,
      auth,
      payer,
    });
    expect(await execute(devnet, tx)).toBeNull();
    const info = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
      transaction_hash: { Version1: tx.hash.toHex() },
    });
    const effects = (
      info.execution_info as {
        execution_result: {
          Version2: { effects: Array<{ key: string; kind: { Write: { CLValue: unknown } } }> };
        };
      }
    ).execution_result.Version2.effects;
    const nonceWrite = effects.find(
      (effect) =>
        JSON.stringify((effect.kind.Write.CLValue as { cl_type: unknown }).cl_type) ===
        JSON.stringify({ List: 'U8' }),
    )!;
    const stored = await rpcResult(devnet.rpcUrl, 'query_global_state', { key: nonceWrite.key });
    expect(stored.stored_value).toEqual({
      CLValue: { cl_type: { List: 'U8' }, bytes: '0100000001', parsed: [1] },
    });
  });
});

describe('plain CEP-18 transfer', () => {
  it("transfer moves the initiator's tokens; too much reverts with 60001", async () => {
    const [, , alice, bob] = defaultDevAccounts();
    const token = devnet.tokens[0]!;
    const aliceAddress = `00${alice.accountHash}`;
    const bobAddress = `00${bob.accountHash}`;
    const before = [
      await tokenBalance(devnet, token, aliceAddress),
      await tokenBalance(devnet, token, bobAddress),
    ];
    const transfer = (amount: string) =>
      buildCall({
        signer: alice.secretKey,
        packageHash: token.packageHash,
        entryPoint: 'transfer',
        args: {
          recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${bob.accountHash}`)),
          amount: sdk.CLValue.newCLUInt256(amount),
        },
        chainName: devnet.chainName,
      });
    expect(await execute(devnet, transfer('25'))).toBeNull();
    expect(await execute(devnet, transfer(String(before[0]! + 1n)))).toBe('User error: 60001');
    expect(await tokenBalance(devnet, token, aliceAddress)).toBe(before[0]! - 25n);
    expect(await tokenBalance(devnet, token, bobAddress)).toBe(before[1]! + 25n);
  });

  it('a missing argument reverts with ApiError::MissingArgument [2]', async () => {
    const token = devnet.tokens[0]!;
    const tx = buildCall({
      signer: facilitator.secretKey,
      packageHash: token.packageHash,
      entryPoint: 'transfer',
      args: { amount: sdk.CLValue.newCLUInt256('1') },
      chainName: devnet.chainName,
    });
    expect(await execute(devnet, tx)).toBe('ApiError::MissingArgument [2]');
  });
});

describe('nonces under no named key (nonce_storage hidden)', () => {
  it('keeps used nonces where no one outside can read them, and refuses a replay with 37000', async () => {
    const token = await deployToken(devnet, {
      name: 'Hidden Nonces',
      symbol: 'HID',
      decimals: 2,
      nonce_storage: 'hidden',
    });
    expect(token.nonceStorage).toBe('hidden');
    const contract = (
      await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${token.contractHash}` })
    ).stored_value as {
      Contract: { named_keys: Array<{ name: string }>; entry_points: Array<{ name: string }> };
    };
    expect(contract.Contract.named_keys.map((namedKey) => namedKey.name).sort()).toEqual([
      'balances',
      'decimals',
      'name',
      'symbol',
      'total_supply',
    ]);
    expect(contract.Contract.entry_points.map((point) => point.name)).toContain(
      'cancel_authorization',
    );
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: token.packageHash, amount: '100' },
    });
    const from = addressOfPublicKey(payer.publicKey);
    const run = (terms: Authorization) =>
      settlementCall({ chain: devnet, token, relayer: facilitator.secretKey, auth: terms, payer });
    const auth = authorization(payer, merchantAddress, '10');
    expect(await execute(devnet, run(auth))).toBeNull();
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(10n);

    const root = (await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash')).state_root_hash;
    for (const dictionary_name of ['used_nonces', 'state']) {
      const lookup = await rpc(devnet.rpcUrl, 'state_get_dictionary_item', {
        state_root_hash: root,
        dictionary_identifier: {
          ContractNamedKey: {
            key: `hash-${token.contractHash}`,
            dictionary_name,
            dictionary_item_key: usedNonceItemKey(from, auth.nonce),
          },
        },
      });
      expect(lookup.error, dictionary_name).toMatchObject({
        code: -32010,
        data: "the provided dictionary name doesn't exist",
      });
    }

    // The contract still knows the nonce: a second authorization with it reverts.
    expect(await execute(devnet, run({ ...auth, value: '11' }))).toBe('User error: 37000');
    expect(await tokenBalance(devnet, token, from)).toBe(90n);
  });
});

describe('a package upgrade (devnet_upgradeToken)', () => {
  interface StoredPackage {
    ContractPackage: {
      versions: Array<{ contract_version: number; contract_hash: string }>;
      disabled_versions: unknown[];
    };
  }
  interface StoredContract {
    Contract: { entry_points: Array<{ name: string; entry_point: { args: { name: string }[] } }> };
  }
  const stored = async <T>(key: string) =>
    (await rpcResult(devnet.rpcUrl, 'query_global_state', { key })).stored_value as T;
  const argNames = async (contractHash: string) =>
    (await stored<StoredContract>(`hash-${contractHash}`)).Contract.entry_points
      .find((point) => point.name === 'transfer_with_authorization')!
      .entry_point.args.map((arg) => arg.name);

  it('adds a contract version with the new layout, disables the old one and keeps the state', async () => {
    const token = await deployToken(devnet, { name: 'Upgradable', symbol: 'UPG', decimals: 0 });
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: token.packageHash, amount: '100' },
    });
    const call = (layout: ArgLayout, value: string, by: Target = {}) =>
      settlementOn(token, layout, value, by);
    expect(await execute(devnet, call('amount-u64', '10'))).toBeNull();

    const upgraded = await rpcResult(devnet.rpcUrl, 'devnet_upgradeToken', {
      package_hash: token.packageHash,
      arg_layout: 'value-u64',
    });
    expect(upgraded).toEqual({
      api_version: '2.0.0',
      package_hash: token.packageHash,
      contract_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      contract_version: 2,
      arg_layout: 'value-u64',
    });
    const current = upgraded.contract_hash as string;
    expect(current).not.toBe(token.contractHash);
    expect((await stored<StoredPackage>(`hash-${token.packageHash}`)).ContractPackage).toEqual(
      expect.objectContaining({
        versions: [
          expect.objectContaining({
            contract_version: 1,
            contract_hash: `contract-${token.contractHash}`,
          }),
          expect.objectContaining({ contract_version: 2, contract_hash: `contract-${current}` }),
        ],
        disabled_versions: [[2, 1]],
      }),
    );
    expect(await argNames(token.contractHash)).toContain('amount');
    expect(await argNames(current)).toContain('value');
    // Balances carry over: the new contract reads the same dictionary.
    expect(await tokenBalance(devnet, { contractHash: current }, merchantAddress)).toBe(10n);

    // The package now runs the new contract: the old layout is missing its argument.
    expect(await execute(devnet, call('amount-u64', '5'))).toBe('ApiError::MissingArgument [2]');
    expect(await execute(devnet, call('value-u64', '5'))).toBeNull();
    expect(await execute(devnet, call('value-u64', '1', { version: 2 }))).toBeNull();
    expect(
      await execute(devnet, call('amount-u64', '1', { byContractHash: token.contractHash })),
    ).toBe(`Contract is disabled: contract-${token.contractHash}`);
    expect(await tokenBalance(devnet, { contractHash: current }, merchantAddress)).toBe(16n);
    const byOldVersion = await rpc(
      devnet.rpcUrl,
      'account_put_transaction',
      putParams(call('amount-u64', '1', { version: 1 })),
    );
    expect(byOldVersion.error).toMatchObject({
      code: -32016,
      data: 'the transaction was invalid: no such contract at hash',
    });

    // A second upgrade makes version 3 and disables version 2 as well.
    const again = await rpcResult(devnet.rpcUrl, 'devnet_upgradeToken', {
      package_hash: token.packageHash,
      arg_layout: 'amount-u256',
    });
    expect(again.contract_version).toBe(3);
    expect(
      (await stored<StoredPackage>(`hash-${token.packageHash}`)).ContractPackage.disabled_versions,
    ).toEqual([
      [2, 1],
      [2, 2],
    ]);
  });

  it('refuses an unknown package or layout, naming the field, and makes no block', async () => {
    const token = devnet.tokens[0]!;
    const before = (await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash')).state_root_hash;
    for (const [params, field, reason] of [
      [{ package_hash: 'ab'.repeat(32), arg_layout: 'value-u64' }, 'package_hash', 'no token'],
      [{ package_hash: 'xyz', arg_layout: 'value-u64' }, 'package_hash', '64 hex digits'],
      [{ package_hash: token.packageHash, arg_layout: 'value-u256' }, 'arg_layout', 'one of'],
      [{ package_hash: token.packageHash }, 'arg_layout', 'one of'],
    ] as const) {
      const answer = await rpc(devnet.rpcUrl, 'devnet_upgradeToken', params);
      expect(answer.error, JSON.stringify(params)).toMatchObject({ code: -32602 });
      expect(answer.error?.data).toMatch(new RegExp(`^${field}: .*${reason}`));
    }
    expect((await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash')).state_root_hash).toBe(
      before,
    );
  });
});
