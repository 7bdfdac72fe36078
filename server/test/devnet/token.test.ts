import { addressOfPublicKey } from '@x402-casper/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, startDevnet } from '../../src/devnet/index.js';
import {
  authorization,
  authorizationArgs,
  buildCall,
  call,
  devAccounts,
  execute,
  nonceUsed,
  putParams,
  signAuthorization,
  tokenBalance,
  vectorKeys,
} from './helpers.js';
import { sdk } from './sdk.js';

const [payer, secpPayer, stranger] = vectorKeys();
const [facilitator, merchant] = devAccounts();
const merchantAddress = `00${merchant.accountHash}`;

let devnet: Devnet;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  for (const key of [payer, secpPayer]) {
    await call(devnet.rpcUrl, 'devnet_fund', {
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
      const pending = await call(devnet.rpcUrl, 'info_get_transaction', {
        transaction_hash: { Version1: tx.hash.toHex() },
      });
      expect(pending.execution_info).toBeNull();
      await call(devnet.rpcUrl, 'devnet_mine');
      const done = await call(devnet.rpcUrl, 'info_get_transaction', {
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
    const first = await call(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
    const second = await call(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
    expect(second.transaction_hash).toEqual(first.transaction_hash);
    const before = await tokenBalance(devnet, token, merchantAddress);
    await call(devnet.rpcUrl, 'devnet_mine');
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
    const snapshot = (await call(devnet.rpcUrl, 'devnet_snapshot')).id;
    const auth = authorization(payer, merchantAddress, '10');
    const tx = settlement(auth, sign(auth));
    await call(devnet.rpcUrl, 'account_put_transaction', putParams(tx));
    await call(devnet.rpcUrl, 'devnet_increaseTime', { seconds: 900 });
    await call(devnet.rpcUrl, 'devnet_mine');
    const info = await call(devnet.rpcUrl, 'info_get_transaction', {
      transaction_hash: { Version1: tx.hash.toHex() },
    });
    expect(info.execution_info).toMatchObject({
      execution_result: { Version2: { error_message: 'User error: 37001' } },
    });
    await call(devnet.rpcUrl, 'devnet_revert', { id: snapshot });
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
          await call(devnet.rpcUrl, 'query_balance', {
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

describe('argument layouts and plain CEP-18 transfer', () => {
  it('a legacy-u256 token takes U256 windows and refuses U64 ones', async () => {
    const legacy = await call(devnet.rpcUrl, 'devnet_deployToken', {
      name: 'Legacy Token',
      symbol: 'LGC',
      decimals: 9,
      arg_layout: 'legacy-u256',
    });
    const token = {
      name: 'Legacy Token',
      symbol: 'LGC',
      decimals: 9,
      packageHash: legacy.package_hash as string,
      contractHash: legacy.contract_hash as string,
      argLayout: 'legacy-u256' as const,
    };
    await call(devnet.rpcUrl, 'devnet_fund', {
      account: payer.publicKey.hex,
      token: { package_hash: token.packageHash, amount: '1000' },
    });
    const run = (layout: 'cep3009' | 'legacy-u256') => {
      const auth = authorization(payer, merchantAddress, '400');
      return buildCall({
        signer: facilitator.secretKey,
        packageHash: token.packageHash,
        entryPoint: 'transfer_with_authorization',
        args: authorizationArgs(
          auth,
          payer.publicKey.hex,
          signAuthorization(payer, token, devnet.network, auth),
          layout,
        ),
        chainName: devnet.chainName,
      });
    };
    expect(await execute(devnet, run('cep3009'))).toBe('ApiError::InvalidArgument [3]');
    expect(await execute(devnet, run('legacy-u256'))).toBeNull();
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(400n);
    expect(await tokenBalance(devnet, token, addressOfPublicKey(payer.publicKey))).toBe(600n);
  });

  it("transfer moves the initiator's tokens; too much reverts with 60001", async () => {
    const [, , alice, bob] = devAccounts();
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
