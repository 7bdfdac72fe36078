import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  PaymentPayload,
  PaymentRequirements,
  TransferWithAuthorizationInput,
} from '../src/index.js';

/** The independent implementation's test vectors (a copy of ../shared/vectors/cep3009-exact.json). */
export interface Vectors {
  typeHash: string;
  domainType: string;
  primaryType: string;
  keys: {
    algorithm: 'ed25519' | 'secp256k1';
    secretKeyHex: string;
    publicKey: string;
    accountHash: string;
    address: string;
    balancesItemKey: string;
    secretKeyPem: string;
  }[];
  digests: {
    case: number;
    input: TransferWithAuthorizationInput;
    digest: string;
    signer: string;
    signature: string;
  }[];
  usedNonceItemKeys: { accountHash: string; nonce: string; itemKey: string }[];
  paymentRequirements: PaymentRequirements;
  paymentPayload: PaymentPayload;
  paymentSignatureHeader: string;
}

const path = fileURLToPath(new URL('./fixtures/cep3009-exact.json', import.meta.url));
export const vectors: Vectors = JSON.parse(readFileSync(path, 'utf8'));
