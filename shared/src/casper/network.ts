import { X402InputError } from '../errors.js';

/** Known Casper networks (CAIP-2). */
export const CASPER_MAINNET = 'casper:casper';
export const CASPER_TESTNET = 'casper:casper-test';

const NETWORK = /^casper:([A-Za-z0-9_-]{1,32})$/;
const CHAIN_NAME = /^[A-Za-z0-9_-]{1,32}$/;

export function isCasperNetwork(network: string): boolean {
  return typeof network === 'string' && NETWORK.test(network);
}

/** `casper:casper-test` → `casper-test`. */
export function chainNameOfNetwork(network: string, field = 'network'): string {
  const match = typeof network === 'string' ? NETWORK.exec(network) : null;
  if (!match)
    throw new X402InputError(field, 'must be a CAIP-2 Casper network id like casper:casper-test');
  return match[1]!;
}

/** `casper-test` → `casper:casper-test`. */
export function networkOfChainName(chainName: string, field = 'chainName'): string {
  if (typeof chainName !== 'string' || !CHAIN_NAME.test(chainName)) {
    throw new X402InputError(field, 'must be 1–32 letters, digits, - or _');
  }
  return `casper:${chainName}`;
}
