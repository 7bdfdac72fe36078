// CEP-3009 cancel_authorization on the devnet's token: checks and reverts as the CEP names
// them, the nonce marked used, nothing transferred; Odra-state tokens have no such entry point.
import {
  addressOfPublicKey,
  buildContractCall,
  bytesToHex,
  cancelAuthorizationDigest,
  clArg,
  hexToBytes,
  type SecretKey,
  signDigest,
  signTransactionV1WithKey,
} from '@x402-casper/shared';
import {
  authorization,
  deployToken,
  execute,
  nonceUsed,
  rpc,
  rpcResult,
  sdk,
  settlementCall,
  tokenBalance,
  vectorKeys,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, type DevnetToken, defaultDevAccounts, startDevnet } from '../src/index.js';

const [payer, secpPayer, stranger] = vectorKeys();
const [facilitator, merchant] = defaultDevAccounts();
const merchantAddress = `00${merchant.accountHash}`;

let devnet: Devnet;
let token: DevnetToken;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  token = devnet.tokens[0]!;
  for (const key of [payer, secpPayer, stranger]) {
    await rpcResult(devnet.rpcUrl, 'devnet_fund', {
      account: key.publicKey.hex,
      motes: '100000000000',
      token: { package_hash: token.packageHash, amount: '5000000' },
    });
  }
});
afterAll(() => devnet.close());

const newNonce = () => bytesToHex(crypto.getRandomValues(new Uint8Array(32)));

function cancelSignature(
  signer: SecretKey,
  authorizer: string,
  nonce: string,
  domainName = token.domainName,
) {
  return signDigest(
    signer,
    cancelAuthorizationDigest({
      name: domainName,
      version: '1',
      chainName: devnet.network,
      contractPackageHash: token.packageHash,
      authorizer,
      nonce,
    }),
  );
}

/** The cancel call built with shared's browser-safe builder, as the wallet builds it. */
async function cancelCall(
  initiator: SecretKey,
  a: { authorizer: string; nonce: string; publicKey: string; signature: string },
  target = token,
) {
  const tx = buildContractCall({
    chainName: devnet.chainName,
    initiator: initiator.publicKey.hex,
    packageHash: target.packageHash,
    entryPoint: 'cancel_authorization',
    args: [
      ['authorizer', clArg.key(a.authorizer)],
      ['nonce', clArg.bytes(hexToBytes(a.nonce))],
      ['public_key', clArg.publicKey(a.publicKey)],
      ['signature', clArg.bytes(hexToBytes(a.signature))],
    ],
    paymentMotes: 3_000_000_000n,
    timestampMs: Date.now(),
    ttlMs: 30 * 60 * 1000,
  });
  return signTransactionV1WithKey(tx, initiator);
}

async function run(json: { hash: string }): Promise<string | null> {
  const put = await rpcResult(devnet.rpcUrl, 'account_put_transaction', {
    transaction: { Version1: json },
  });
  expect(put.transaction_hash).toEqual({ Version1: json.hash });
  await rpcResult(devnet.rpcUrl, 'devnet_mine');
  const info = await rpcResult(devnet.rpcUrl, 'info_get_transaction', {
    transaction_hash: { Version1: json.hash },
  });
  return (
    info.execution_info as { execution_result: { Version2: { error_message: string | null } } }
  ).execution_result.Version2.error_message;
}

const csprBalance = async (key: SecretKey) =>
  BigInt(
    (
      await rpcResult(devnet.rpcUrl, 'query_balance', {
        purse_identifier: { main_purse_under_public_key: key.publicKey.hex },
      })
    ).balance as string,
  );

function settle(key: SecretKey, auth: ReturnType<typeof authorization>) {
  return settlementCall({
    chain: devnet,
    token,
    relayer: facilitator.secretKey,
    auth,
    payer: key,
    layout: token.argLayout,
  });
}

describe('cancel_authorization', () => {
  it.each([
    ['ed25519', payer],
    ['secp256k1', secpPayer],
  ] as const)(
    'the %s authorizer cancels an unsettled authorization: nonce used, nothing moves, the later settle reverts 37000, the account paid the CSPR',
    async (_, key) => {
      const from = addressOfPublicKey(key.publicKey);
      const auth = authorization(key, merchantAddress, '700');
      const tokensBefore = await tokenBalance(devnet, token, from);
      const csprBefore = await csprBalance(key);
      const tx = await cancelCall(key, {
        authorizer: from,
        nonce: auth.nonce,
        publicKey: key.publicKey.hex,
        signature: cancelSignature(key, from, auth.nonce),
      });
      expect(await run(tx)).toBeNull();
      expect(await nonceUsed(devnet, token, from, auth.nonce)).toBe(true);
      expect(await tokenBalance(devnet, token, from)).toBe(tokensBefore);
      expect(await csprBalance(key)).toBe(csprBefore - 3_000_000_000n);
      expect(await execute(devnet, settle(key, auth))).toBe('User error: 37000');
      expect(await tokenBalance(devnet, token, from)).toBe(tokensBefore);
    },
  );

  it('a nonce already cancelled or already settled: User error: 37006', async () => {
    const from = addressOfPublicKey(payer.publicKey);
    const nonce = newNonce();
    const args = {
      authorizer: from,
      nonce,
      publicKey: payer.publicKey.hex,
      signature: cancelSignature(payer, from, nonce),
    };
    expect(await run(await cancelCall(payer, args))).toBeNull();
    expect(await run(await cancelCall(payer, args))).toBe('User error: 37006');

    const auth = authorization(payer, merchantAddress, '5');
    expect(await execute(devnet, settle(payer, auth))).toBeNull();
    const again = await cancelCall(payer, {
      authorizer: from,
      nonce: auth.nonce,
      publicKey: payer.publicKey.hex,
      signature: cancelSignature(payer, from, auth.nonce),
    });
    expect(await run(again)).toBe('User error: 37006');
  });

  it('a public key that is not the authorizer: User error: 37004, nonce stays unused', async () => {
    const from = addressOfPublicKey(payer.publicKey);
    const nonce = newNonce();
    const tx = await cancelCall(stranger, {
      authorizer: from,
      nonce,
      publicKey: stranger.publicKey.hex,
      signature: cancelSignature(stranger, from, nonce),
    });
    expect(await run(tx)).toBe('User error: 37004');
    expect(await nonceUsed(devnet, token, from, nonce)).toBe(false);
  });

  it('a signature under another domain name, over another nonce or by another key: User error: 37003', async () => {
    const from = addressOfPublicKey(payer.publicKey);
    const nonce = newNonce();
    for (const signature of [
      cancelSignature(payer, from, nonce, `${token.domainName}-other`),
      cancelSignature(payer, from, newNonce()),
      cancelSignature(stranger, from, nonce),
    ]) {
      const tx = await cancelCall(stranger, {
        authorizer: from,
        nonce,
        publicKey: payer.publicKey.hex,
        signature,
      });
      expect(await run(tx)).toBe('User error: 37003');
    }
    expect(await nonceUsed(devnet, token, from, nonce)).toBe(false);
  });

  it('anyone may submit a valid cancel for the authorizer (the signature is what counts)', async () => {
    const from = addressOfPublicKey(payer.publicKey);
    const nonce = newNonce();
    const tx = await cancelCall(stranger, {
      authorizer: from,
      nonce,
      publicKey: payer.publicKey.hex,
      signature: cancelSignature(payer, from, nonce),
    });
    expect(await run(tx)).toBeNull();
    expect(await nonceUsed(devnet, token, from, nonce)).toBe(true);
  });

  it('is listed among the contract entry points with the CEP args', async () => {
    const stored = (
      await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${token.contractHash}` })
    ).stored_value as {
      Contract: {
        entry_points: {
          name: string;
          entry_point: { args: { name: string; cl_type: unknown }[] };
        }[];
      };
    };
    const cancel = stored.Contract.entry_points.find((e) => e.name === 'cancel_authorization');
    expect(cancel?.entry_point.args).toEqual([
      { name: 'authorizer', cl_type: 'Key' },
      { name: 'nonce', cl_type: { List: 'U8' } },
      { name: 'public_key', cl_type: 'PublicKey' },
      { name: 'signature', cl_type: { List: 'U8' } },
    ]);
  });

  it('an odra-state token (Cep18X402-like) has no cancel_authorization: not listed, a call is refused', async () => {
    const odra = await deployToken(devnet, {
      name: 'Odra',
      symbol: 'ODR',
      decimals: 2,
      arg_layout: 'amount-u256',
      nonce_storage: 'odra-state',
    });
    const stored = (
      await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${odra.contractHash}` })
    ).stored_value as { Contract: { entry_points: { name: string }[] } };
    const names = stored.Contract.entry_points.map((e) => e.name);
    expect(names).toContain('transfer_with_authorization');
    expect(names).not.toContain('cancel_authorization');
    const from = addressOfPublicKey(payer.publicKey);
    const nonce = newNonce();
    const tx = await cancelCall(
      payer,
      {
        authorizer: from,
        nonce,
        publicKey: payer.publicKey.hex,
        signature: cancelSignature(payer, from, nonce),
      },
      odra,
    );
    const answer = await rpc(devnet.rpcUrl, 'account_put_transaction', {
      transaction: { Version1: tx },
    });
    expect(answer.error?.code).toBe(-32016);
    expect(JSON.stringify(answer.error?.data)).toMatch(/no such entry point/);
  });

  it('casper-js-sdk reads the wallet-built cancel transaction back from the node', async () => {
    const from = addressOfPublicKey(payer.publicKey);
    const nonce = newNonce();
    const tx = await cancelCall(payer, {
      authorizer: from,
      nonce,
      publicKey: payer.publicKey.hex,
      signature: cancelSignature(payer, from, nonce),
    });
    await run(tx);
    const client = new sdk.RpcClient(new sdk.HttpHandler(devnet.rpcUrl, 'fetch'));
    const got = await client.getTransactionByTransactionHash(tx.hash);
    expect(got.rawJSON).toBeTruthy();
  });
});
