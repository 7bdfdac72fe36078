// casper-js-sdk 5.0.12, loaded through require with the few members the facilitator uses
// typed here. Its own declarations cannot be imported: TypeScript resolves `dist/@types`
// to the package's shipped .ts sources, which fail to compile under verbatimModuleSyntax.
import { createRequire } from 'node:module';

/** An SDK value the facilitator only passes back to the SDK. */
export interface Opaque {
  readonly __sdk: unique symbol;
}

type CLValue = Opaque;

export interface SdkPublicKey {
  toHex(): string;
}

export interface SdkPrivateKey {
  readonly publicKey: SdkPublicKey;
}

export interface SdkTransaction {
  readonly hash: { toHex(): string };
  readonly approvals: unknown[];
  sign(key: SdkPrivateKey): void;
  validate(): boolean;
  toJSON(): unknown;
}

interface RpcResult {
  rawJSON?: unknown;
}

export interface SdkRpcClient {
  getStatus(): Promise<RpcResult>;
  getStateRootHashLatest(): Promise<RpcResult>;
  queryLatestBalance(purse: Opaque): Promise<RpcResult>;
  queryLatestGlobalState(key: string, path: string[]): Promise<RpcResult>;
  getDictionaryItemByIdentifier(stateRootHash: string, identifier: Opaque): Promise<RpcResult>;
  putTransaction(transaction: SdkTransaction): Promise<RpcResult>;
  getTransactionByTransactionHash(hash: string): Promise<RpcResult>;
}

interface ContractCallBuilder {
  from(publicKey: SdkPublicKey): ContractCallBuilder;
  byPackageHash(hash: string): ContractCallBuilder;
  entryPoint(name: string): ContractCallBuilder;
  runtimeArgs(args: Opaque): ContractCallBuilder;
  chainName(name: string): ContractCallBuilder;
  timestamp(timestamp: Opaque): ContractCallBuilder;
  ttl(ms: number): ContractCallBuilder;
  payment(motes: number, gasPriceTolerance: number): ContractCallBuilder;
  build(): SdkTransaction;
}

interface CasperSdk {
  RpcClient: new (handler: Opaque) => SdkRpcClient;
  HttpHandler: new (url: string, client: 'fetch') => Opaque;
  HttpError: {
    isHttpError(error: unknown): error is { statusCode: number; sourceErr?: Error };
  };
  ParamDictionaryIdentifier: new (accountNamedKey: undefined, contractNamedKey: Opaque) => Opaque;
  ParamDictionaryIdentifierContractNamedKey: new (
    key: string,
    dictionaryName: string,
    itemKey: string,
  ) => Opaque;
  PurseIdentifier: { fromPublicKey(publicKey: SdkPublicKey): Opaque };
  PublicKey: { fromHex(hex: string): SdkPublicKey };
  PrivateKey: { fromHex(hex: string, algorithm: number): SdkPrivateKey };
  KeyAlgorithm: { ED25519: number; SECP256K1: number };
  Key: { newKey(formatted: string): Opaque };
  Args: { fromMap(args: Record<string, CLValue>): Opaque };
  CLTypeUInt8: Opaque;
  CLValue: {
    newCLKey(key: Opaque): CLValue;
    newCLUint8(value: number): CLValue;
    newCLUint64(value: string): CLValue;
    newCLUInt256(value: string): CLValue;
    newCLList(elementType: Opaque, elements: CLValue[]): CLValue;
    newCLPublicKey(publicKey: SdkPublicKey): CLValue;
  };
  Timestamp: new (date: Date) => Opaque;
  ContractCallBuilder: new () => ContractCallBuilder;
  Transaction: { fromJSON(json: unknown): SdkTransaction };
}

export const sdk = createRequire(import.meta.url)('casper-js-sdk') as CasperSdk;
