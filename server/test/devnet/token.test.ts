import { addressOfPublicKey } from '@x402-casper/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, startDevnet } from '../../src/devnet/index.js';
import {
  authorization,
  authorizationArgs,
  buildCall,
  call,
  devAccounts,
  nonceUsed,
  putParams,
  signAuthorization,
  tokenBalance,
  vectorKeys,
} from './helpers.js';
import { sdk } from './sdk.js';

const [payer, secpPayer] = vectorKeys();
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
