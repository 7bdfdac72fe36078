// The real Cep18X402 binary on the devnet's Wasm host: CEP-18 transfer and
// transfer_with_authorization by package hash, balances and used nonces read from where the
// contract itself writes them.
import {
  addressOfPublicKey,
  blake2b256,
  bytesToHex,
  concatBytes,
  hexToBytes,
  u32LE,
} from '@x402-casper/shared';
import {
  authorization,
  authorizationArgs,
  buildCall,
  buildInstall,
  executeFull,
  installArgs,
  loadCep18x402,
  namedPackage,
  rpc,
  rpcResult,
  sdk,
  signAuthorization,
  tokenBalance,
  vectorKeys,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, type DevnetToken, defaultDevAccounts, startDevnet } from '../src/index.js';

const wasm = loadCep18x402();
const [facilitator, merchant] = defaultDevAccounts();
const [payer, secpPayer] = vectorKeys();
const merchantAddress = `00${merchant.accountHash}`;
const payerAddress = addressOfPublicKey(payer.publicKey);
const facilitatorAddress = `00${facilitator.accountHash}`;
const PAYMENT = 30_000_000_000;

let devnet: Devnet;
let token: Pick<DevnetToken, 'packageHash' | 'contractHash' | 'domainName'>;

async function contractNamedKeys(contractHash: string) {
  const contract = await rpcResult(devnet.rpcUrl, 'query_global_state', {
    key: `hash-${contractHash}`,
    path: [],
  });
  const namedKeys = (
    contract.stored_value as { Contract: { named_keys: Array<{ name: string; key: string }> } }
  ).Contract.named_keys;
  return Object.fromEntries(namedKeys.map(({ name, key }) => [name, key]));
}

function callToken(
  entryPoint: string,
  args: Parameters<typeof sdk.Args.fromMap>[0],
  signer = facilitator.secretKey,
) {
  return buildCall({
    signer,
    packageHash: token.packageHash,
    entryPoint,
    args,
    chainName: devnet.chainName,
    paymentMotes: PAYMENT,
  });
}

function settlement(
  auth: ReturnType<typeof authorization>,
  signatureHex: string,
  signer = payer,
  paymentMotes = PAYMENT,
) {
  return buildCall({
    signer: facilitator.secretKey,
    packageHash: token.packageHash,
    entryPoint: 'transfer_with_authorization',
    args: authorizationArgs(auth, signer.publicKey.hex, signatureHex, 'amount-u256'),
    chainName: devnet.chainName,
    paymentMotes,
  });
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
  if (!wasm) return;
  const install = buildInstall(
    facilitator.secretKey,
    wasm,
    installArgs({
      packageKeyName: 'cep18x402',
      name: 'Casper x402 Wasm Token',
      symbol: 'WX402',
      decimals: 6,
      initialSupply: '1000000000',
      chainName: devnet.network,
    }),
    devnet.chainName,
  );
  const result = await executeFull(devnet, install);
  if (result.error_message) throw new Error(`install failed: ${result.error_message}`);
  const packageHash = (await namedPackage(devnet, facilitator.accountHash, 'cep18x402'))!.slice(5);
  const pkg = await rpcResult(devnet.rpcUrl, 'query_global_state', { key: `hash-${packageHash}` });
  const versions = (
    pkg.stored_value as { ContractPackage: { versions: Array<{ contract_hash: string }> } }
  ).ContractPackage.versions;
  token = {
    packageHash,
    contractHash: versions[0]!.contract_hash.slice('contract-'.length),
    domainName: 'Cep18x402',
  };
});
afterAll(() => devnet?.close());

describe.skipIf(!wasm)('the real Cep18X402 binary', () => {
  it('credits the initial supply to the installer in its own balances dictionary', async () => {
    expect(await tokenBalance(devnet, token, facilitatorAddress)).toBe(1_000_000_000n);
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(0n);
  });

  it('CEP-18 transfer by package hash moves balances; the payment is charged, gas is metered', async () => {
    const before = BigInt(
      (
        await rpcResult(devnet.rpcUrl, 'query_balance', {
          purse_identifier: {
            main_purse_under_account_hash: `account-hash-${facilitator.accountHash}`,
          },
        })
      ).balance as string,
    );
    const result = await executeFull(
      devnet,
      callToken('transfer', {
        recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${payerAddress.slice(2)}`)),
        amount: sdk.CLValue.newCLUInt256('5000000'),
      }),
    );
    expect(result.error_message).toBeNull();
    expect(BigInt(result.consumed)).toBeGreaterThan(0n);
    expect(BigInt(result.consumed)).toBeLessThan(BigInt(PAYMENT));
    expect(result.cost).toBe(String(PAYMENT));
    expect(await tokenBalance(devnet, token, payerAddress)).toBe(5_000_000n);
    expect(await tokenBalance(devnet, token, facilitatorAddress)).toBe(995_000_000n);
    const after = BigInt(
      (
        await rpcResult(devnet.rpcUrl, 'query_balance', {
          purse_identifier: {
            main_purse_under_account_hash: `account-hash-${facilitator.accountHash}`,
          },
        })
      ).balance as string,
    );
    expect(before - after).toBe(BigInt(PAYMENT));
  });

  it('a transfer beyond the balance reverts with CEP-18 60001 and changes no balance', async () => {
    const result = await executeFull(
      devnet,
      callToken('transfer', {
        recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${merchant.accountHash}`)),
        amount: sdk.CLValue.newCLUInt256('999999999999'),
      }),
    );
    expect(result.error_message).toBe('User error: 60001');
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(0n);
  });

  // The binary's own codes (errors.rs of casper-x402-poc: NonceAlreadyUsed = 1,
  // InvalidSignature = 4), not the 37000-range codes of the CEP-3009 text.
  it('transfer_with_authorization (amount + U256 windows, domain Cep18x402) settles; a replay reverts with User error: 1', async () => {
    const auth = authorization(payer, merchantAddress, '1250');
    const signatureHex = signAuthorization(payer, token, devnet.network, auth);
    const first = await executeFull(devnet, settlement(auth, signatureHex));
    expect(first.error_message).toBeNull();
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(1250n);
    const replay = await executeFull(devnet, settlement(auth, signatureHex));
    expect(replay.error_message).toBe('User error: 1');
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(1250n);
  });

  it('writes the used nonce into Odra state at hex(blake2b(u32-BE field index 2 ‖ Address bytes ‖ u32-LE length ‖ nonce)), value Bytes([1])', async () => {
    const auth = authorization(payer, merchantAddress, '10');
    const result = await executeFull(
      devnet,
      settlement(auth, signAuthorization(payer, token, devnet.network, auth)),
    );
    expect(result.error_message).toBeNull();
    const nonce = hexToBytes(auth.nonce);
    const itemKey = bytesToHex(
      blake2b256(
        concatBytes(
          new Uint8Array([0, 0, 0, 2]),
          hexToBytes(payerAddress),
          u32LE(nonce.length),
          nonce,
        ),
      ),
    );
    const root = (await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash')).state_root_hash;
    const answer = await rpc(devnet.rpcUrl, 'state_get_dictionary_item', {
      state_root_hash: root,
      dictionary_identifier: {
        ContractNamedKey: {
          key: `hash-${token.contractHash}`,
          dictionary_name: 'state',
          dictionary_item_key: itemKey,
        },
      },
    });
    const written = result.effects.filter((effect) => effect.key.startsWith('dictionary-'));
    expect(answer.error, JSON.stringify(written)).toBeUndefined();
    expect((answer.result!.stored_value as { CLValue: unknown }).CLValue).toMatchObject({
      cl_type: { List: 'U8' },
      bytes: '0100000001',
    });
    expect((await contractNamedKeys(token.contractHash)).used_nonces).toBeUndefined();
  });

  it('a bad signature reverts with User error: 4 and moves nothing', async () => {
    const auth = authorization(payer, merchantAddress, '7');
    const wrong = signAuthorization(payer, token, devnet.network, { ...auth, value: '8' });
    const result = await executeFull(devnet, settlement(auth, wrong));
    expect(result.error_message).toBe('User error: 4');
    expect(await tokenBalance(devnet, token, merchantAddress)).toBe(1260n);
  });

  it('the window and the public key revert with the binary codes 2 (expired), 3 (not yet valid), 6 (key is not from)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[Partial<ReturnType<typeof authorization>>, string]> = [
      [{ validBefore: String(now - 10), validAfter: String(now - 100) }, 'User error: 2'],
      [{ validAfter: String(now + 100), validBefore: String(now + 600) }, 'User error: 3'],
    ];
    for (const [overrides, expected] of cases) {
      const auth = authorization(payer, merchantAddress, '3', overrides);
      const result = await executeFull(
        devnet,
        settlement(auth, signAuthorization(payer, token, devnet.network, auth)),
      );
      expect(result.error_message).toBe(expected);
    }
    const auth = authorization(payer, merchantAddress, '3', { from: merchantAddress });
    const result = await executeFull(
      devnet,
      settlement(auth, signAuthorization(payer, token, devnet.network, auth)),
    );
    expect(result.error_message).toBe('User error: 6');
  });

  it("an argument under another name reverts with Odra's missing-argument error (User error: 64658)", async () => {
    const auth = authorization(payer, merchantAddress, '7');
    const args = authorizationArgs(
      auth,
      payer.publicKey.hex,
      signAuthorization(payer, token, devnet.network, auth),
      'amount-u256',
    );
    const { amount, ...withoutAmount } = args;
    const result = await executeFull(
      devnet,
      callToken('transfer_with_authorization', { ...withoutAmount, value: amount! }),
    );
    expect(result.error_message).toBe('User error: 64658');
  });

  // Its signature check runs in the Wasm: ed25519 meters ≈ 6.8 CSPR, secp256k1 (ECDSA over
  // SHA-256 in Wasm) ≈ 22 CSPR on the production chainspec's costs. A 10 CSPR payment (the
  // facilitator's default) runs out of gas for a secp256k1 payer: nothing is written, the
  // authorization stays unused, the payment is spent.
  it('a secp256k1 payer meters ≈ 22 CSPR, an ed25519 payer ≈ 6.8; 10 CSPR runs out of gas for secp256k1', async () => {
    const secpAddress = addressOfPublicKey(secpPayer.publicKey);
    const funded = await executeFull(
      devnet,
      callToken('transfer', {
        recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${secpAddress.slice(2)}`)),
        amount: sdk.CLValue.newCLUInt256('1000'),
      }),
    );
    expect(funded.error_message).toBeNull();
    const cspr = (motes: string) => Number(motes) / 1e9;
    const ed = authorization(payer, merchantAddress, '1');
    const edResult = await executeFull(
      devnet,
      settlement(ed, signAuthorization(payer, token, devnet.network, ed)),
    );
    expect(edResult.error_message).toBeNull();
    expect(cspr(edResult.consumed)).toBeGreaterThan(6);
    expect(cspr(edResult.consumed)).toBeLessThan(7.5);
    const secp = authorization(secpPayer, merchantAddress, '1');
    const secpSignature = signAuthorization(secpPayer, token, devnet.network, secp);
    const starved = await executeFull(
      devnet,
      settlement(secp, secpSignature, secpPayer, 10_000_000_000),
    );
    expect(starved.error_message).toBe('Out of gas error');
    expect(starved.consumed).toBe('10000000000');
    expect(starved.effects.filter((effect) => effect.key.startsWith('dictionary-'))).toEqual([]);
    expect(await tokenBalance(devnet, token, secpAddress)).toBe(1000n);
    const paid = await executeFull(
      devnet,
      settlement(secp, secpSignature, secpPayer, 40_000_000_000),
    );
    expect(paid.error_message).toBeNull();
    expect(cspr(paid.consumed)).toBeGreaterThan(20);
    expect(cspr(paid.consumed)).toBeLessThan(24);
    expect(await tokenBalance(devnet, token, secpAddress)).toBe(999n);
  });
});
