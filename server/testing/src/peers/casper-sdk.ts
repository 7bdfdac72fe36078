// casper-js-sdk 5.0.12 for the Go facilitator emulator, which builds its transaction with an
// SDK as the Go code does: loaded through require, the few members it uses typed here. The
// SDK's own declarations cannot be imported: TypeScript resolves `dist/@types` to the
// package's shipped .ts sources, which fail to compile under verbatimModuleSyntax.
import { createRequire } from 'node:module';

/** An SDK value the emulator only passes back to the SDK. */
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
  PublicKey: { fromHex(hex: string): SdkPublicKey };
  PrivateKey: { fromHex(hex: string, algorithm: number): SdkPrivateKey };
  KeyAlgorithm: { ED25519: number; SECP256K1: number };
  Key: { newKey(formatted: string): Opaque };
  Args: { fromMap(args: Record<string, CLValue>): Opaque };
  CLTypeUInt8: Opaque;
  CLValue: {
    newCLKey(key: Opaque): CLValue;
    newCLUint8(value: number): CLValue;
    newCLUInt256(value: string): CLValue;
    newCLList(elementType: Opaque, elements: CLValue[]): CLValue;
    newCLPublicKey(publicKey: SdkPublicKey): CLValue;
  };
  Timestamp: new (date: Date) => Opaque;
  ContractCallBuilder: new () => ContractCallBuilder;
}

export const sdk = createRequire(import.meta.url)('casper-js-sdk') as CasperSdk;
