// casper-js-sdk 5.0.12, loaded through require and typed with the few members the devnet
// uses: the package's shipped .ts type files do not compile under this repo's
// verbatimModuleSyntax, so TypeScript must not follow its types.
import { createRequire } from 'node:module';

interface Hex {
  toHex(): string;
}

export interface SdkCLValue {
  type: { toJSON(): unknown };
  bytes(): Uint8Array;
  key?: unknown;
  publicKey?: Hex;
  ui8?: { toString(): string };
  ui32?: { toString(): string };
  ui64?: { toString(): string };
  ui256?: { toString(): string };
  ui512?: { toString(): string };
  byteArray?: unknown;
  stringVal?: { toString(): string };
}

export interface SdkTransactionV1 {
  hash: Hex;
  /** Hash and payload serialized (approvals as given to fromJSON). */
  toBytes(): Uint8Array;
  payload: {
    chainName: string;
    timestamp: { toMilliseconds(): number };
    ttl: { toMilliseconds(): number };
    initiatorAddr: { publicKey?: Hex; accountHash?: Hex };
    pricingMode: {
      paymentLimited?: { gasPriceTolerance: number; paymentAmount: number };
    };
    fields: {
      args?: { toBytes(): Uint8Array; args?: Map<string, SdkCLValue> };
      entryPoint: { type: string; customEntryPoint?: string };
      target: {
        stored?: {
          id: {
            byHash?: Hex;
            byName?: string;
            byPackageHash?: { addr: Hex; version?: number | null };
            byPackageName?: { name: string; version?: number | null };
          };
          runtime: { toJSON(): unknown };
        };
        session?: {
          moduleBytes: Uint8Array;
          isInstallUpgrade: boolean;
          runtime: { toJSON(): unknown };
        };
      };
    };
  };
}

interface CasperSdk {
  TransactionV1: { fromJSON(json: unknown): SdkTransactionV1 };
}

export const sdk = createRequire(import.meta.url)('casper-js-sdk') as CasperSdk;
