// The real Cep18X402 binary for the Wasm-host tests: loaded by path from ../shared/contracts
// (never copied into the repository), installed with casper-js-sdk as a user installs it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SecretKey } from '@x402-casper/shared';
import { rpcResult } from './rpc.js';
import { type CLValue, sdk, type Transaction } from './sdk.js';
import { type Chain, putParams, sdkKey } from './transactions.js';

export const CEP18X402_WASM = fileURLToPath(
  new URL('../../../../shared/contracts/cep18x402-casper-x402.wasm', import.meta.url),
);

/** The binary, or undefined with the reason the tests that need it skip. */
export function loadCep18x402(): Uint8Array | undefined {
  if (!existsSync(CEP18X402_WASM)) {
    console.warn(
      `skipping the Wasm-host tests of the real Cep18X402 binary: ${CEP18X402_WASM} is absent ` +
        '(it is a test fixture outside the repository; CI provides it)',
    );
    return undefined;
  }
  return new Uint8Array(readFileSync(CEP18X402_WASM));
}

export interface InstallArgs {
  packageKeyName: string;
  name: string;
  symbol: string;
  decimals: number;
  initialSupply: string;
  /** The CAIP-2 id the contract signs with, e.g. `casper:casper-net-1`. */
  chainName: string;
  isUpgradable?: boolean;
}

/** Odra's install args (odra_cfg_*) and Cep18X402's init args, as the contracts README lists them. */
export function installArgs(args: InstallArgs): Record<string, CLValue> {
  return {
    odra_cfg_package_hash_key_name: sdk.CLValue.newCLString(args.packageKeyName),
    odra_cfg_allow_key_override: sdk.CLValue.newCLValueBool(true),
    odra_cfg_is_upgradable: sdk.CLValue.newCLValueBool(args.isUpgradable ?? true),
    odra_cfg_is_upgrade: sdk.CLValue.newCLValueBool(false),
    symbol: sdk.CLValue.newCLString(args.symbol),
    name: sdk.CLValue.newCLString(args.name),
    decimals: sdk.CLValue.newCLUint8(args.decimals),
    initial_supply: sdk.CLValue.newCLUInt256(args.initialSupply),
    chain_name: sdk.CLValue.newCLString(args.chainName),
  };
}

export function buildInstall(
  signer: SecretKey,
  wasm: Uint8Array,
  args: Record<string, CLValue>,
  chainName: string,
  paymentMotes = 700_000_000_000,
): Transaction {
  const key = sdkKey(signer);
  const tx = new sdk.SessionBuilder()
    .from(key.publicKey)
    .wasm(wasm)
    .installOrUpgrade()
    .runtimeArgs(sdk.Args.fromMap(args))
    .chainName(chainName)
    .ttl(30 * 60 * 1000)
    .payment(paymentMotes, 1)
    .build();
  tx.sign(key);
  return tx;
}

export interface ExecutionResult {
  error_message: string | null;
  consumed: string;
  cost: string;
  limit: string;
  effects: Array<{ key: string; kind: Record<string, unknown> }>;
}

/** Submits, mines a block and returns the Version2 execution result. */
export async function executeFull(devnet: Chain, tx: Transaction): Promise<ExecutionResult> {
  const hash = (await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(tx)))
    .transaction_hash as { Version1: string };
  await rpcResult(devnet.rpcUrl, 'devnet_mine');
  const info = await rpcResult(devnet.rpcUrl, 'info_get_transaction', { transaction_hash: hash });
  return (info.execution_info as { execution_result: { Version2: ExecutionResult } })
    .execution_result.Version2;
}

/** The package hash under an account's named key, read with query_global_state. */
export async function namedPackage(devnet: Chain, accountHash: string, name: string) {
  const account = await rpcResult(devnet.rpcUrl, 'query_global_state', {
    key: `account-hash-${accountHash}`,
    path: [],
  });
  const namedKeys = (
    account.stored_value as { Account: { named_keys: Array<{ name: string; key: string }> } }
  ).Account.named_keys;
  return namedKeys.find((namedKey) => namedKey.name === name)?.key;
}

export interface GenesisWasmArgs {
  /** The genesis account (by name) that installs it and holds the initial supply. */
  installer: string;
  packageKeyName?: string;
  name?: string;
  symbol?: string;
  decimals?: number;
  initialSupply: string;
  /** The CAIP-2 id the contract signs with, e.g. `casper:casper-net-1`. */
  chainName: string;
}

/** A genesis `tokens[]` entry that installs the real binary (by absolute path) with Odra's args. */
export function cep18x402GenesisToken(args: GenesisWasmArgs) {
  return {
    wasm: CEP18X402_WASM,
    installer: args.installer,
    args: [
      {
        name: 'odra_cfg_package_hash_key_name',
        type: 'String',
        value: args.packageKeyName ?? 'cep18x402',
      },
      { name: 'odra_cfg_allow_key_override', type: 'Bool', value: true },
      { name: 'odra_cfg_is_upgradable', type: 'Bool', value: true },
      { name: 'odra_cfg_is_upgrade', type: 'Bool', value: false },
      { name: 'symbol', type: 'String', value: args.symbol ?? 'X402' },
      { name: 'name', type: 'String', value: args.name ?? 'Cep18x402' },
      { name: 'decimals', type: 'U8', value: args.decimals ?? 2 },
      { name: 'initial_supply', type: 'U256', value: args.initialSupply },
      { name: 'chain_name', type: 'String', value: args.chainName },
    ],
  };
}
