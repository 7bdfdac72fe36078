// Building and sending transactions against a devnet in tests.
import { readFileSync } from 'node:fs';
import {
  type ArgLayout,
  addressOfPublicKey,
  balancesItemKey,
  bytesToHex,
  hexToBytes,
  layoutArgs,
  type SecretKey,
  secretKeyFromHex,
  signDigest,
  transferWithAuthorizationDigest,
  usedNonceItemKey,
} from '@x402-casper/shared';
import { rpc, rpcResult } from './rpc.js';
import {
  type CLValue,
  type PrivateKey,
  sdk,
  type Transaction,
  type TransactionV1Payload,
} from './sdk.js';

/** Where a devnet answers JSON-RPC. */
export interface Chain {
  rpcUrl: string;
}

/**
 * A token as devnet_deployToken reports it: the shape of @x402-casper/devnet's `DevnetToken`,
 * written out because the devnet's own tests use this package (a dependency back would be a cycle).
 */
export interface DeployedToken {
  name: string;
  symbol: string;
  decimals: number;
  packageHash: string;
  contractHash: string;
  argLayout: ArgLayout;
  domainName: string;
  nonceStorage: 'used_nonces' | 'odra-state' | 'hidden';
}

type Vectors = { keys: Array<{ algorithm: 'ed25519' | 'secp256k1'; secretKeyHex: string }> };

/** The three keys of the CEP-3009 vectors (ed25519, secp256k1, ed25519). */
export function vectorKeys(): [SecretKey, SecretKey, SecretKey] {
  const vectors = JSON.parse(
    readFileSync(
      new URL('../../../shared/test/fixtures/cep3009-exact.json', import.meta.url),
      'utf8',
    ),
  ) as Vectors;
  return vectors.keys.map((key) => secretKeyFromHex(key.algorithm, key.secretKeyHex)) as [
    SecretKey,
    SecretKey,
    SecretKey,
  ];
}

export function sdkKey(key: SecretKey): PrivateKey {
  const algorithm =
    key.algorithm === 'ed25519' ? sdk.KeyAlgorithm.ED25519 : sdk.KeyAlgorithm.SECP256K1;
  return sdk.PrivateKey.fromHex(bytesToHex(key.bytes), algorithm);
}

export interface Authorization {
  from: string;
  to: string;
  value: string;
  validAfter: string;
  validBefore: string;
  nonce: string;
}

export function authorization(
  payer: SecretKey,
  to: string,
  value: string,
  overrides: Partial<Authorization> = {},
): Authorization {
  const now = Math.floor(Date.now() / 1000);
  return {
    from: addressOfPublicKey(payer.publicKey),
    to,
    value,
    validAfter: String(now - 60),
    validBefore: String(now + 600),
    nonce: bytesToHex(crypto.getRandomValues(new Uint8Array(32))),
    ...overrides,
  };
}

/** A signature over the token's signing domain (its `domainName`, or `domainName` given here). */
export function signAuthorization(
  signer: SecretKey,
  token: { domainName: string; packageHash: string },
  network: string,
  auth: Authorization,
  domainName = token.domainName,
): string {
  const digest = transferWithAuthorizationDigest({
    name: domainName,
    version: '1',
    chainName: network,
    contractPackageHash: token.packageHash,
    ...auth,
  });
  return signDigest(signer, digest);
}

const bytesArg = (hex: string) =>
  sdk.CLValue.newCLList(
    sdk.CLTypeUInt8,
    [...hexToBytes(hex)].map((byte) => sdk.CLValue.newCLUint8(byte)),
  );

const keyArg = (address: string) =>
  sdk.CLValue.newCLKey(
    sdk.Key.newKey(`${address.startsWith('00') ? 'account-hash-' : 'hash-'}${address.slice(2)}`),
  );

/** The named args of transfer_with_authorization in a token's layout. */
export function authorizationArgs(
  auth: Authorization,
  publicKey: string,
  signature: string,
  layout: ArgLayout = 'amount-u64',
): Record<string, CLValue> {
  const { amount, window: windowType } = layoutArgs(layout);
  const window = (value: string) =>
    windowType === 'U64' ? sdk.CLValue.newCLUint64(value) : sdk.CLValue.newCLUInt256(value);
  return {
    from: keyArg(auth.from),
    to: keyArg(auth.to),
    [amount]: sdk.CLValue.newCLUInt256(auth.value),
    valid_after: window(auth.validAfter),
    valid_before: window(auth.validBefore),
    nonce: bytesArg(auth.nonce),
    public_key: sdk.CLValue.newCLPublicKey(sdk.PublicKey.fromHex(publicKey)),
    signature: bytesArg(signature),
  };
}

export interface CallSpec {
  signer: SecretKey;
  packageHash: string;
  entryPoint: string;
  args: Record<string, CLValue>;
  chainName: string;
  paymentMotes?: number;
  gasPriceTolerance?: number;
  ttlMs?: number;
  timestamp?: Date;
  /** Call by contract hash instead of package hash. */
  byContractHash?: string;
  /** Call this version of the package (default: its newest enabled one). */
  version?: number;
}

/** A signed stored-contract call built with casper-js-sdk's ContractCallBuilder. */
export function buildCall(spec: CallSpec): Transaction {
  const key = sdkKey(spec.signer);
  let builder = new sdk.ContractCallBuilder().from(key.publicKey);
  builder = spec.byContractHash
    ? builder.byHash(spec.byContractHash)
    : builder.byPackageHash(spec.packageHash, spec.version);
  builder = builder
    .entryPoint(spec.entryPoint)
    .runtimeArgs(sdk.Args.fromMap(spec.args))
    .chainName(spec.chainName)
    .ttl(spec.ttlMs ?? 30 * 60 * 1000)
    .payment(spec.paymentMotes ?? 3_000_000_000, spec.gasPriceTolerance ?? 1);
  if (spec.timestamp) builder = builder.timestamp(new sdk.Timestamp(spec.timestamp));
  const tx = builder.build();
  tx.sign(key);
  return tx;
}

/** A transfer_with_authorization call of a token, as a facilitator relays one. */
export interface SettlementSpec {
  /** The network: its chain name, and its x402 network for the signing domain. */
  chain: { chainName: string; network: string };
  token: { domainName: string; packageHash: string };
  /** Signs the transaction and pays its gas. */
  relayer: SecretKey;
  auth: Authorization;
  /** Whose public key the call carries; it signs the authorization unless `signedBy` does. */
  payer: SecretKey;
  /** Another key signing the authorization (a signature that is not the payer's). */
  signedBy?: SecretKey;
  /** A signing-domain name other than the token's. */
  domainName?: string;
  layout?: ArgLayout;
  /** Call this version of the package, or this contract hash (default: the newest version). */
  version?: number;
  byContractHash?: string;
}

/** The signed transfer_with_authorization call of `spec`. */
export function settlementCall(spec: SettlementSpec): Transaction {
  const signature = signAuthorization(
    spec.signedBy ?? spec.payer,
    spec.token,
    spec.chain.network,
    spec.auth,
    spec.domainName,
  );
  return buildCall({
    signer: spec.relayer,
    packageHash: spec.token.packageHash,
    entryPoint: 'transfer_with_authorization',
    args: authorizationArgs(spec.auth, spec.payer.publicKey.hex, signature, spec.layout),
    chainName: spec.chain.chainName,
    version: spec.version,
    byContractHash: spec.byContractHash,
  });
}

/** Changes a built transaction's payload, then recomputes its hash and signs it again. */
export function rebuild(
  tx: Transaction,
  signer: SecretKey,
  change: (payload: TransactionV1Payload) => void,
): Transaction {
  const v1 = tx.getTransactionWrapper().transactionV1!;
  change(v1.payload);
  const fresh = sdk.TransactionV1.makeTransactionV1(v1.payload);
  fresh.sign(sdkKey(signer));
  return sdk.Transaction.fromTransactionV1(fresh);
}

export function putParams(tx: Transaction) {
  return { transaction: { Version1: tx.toJSON() } };
}

/** Deploys a token with devnet_deployToken and returns it as `devnet.tokens` lists tokens. */
export async function deployToken(
  devnet: Chain,
  params: { name: string; symbol: string; decimals: number } & Record<string, unknown>,
): Promise<DeployedToken> {
  const result = await rpcResult(devnet.rpcUrl, 'devnet_deployToken', params);
  return {
    name: params.name,
    symbol: params.symbol,
    decimals: params.decimals,
    packageHash: result.package_hash as string,
    contractHash: result.contract_hash as string,
    argLayout: result.arg_layout as ArgLayout,
    domainName: result.domain_name as string,
    nonceStorage: result.nonce_storage as DeployedToken['nonceStorage'],
  };
}

type Contract = { contractHash: string };

async function dictionaryValue(devnet: Chain, token: Contract, name: string, itemKey: string) {
  const root = (await rpcResult(devnet.rpcUrl, 'chain_get_state_root_hash')).state_root_hash;
  const answer = await rpc(devnet.rpcUrl, 'state_get_dictionary_item', {
    state_root_hash: root,
    dictionary_identifier: {
      ContractNamedKey: {
        key: `hash-${token.contractHash}`,
        dictionary_name: name,
        dictionary_item_key: itemKey,
      },
    },
  });
  if (answer.error?.code === -32003) return undefined;
  const stored = answer.result?.stored_value as { CLValue: { parsed: unknown } } | undefined;
  if (!stored) throw new Error(`state_get_dictionary_item failed: ${JSON.stringify(answer.error)}`);
  return stored.CLValue.parsed;
}

/** A token balance read as a client reads it: `balances` dictionary, missing = 0. */
export async function tokenBalance(
  devnet: Chain,
  token: Contract,
  address: string,
): Promise<bigint> {
  const value = await dictionaryValue(devnet, token, 'balances', balancesItemKey(address));
  return BigInt((value as string | undefined) ?? '0');
}

export async function nonceUsed(devnet: Chain, token: Contract, from: string, nonce: string) {
  return (
    (await dictionaryValue(devnet, token, 'used_nonces', usedNonceItemKey(from, nonce))) === true
  );
}

/** Submits, mines a block and returns the execution result's error_message. */
export async function execute(devnet: Chain, tx: Transaction): Promise<string | null> {
  const hash = (await rpcResult(devnet.rpcUrl, 'account_put_transaction', putParams(tx)))
    .transaction_hash as {
    Version1: string;
  };
  await rpcResult(devnet.rpcUrl, 'devnet_mine');
  const info = await rpcResult(devnet.rpcUrl, 'info_get_transaction', { transaction_hash: hash });
  const executionInfo = info.execution_info as {
    execution_result: { Version2: { error_message: string | null } };
  };
  return executionInfo.execution_result.Version2.error_message;
}

/** The execution result of a transaction, or null while it has none. */
export async function executionOf(
  rpcUrl: string,
  hash: string,
): Promise<{ error_message: string | null; block_height: number } | null> {
  const info = await rpcResult(rpcUrl, 'info_get_transaction', {
    transaction_hash: { Version1: hash },
  });
  const execution = info.execution_info as {
    block_height: number;
    execution_result: { Version2: { error_message: string | null } };
  } | null;
  return execution
    ? {
        error_message: execution.execution_result.Version2.error_message,
        block_height: execution.block_height,
      }
    : null;
}

/** Mines a block every `everyMs` until `work` ends, so a settle waiting for a block gets one. */
export async function whileMining<T>(rpcUrl: string, work: Promise<T>, everyMs = 50): Promise<T> {
  let done = false;
  const finished = work.finally(() => {
    done = true;
  });
  const miner = (async () => {
    while (!done) {
      await rpcResult(rpcUrl, 'devnet_mine');
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  const [result] = await Promise.all([finished, miner]);
  return result;
}
