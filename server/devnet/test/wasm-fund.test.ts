// devnet_fund for a Wasm token: the real Cep18X402 binary's own `transfer` moves tokens from
// the account holding the supply (its installer) to the funded account, in one block, with no
// transaction; the balances stay in the contract's own `balances` dictionary.

import { addressOfPublicKey, generateSecretKey } from '@x402-casper/shared';
import {
  buildCall,
  buildInstall,
  cep18x402GenesisToken,
  executeFull,
  installArgs,
  loadCep18x402,
  namedPackage,
  rpc,
  rpcResult,
  sdk,
  tokenBalance,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';

const wasm = loadCep18x402();
const [facilitator, merchant, alice] = defaultDevAccounts();
const installerAddress = `00${facilitator.accountHash}`;
let devnet: Devnet;
let token: { packageHash: string; contractHash: string };

const height = async () =>
  (
    (await rpcResult(devnet.rpcUrl, 'chain_get_block')) as {
      block_with_signatures: { block: { Version2: { header: { height: number } } } };
    }
  ).block_with_signatures.block.Version2.header.height;

const motes = async (publicKey: string) =>
  BigInt(
    (
      await rpcResult(devnet.rpcUrl, 'query_balance', {
        purse_identifier: { main_purse_under_public_key: publicKey },
      })
    ).balance as string,
  );

beforeAll(async () => {
  if (!wasm) return;
  devnet = await startDevnet({
    port: 0,
    blockTimeMs: 0,
    genesis: {
      accounts: [
        { name: 'facilitator', publicKey: facilitator.publicKey, motes: '1000000000000000' },
        { name: 'merchant', publicKey: merchant.publicKey, motes: '1000000000000' },
      ],
      tokens: [
        cep18x402GenesisToken({
          installer: 'facilitator',
          initialSupply: '1000000',
          chainName: 'casper:casper-net-1',
        }),
      ],
    },
  });
  token = devnet.contracts[0]!;
});
afterAll(() => devnet?.close());

describe.skipIf(!wasm)('devnet_fund with a Wasm token', () => {
  it("moves tokens from the installer through the contract's transfer, in one block with no transaction", async () => {
    const payer = generateSecretKey('secp256k1');
    const payerAddress = addressOfPublicKey(payer.publicKey);
    const before = await height();
    const result = await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      motes: '3000000000',
      token: { package_hash: token.packageHash, amount: '1234' },
    });
    expect(result).toMatchObject({
      account_hash: `account-hash-${payerAddress.slice(2)}`,
      token_from: `account-hash-${facilitator.accountHash}`,
    });
    expect(await height()).toBe(before + 1);
    const block = (await rpcResult(devnet.rpcUrl, 'chain_get_block')) as {
      block_with_signatures: {
        block: { Version2: { hash: string; body: { transactions: Record<string, unknown[]> } } };
      };
    };
    expect(block.block_with_signatures.block.Version2.hash).toBe(result.block_hash);
    expect(
      Object.values(block.block_with_signatures.block.Version2.body.transactions).flat(),
    ).toEqual([]);
    expect(await tokenBalance(devnet, token, payerAddress)).toBe(1234n);
    expect(await tokenBalance(devnet, token, installerAddress)).toBe(1_000_000n - 1234n);
    expect(await motes(payer.publicKey.hex)).toBe(3_000_000_000n);
  });

  it('funds the same account again, an account-hash and a contract address', async () => {
    const aliceAddress = `00${alice.accountHash}`;
    for (let i = 0; i < 2; i++) {
      await rpcResult(devnet.rpcUrl, 'devnet_fund', {
        account: `account-hash-${alice.accountHash}`,
        token: { package_hash: token.packageHash, amount: '50' },
      });
    }
    expect(await tokenBalance(devnet, token, aliceAddress)).toBe(100n);
    const contract = `01${'34'.repeat(32)}`;
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: `hash-${'34'.repeat(32)}`,
      token: { package_hash: token.packageHash, amount: '7' },
    });
    expect(await tokenBalance(devnet, token, contract)).toBe(7n);
  });

  it('the funded tokens are the contract’s: the payer can transfer them with its own transaction', async () => {
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: merchant.publicKey,
      token: { package_hash: token.packageHash, amount: '500' },
    });
    const result = await executeFull(
      devnet,
      buildCall({
        signer: merchant.secretKey,
        packageHash: token.packageHash,
        entryPoint: 'transfer',
        args: {
          recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${alice.accountHash}`)),
          amount: sdk.CLValue.newCLUInt256('200'),
        },
        chainName: devnet.chainName,
        paymentMotes: 10_000_000_000,
      }),
    );
    expect(result.error_message).toBeNull();
    expect(await tokenBalance(devnet, token, `00${merchant.accountHash}`)).toBe(300n);
  });

  it('refuses more than the installer holds, saying so, and makes no block', async () => {
    const held = await tokenBalance(devnet, token, installerAddress);
    const aliceHeld = await tokenBalance(devnet, token, `00${alice.accountHash}`);
    const before = await height();
    const answer = await rpc(devnet.rpcUrl, 'devnet_fund', {
      account: alice.publicKey,
      motes: '1',
      token: { package_hash: token.packageHash, amount: String(held + 1n) },
    });
    expect(answer.error?.code).toBe(-32602);
    expect(String(answer.error?.data)).toBe(
      `token.amount: account-hash-${facilitator.accountHash} (the account holding the package's named key) holds ${held} of this token, less than ${held + 1n}; its transfer reverted with User error: 60001`,
    );
    expect(await height()).toBe(before);
    expect(await tokenBalance(devnet, token, installerAddress)).toBe(held);
    expect(await tokenBalance(devnet, token, `00${alice.accountHash}`)).toBe(aliceHeld);
    // Nor the motes asked for with it: alice still has no purse.
    const purse = await rpc(devnet.rpcUrl, 'query_balance', {
      purse_identifier: { main_purse_under_public_key: alice.publicKey },
    });
    expect(purse.error).toBeDefined();
  });

  it('funds from the installer of a token installed later by a session transaction', async () => {
    const installed = await executeFull(
      devnet,
      buildInstall(
        merchant.secretKey,
        wasm!,
        installArgs({
          packageKeyName: 'merchant_token',
          name: 'Merchant Token',
          symbol: 'MT',
          decimals: 0,
          initialSupply: '90',
          chainName: devnet.network,
        }),
        devnet.chainName,
      ),
    );
    expect(installed.error_message).toBeNull();
    const packageHash = (await namedPackage(devnet, merchant.accountHash, 'merchant_token'))!.slice(
      'hash-'.length,
    );
    const pkg = await rpcResult(devnet.rpcUrl, 'query_global_state', {
      key: `hash-${packageHash}`,
    });
    const contractHash = (
      pkg.stored_value as { ContractPackage: { versions: Array<{ contract_hash: string }> } }
    ).ContractPackage.versions[0]!.contract_hash.slice('contract-'.length);
    const result = await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: alice.publicKey,
      token: { package_hash: packageHash, amount: '40' },
    });
    expect(result.token_from).toBe(`account-hash-${merchant.accountHash}`);
    expect(await tokenBalance(devnet, { contractHash }, `00${alice.accountHash}`)).toBe(40n);
    expect(await tokenBalance(devnet, { contractHash }, `00${merchant.accountHash}`)).toBe(50n);
  });

  it('still refuses a package hash that is no token', async () => {
    const answer = await rpc(devnet.rpcUrl, 'devnet_fund', {
      account: alice.publicKey,
      token: { package_hash: 'cd'.repeat(32), amount: '1' },
    });
    expect(answer.error).toMatchObject({
      code: -32602,
      data: 'token.package_hash: no token with this package hash',
    });
  });
});
