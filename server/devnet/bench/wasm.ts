// The devnet's Wasm host with the real Cep18X402 binary (../shared/contracts), in this process
// on the devnet's Chain (no HTTP): install time (first, with preprocessing and compiling, and
// again with the compiled module cached), the time one transfer_with_authorization execution
// takes inside a block (a block of N settlements, minus an empty block, divided by N) and its
// metered gas, next to the JS token's; settlements executed per second of block production.
// Run by bench/run.ts.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  addressOfPublicKey,
  bytesToHex,
  hexToBytes,
  type SecretKey,
  signDigest,
  transferWithAuthorizationDigest,
} from '@x402-casper/shared';
import { Chain } from '../src/chain.js';
import { defaultGenesis } from '../src/genesis.js';
import { defaultDevAccounts } from '../src/index.js';

export const WASM_PATH = fileURLToPath(
  new URL('../../../../shared/contracts/cep18x402-casper-x402.wasm', import.meta.url),
);

// biome-ignore lint/suspicious/noExplicitAny: casper-js-sdk's shipped types do not compile here
const sdk = createRequire(import.meta.url)('casper-js-sdk') as any;

export interface WasmFigures {
  installMs: { first: number; cached: number };
  installGas: string;
  /** CPU milliseconds of block production per transfer_with_authorization (minus an empty block), by token. */
  executionMs: { wasm: number; js: number };
  /** Gas one Wasm transfer_with_authorization consumed (metered). */
  transferWithAuthorizationGas: string;
  /** Settlements executed per CPU second of block production, by token. */
  perSecond: { wasm: number; js: number };
  blockSize: number;
}

function sdkKey(key: SecretKey) {
  const algorithm =
    key.algorithm === 'ed25519' ? sdk.KeyAlgorithm.ED25519 : sdk.KeyAlgorithm.SECP256K1;
  return sdk.PrivateKey.fromHex(bytesToHex(key.bytes), algorithm);
}

const bytesArg = (hex: string) =>
  sdk.CLValue.newCLList(
    sdk.CLTypeUInt8,
    [...hexToBytes(hex)].map((b) => sdk.CLValue.newCLUint8(b)),
  );

function submit(chain: Chain, tx: { toJSON(): unknown }) {
  return chain.submit({ transaction: { Version1: tx.toJSON() } });
}

function install(chain: Chain, signer: SecretKey, wasm: Uint8Array, keyName: string) {
  const key = sdkKey(signer);
  const s = sdk.CLValue;
  const tx = new sdk.SessionBuilder()
    .from(key.publicKey)
    .wasm(wasm)
    .installOrUpgrade()
    .runtimeArgs(
      sdk.Args.fromMap({
        odra_cfg_package_hash_key_name: s.newCLString(keyName),
        odra_cfg_allow_key_override: s.newCLValueBool(true),
        odra_cfg_is_upgradable: s.newCLValueBool(true),
        odra_cfg_is_upgrade: s.newCLValueBool(false),
        symbol: s.newCLString('X402'),
        name: s.newCLString('Cep18x402'),
        decimals: s.newCLUint8(2),
        initial_supply: s.newCLUInt256('1000000000000'),
        chain_name: s.newCLString(chain.network),
      }),
    )
    .chainName(chain.chainName)
    .payment(700_000_000_000, 1)
    .build();
  tx.sign(key);
  return submit(chain, tx);
}

function settlement(
  chain: Chain,
  feePayer: SecretKey,
  payer: SecretKey,
  token: { packageHash: string; domainName: string; layout: 'u256' | 'u64'; amountName: string },
  to: string,
) {
  const now = Math.floor(Date.now() / 1000);
  const auth = {
    from: addressOfPublicKey(payer.publicKey),
    to,
    value: '1',
    validAfter: String(now - 60),
    validBefore: String(now + 600),
    nonce: bytesToHex(crypto.getRandomValues(new Uint8Array(32))),
  };
  const signature = signDigest(
    payer,
    transferWithAuthorizationDigest({
      name: token.domainName,
      version: '1',
      chainName: chain.network,
      contractPackageHash: token.packageHash,
      ...auth,
    }),
  );
  const window = (v: string) =>
    token.layout === 'u256' ? sdk.CLValue.newCLUInt256(v) : sdk.CLValue.newCLUint64(v);
  const keyArg = (address: string) =>
    sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${address.slice(2)}`));
  const key = sdkKey(feePayer);
  const tx = new sdk.ContractCallBuilder()
    .from(key.publicKey)
    .byPackageHash(token.packageHash)
    .entryPoint('transfer_with_authorization')
    .runtimeArgs(
      sdk.Args.fromMap({
        from: keyArg(auth.from),
        to: keyArg(auth.to),
        [token.amountName]: sdk.CLValue.newCLUInt256(auth.value),
        valid_after: window(auth.validAfter),
        valid_before: window(auth.validBefore),
        nonce: bytesArg(auth.nonce),
        public_key: sdk.CLValue.newCLPublicKey(sdk.PublicKey.fromHex(payer.publicKey.hex)),
        signature: bytesArg(signature),
      }),
    )
    .chainName(chain.chainName)
    .ttl(30 * 60 * 1000)
    .payment(30_000_000_000, 1)
    .build();
  tx.sign(key);
  return submit(chain, tx);
}

function timed(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

/** CPU milliseconds (user + system) of `run`, which is synchronous. */
function cpuTimed(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Undefined when the binary is absent. */
export function wasmBench(blockSize = 32): WasmFigures | undefined {
  if (!existsSync(WASM_PATH)) return undefined;
  const wasm = new Uint8Array(readFileSync(WASM_PATH));
  const [feePayer, merchant, alice] = defaultDevAccounts();
  const chain = Chain.fromGenesis('casper-net-1', defaultGenesis());
  const firstHash = install(chain, feePayer!.secretKey, wasm, 'first');
  const first = timed(() => chain.mine(1));
  install(chain, feePayer!.secretKey, wasm, 'second');
  const cached = timed(() => chain.mine(1));
  const installed = chain.transaction(firstHash)!.execution!;
  if (installed.errorMessage) throw new Error(`install failed: ${installed.errorMessage}`);

  const packageKey = chain.state.accounts[feePayer!.accountHash]!.namedKeys!.first!;
  const wasmToken = {
    packageHash: packageKey.slice('hash-'.length),
    domainName: 'Cep18x402',
    layout: 'u256' as const,
    amountName: 'amount',
  };
  const js = chain.tokens()[0]!;
  const jsToken = {
    packageHash: js.packageHash,
    domainName: js.domainName,
    layout: 'u64' as const,
    amountName: 'amount',
  };
  // Fund alice in the Wasm token: the installer holds the initial supply.
  const key = sdkKey(feePayer!.secretKey);
  const fund = new sdk.ContractCallBuilder()
    .from(key.publicKey)
    .byPackageHash(wasmToken.packageHash)
    .entryPoint('transfer')
    .runtimeArgs(
      sdk.Args.fromMap({
        recipient: sdk.CLValue.newCLKey(sdk.Key.newKey(`account-hash-${alice!.accountHash}`)),
        amount: sdk.CLValue.newCLUInt256('1000000'),
      }),
    )
    .chainName(chain.chainName)
    .payment(30_000_000_000, 1)
    .build();
  fund.sign(key);
  submit(chain, fund);
  chain.mine(1);

  const to = `00${merchant!.accountHash}`;
  const empty = Math.min(...[0, 1, 2].map(() => cpuTimed(() => chain.mine(1))));
  const perToken = (token: typeof wasmToken | typeof jsToken) => {
    const hashes = Array.from({ length: blockSize }, () =>
      settlement(chain, feePayer!.secretKey, alice!.secretKey, token, to),
    );
    const ms = cpuTimed(() => chain.mine(1));
    const failed = hashes
      .map((hash) => chain.transaction(hash)!.execution!)
      .filter((execution) => execution.errorMessage);
    if (failed.length > 0) throw new Error(`settlement failed: ${failed[0]!.errorMessage}`);
    return {
      msEach: Math.max(0, ms - empty) / blockSize,
      gas: chain.transaction(hashes[0]!)!.execution!.consumed ?? '',
      perSecond: (blockSize * 1000) / ms,
    };
  };
  perToken(wasmToken); // warm-up
  const wasmRun = perToken(wasmToken);
  const jsRun = perToken(jsToken);
  return {
    installMs: { first, cached },
    installGas: installed.consumed ?? '',
    executionMs: { wasm: wasmRun.msEach, js: jsRun.msEach },
    transferWithAuthorizationGas: wasmRun.gas,
    perSecond: { wasm: wasmRun.perSecond, js: jsRun.perSecond },
    blockSize,
  };
}
