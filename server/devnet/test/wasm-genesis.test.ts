// A genesis file declares a Wasm token (`tokens[].wasm` with its install args), installed in
// the genesis block by a named genesis account; it survives a save and reload of the chain.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { addressOfPublicKey } from '@x402-casper/shared';
import {
  buildCall,
  CEP18X402_WASM,
  cep18x402GenesisToken,
  executeFull,
  loadCep18x402,
  sdk,
  tokenBalance,
} from '@x402-casper/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Chain } from '../src/chain.js';
import { parseGenesis } from '../src/genesis.js';
import { defaultDevAccounts, startDevnet } from '../src/index.js';
import { newChain, run } from './wasm-kit.js';

const wasm = loadCep18x402();
const [facilitator, merchant] = defaultDevAccounts();
const dir = mkdtempSync(join(tmpdir(), 'devnet-wasm-genesis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function genesis(chainName: string) {
  return {
    accounts: [
      { name: 'facilitator', publicKey: facilitator.publicKey, motes: '1000000000000000' },
      { name: 'merchant', publicKey: merchant.publicKey, motes: '1000000000000' },
    ],
    tokens: [
      { name: 'JS Token', symbol: 'JST', decimals: 6, balances: { merchant: '5' } },
      {
        // The Wasm path relative to the genesis file, which the devnet resolves against it.
        ...cep18x402GenesisToken({
          installer: 'facilitator',
          initialSupply: '700000',
          chainName: `casper:${chainName}`,
        }),
        wasm: relative(dir, CEP18X402_WASM),
      },
    ],
  };
}

describe.skipIf(!wasm)('a Wasm token in the genesis file', () => {
  it('is installed by its installer at genesis, callable, and kept across a restart', async () => {
    const file = join(dir, 'genesis.json');
    writeFileSync(file, JSON.stringify(genesis('casper-net-1')));
    const statePath = join(dir, 'state.json');
    const devnet = await startDevnet({ port: 0, blockTimeMs: 0, genesis: file, statePath });
    expect(devnet.tokens.map((token) => token.symbol)).toEqual(['JST']);
    expect(devnet.contracts).toHaveLength(1);
    const contract = devnet.contracts[0]!;
    expect(contract).toMatchObject({ installer: 'facilitator', namedKey: 'cep18x402' });
    const facilitatorAddress = addressOfPublicKey(facilitator.publicKey);
    expect(await tokenBalance(devnet, contract, facilitatorAddress)).toBe(700_000n);
    await devnet.close();

    const reopened = await startDevnet({ port: 0, blockTimeMs: 0, statePath });
    expect(reopened.contracts).toEqual(devnet.contracts);
    const result = await executeFull(
      reopened,
      buildCall({
        signer: facilitator.secretKey,
        packageHash: contract.packageHash,
        entryPoint: 'transfer',
        args: {
          recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${merchant.accountHash}`)),
          amount: sdk.CLValue.newCLUInt256('42'),
        },
        chainName: reopened.chainName,
        paymentMotes: 10_000_000_000,
      }),
    );
    expect(result.error_message).toBeNull();
    expect(await tokenBalance(reopened, contract, `00${merchant.accountHash}`)).toBe(42n);
    await reopened.close();
  });

  it('a binary that fails to install stops the start with the reason', async () => {
    const doc = genesis('casper-net-1');
    const wasmEntry = doc.tokens[1] as { wasm: string; args: Array<{ name: string }> };
    wasmEntry.wasm = CEP18X402_WASM;
    wasmEntry.args = wasmEntry.args.filter((arg) => arg.name !== 'initial_supply');
    await expect(startDevnet({ port: 0, blockTimeMs: 0, genesis: { ...doc } })).rejects.toThrow(
      /failed to install: User error: \d+/,
    );
  });

  it('runs without the wall-clock limit (gas bounds it): a slow machine still starts', () => {
    // A clock that moves 1 s at every reading: any execution under the 2 s limit stops.
    let now = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 1_000));
    try {
      const slow = run(newChain(), wasm!, { gasLimit: 1_000_000_000_000n });
      expect(slow.errorMessage).toBe('Out of gas error');
      expect(slow.timedOut).toBe(true);
      const chain = Chain.fromGenesis('casper-net-1', parseGenesis(genesis('casper-net-1'), dir));
      expect(chain.genesisContracts).toHaveLength(1);
    } finally {
      clock.mockRestore();
    }
  });
});
