// casper-js-sdk for the tests and the Go facilitator emulator (which builds its transaction with an
// SDK, as the Go code does), loaded through require (its shipped .ts types do not
// compile here) and typed with the members the tests use.
import { createRequire } from 'node:module';

export interface CLValue {
  readonly __clvalue: true;
}
interface Hex {
  toHex(): string;
}
export interface PrivateKey {
  publicKey: PublicKey;
}
export interface PublicKey extends Hex {
  readonly __publicKey: true;
}
export interface Transaction {
  hash: Hex;
  sign(key: PrivateKey): void;
  toJSON(): unknown;
  getTransactionWrapper(): { transactionV1?: TransactionV1 };
}
export interface TransactionV1 {
  hash: Hex;
  payload: TransactionV1Payload;
  sign(key: PrivateKey): void;
}
export interface TransactionV1Payload {
  chainName: string;
  timestamp: unknown;
  ttl: unknown;
  pricingMode: unknown;
  fields: { args: unknown; entryPoint: unknown; target: unknown };
}
export interface ContractCallBuilder {
  from(key: PublicKey): ContractCallBuilder;
  fromAccountHash(accountHash: unknown): ContractCallBuilder;
  byPackageHash(hash: string, version?: number): ContractCallBuilder;
  byHash(hash: string): ContractCallBuilder;
  byName(name: string): ContractCallBuilder;
  byPackageName(name: string, version?: number): ContractCallBuilder;
  entryPoint(name: string): ContractCallBuilder;
  runtimeArgs(args: unknown): ContractCallBuilder;
  chainName(name: string): ContractCallBuilder;
  timestamp(timestamp: unknown): ContractCallBuilder;
  ttl(ms: number): ContractCallBuilder;
  payment(motes: number, gasPriceTolerance?: number): ContractCallBuilder;
  build(): Transaction;
}
export interface SessionBuilder {
  from(key: PublicKey): SessionBuilder;
  wasm(bytes: Uint8Array): SessionBuilder;
  installOrUpgrade(): SessionBuilder;
  runtimeArgs(args: unknown): SessionBuilder;
  chainName(name: string): SessionBuilder;
  ttl(ms: number): SessionBuilder;
  payment(motes: number, gasPriceTolerance?: number): SessionBuilder;
  build(): Transaction;
}
export interface NativeTransferBuilder {
  from(key: PublicKey): NativeTransferBuilder;
  target(key: PublicKey): NativeTransferBuilder;
  amount(motes: string): NativeTransferBuilder;
  id(id: number): NativeTransferBuilder;
  chainName(name: string): NativeTransferBuilder;
  payment(motes: number, gasPriceTolerance?: number): NativeTransferBuilder;
  build(): Transaction;
}
/** Results of RpcClient calls: typed objects plus the raw JSON the node sent. */
export interface Parsed {
  rawJSON: Record<string, unknown>;
  [field: string]: unknown;
}
export interface RpcClient {
  getStatus(): Promise<Parsed>;
  getStateRootHashLatest(): Promise<Parsed>;
  getLatestBlock(): Promise<Parsed>;
  getBlockByHeight(height: number): Promise<Parsed>;
  putTransaction(tx: Transaction): Promise<Parsed>;
  getTransactionByTransactionHash(hash: string): Promise<Parsed>;
  queryLatestGlobalState(key: string, path: string[]): Promise<Parsed>;
  getDictionaryItemByIdentifier(root: string | null, identifier: unknown): Promise<Parsed>;
  queryLatestBalance(identifier: unknown): Promise<Parsed>;
}

interface CasperSdk {
  PrivateKey: { fromHex(hex: string, algorithm: number): PrivateKey };
  KeyAlgorithm: { ED25519: number; SECP256K1: number };
  PublicKey: { fromHex(hex: string): PublicKey };
  Key: { newKey(formatted: string): unknown };
  AccountHash: { fromString(formatted: string): unknown };
  CLTypeUInt8: unknown;
  CLValue: {
    newCLKey(key: unknown): CLValue;
    newCLUInt256(value: string | number): CLValue;
    newCLUint64(value: string | number): CLValue;
    newCLUint8(value: number): CLValue;
    newCLList(type: unknown, elements: CLValue[]): CLValue;
    newCLByteArray(bytes: Uint8Array): CLValue;
    newCLPublicKey(key: PublicKey): CLValue;
    newCLString(value: string): CLValue;
    newCLValueBool(value: boolean): CLValue;
  };
  Args: { fromMap(map: Record<string, CLValue>): unknown };
  ContractCallBuilder: new () => ContractCallBuilder;
  SessionBuilder: new () => SessionBuilder;
  NativeTransferBuilder: new () => NativeTransferBuilder;
  TransactionV1: { makeTransactionV1(payload: TransactionV1Payload): TransactionV1 };
  Transaction: { fromTransactionV1(v1: TransactionV1): Transaction };
  Timestamp: new (date: Date) => unknown;
  Duration: new (ms: number) => unknown;
  PricingMode: new () => Record<string, unknown>;
  FixedMode: new () => Record<string, unknown>;
  PaymentLimitedMode: new () => Record<string, unknown>;
  RpcClient: new (handler: unknown) => RpcClient;
  HttpHandler: new (url: string, kind: 'fetch') => unknown;
  HttpError: { isHttpError(error: unknown): boolean };
  ParamDictionaryIdentifier: new (...args: unknown[]) => unknown;
  ParamDictionaryIdentifierContractNamedKey: new (
    key: string,
    name: string,
    item: string,
  ) => unknown;
  PurseIdentifier: { fromPublicKey(key: PublicKey): unknown };
}

export const sdk = createRequire(import.meta.url)('casper-js-sdk') as CasperSdk;
