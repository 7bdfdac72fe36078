import {
  buildInstall,
  executeFull,
  installArgs,
  loadCep18x402,
  namedPackage,
  rpcResult,
} from '@x402-casper/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, defaultDevAccounts, startDevnet } from '../src/index.js';

const wasm = loadCep18x402();
const [facilitator] = defaultDevAccounts();

let devnet: Devnet;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
});
afterAll(() => devnet?.close());

describe.skipIf(!wasm)('installing the real Cep18X402 binary', () => {
  it('a session transaction installs it: the named key points at the package, whose contract lists the entry points', async () => {
    const tx = buildInstall(
      facilitator.secretKey,
      wasm!,
      installArgs({
        packageKeyName: 'cep18x402_package',
        name: 'Cep18x402',
        symbol: 'X402',
        decimals: 2,
        initialSupply: '1000000',
        chainName: devnet.network,
      }),
      devnet.chainName,
    );
    const result = await executeFull(devnet, tx);
    expect(result.error_message).toBeNull();
    const packageKey = await namedPackage(devnet, facilitator.accountHash, 'cep18x402_package');
    expect(packageKey).toMatch(/^hash-[0-9a-f]{64}$/);
    const pkg = await rpcResult(devnet.rpcUrl, 'query_global_state', { key: packageKey, path: [] });
    const versions = (
      pkg.stored_value as { ContractPackage: { versions: Array<{ contract_hash: string }> } }
    ).ContractPackage.versions;
    expect(versions).toHaveLength(1);
    const contractHash = versions[0]!.contract_hash.replace('contract-', '');
    const contract = await rpcResult(devnet.rpcUrl, 'query_global_state', {
      key: `hash-${contractHash}`,
      path: [],
    });
    const stored = contract.stored_value as {
      Contract: {
        entry_points: Array<{ name: string; entry_point: unknown }>;
        named_keys: unknown[];
      };
    };
    expect(stored.Contract.entry_points.map((ep) => ep.name)).toEqual(
      expect.arrayContaining(['transfer', 'transfer_with_authorization', 'balance_of']),
    );
  });
});
