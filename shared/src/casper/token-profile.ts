// What must be known of a token before gas is spent on it, read from the chain:
// how its `transfer_with_authorization` entry point names and types its arguments (deployed
// CEP-3009 tokens disagree, FACTS §7), where its used nonces can be read from outside, and
// which revert codes it answers with.
import { CEP18X402_USED_NONCES_FIELD } from './address.js';
import { type ContractInfo, type EntryPointArg, type NonceStore, nonceStoreOf } from './chain.js';
import type { ArgLayout } from './layout.js';
import type { RevertFamily } from './reverts.js';

export const ENTRY_POINT = 'transfer_with_authorization';

export type TokenProfile =
  | {
      usable: true;
      contractHash: string;
      layout: ArgLayout;
      nonces: NonceStore;
      /** Which table its `User error` codes are read with. */
      reverts: RevertFamily;
    }
  | { usable: false; contractHash: string; problem: string };

const BYTES = JSON.stringify({ List: 'U8' });

/** The arguments every layout shares, with their CL types (node JSON). */
const COMMON_ARGS: Record<string, string> = {
  from: '"Key"',
  to: '"Key"',
  nonce: BYTES,
  public_key: '"PublicKey"',
  signature: BYTES,
};

function typeOf(arg: EntryPointArg): string {
  return JSON.stringify(arg.clType);
}

function describeArgs(args: EntryPointArg[]): string {
  return args.map((arg) => `${arg.name}: ${typeOf(arg)}`).join(', ') || 'no arguments';
}

/**
 * The layout an entry point's declared arguments match, or why none does. A settlement
 * built for another layout would be refused by the contract after the gas is spent.
 */
export function layoutOfEntryPoint(args: EntryPointArg[]): ArgLayout | { problem: string } {
  const byName = new Map(args.map((arg) => [arg.name, typeOf(arg)]));
  for (const [name, type] of Object.entries(COMMON_ARGS)) {
    if (byName.get(name) !== type) {
      return {
        problem: `its ${ENTRY_POINT} needs ${name}: ${type}; it takes ${describeArgs(args)}`,
      };
    }
  }
  const amount = byName.has('value') ? 'value' : 'amount';
  if (byName.get(amount) !== '"U256"') {
    return { problem: `its ${ENTRY_POINT} takes no U256 amount or value: ${describeArgs(args)}` };
  }
  const window = byName.get('valid_after');
  if (window !== byName.get('valid_before') || (window !== '"U64"' && window !== '"U256"')) {
    return {
      problem: `its ${ENTRY_POINT} has no u64 or U256 valid_after/valid_before pair: ${describeArgs(args)}`,
    };
  }
  const known = new Set([...Object.keys(COMMON_ARGS), amount, 'valid_after', 'valid_before']);
  const unknown = args.filter((arg) => !known.has(arg.name));
  if (unknown.length > 0) {
    return {
      problem: `its ${ENTRY_POINT} also wants ${describeArgs(unknown)}, which x402 cannot supply`,
    };
  }
  if (amount === 'value') {
    return window === '"U64"'
      ? 'value-u64'
      : { problem: `its ${ENTRY_POINT} takes value with U256 windows, a layout no token uses` };
  }
  return window === '"U64"' ? 'amount-u64' : 'amount-u256';
}

/** The profile of a contract, from what the chain says of it (`override`: a configured layout). */
export function profileOf(contract: ContractInfo, override: ArgLayout | undefined): TokenProfile {
  const contractHash = contract.hash;
  const args = contract.entryPoints.get(ENTRY_POINT);
  const read = args ? layoutOfEntryPoint(args) : undefined;
  const layout = override ?? (typeof read === 'string' ? read : undefined);
  if (layout) return { usable: true, contractHash, layout, ...noncesAndReverts(contract, layout) };
  if (typeof read === 'object') return { usable: false, contractHash, ...read };
  return { usable: false, contractHash, problem: `the token has no ${ENTRY_POINT} entry point` };
}

/**
 * Where the token's used nonces can be read, and its revert codes. Odra keeps a module's
 * fields in one `state` dictionary at places derived from the module's layout: only the
 * Cep18X402 proof of concept's is known (amount with U256 windows, its nonces the second
 * field, its own error enum). Another Odra token's nonces are left unread: the ledger and the
 * contract itself refuse a used nonce.
 */
function noncesAndReverts(
  contract: ContractInfo,
  layout: ArgLayout,
): { nonces: NonceStore; reverts: RevertFamily } {
  const nonces = nonceStoreOf(contract, CEP18X402_USED_NONCES_FIELD);
  if (nonces.kind !== 'odra-state') return { nonces, reverts: 'cep3009' };
  if (layout === 'amount-u256') return { nonces, reverts: 'cep18x402' };
  return { nonces: { kind: 'unreadable' }, reverts: 'cep3009' };
}
