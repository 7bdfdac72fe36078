// devnet_fund for a Wasm CEP-18 token: the contract's own `transfer`, run from the account that
// holds the supply (its installer) as a devnet-internal execution. No transaction is recorded
// and no gas is charged; the balances stay in the contract's own `balances` dictionary, moved
// by its own code, and the total supply does not change (nothing is minted).
import { balancesItemKey, bytesToHex, X402InputError } from '@x402-casper/shared';
import { dictionaryAddress, type WorldState } from '../state.js';
import { parseJsonArgs } from './args.js';
import { parsedOf, runtimeArgsBytes } from './bytesrepr.js';
import { contractOfTarget, executeWasm, type WasmContext } from './execute.js';
import { type PackageEntry, wasmValue } from './store.js';

/** Gas the internal transfer may use (not charged to anyone): 100 CSPR. */
const FUND_GAS = 100_000_000_000n;

export function wasmPackage(state: WorldState, packageHash: string): PackageEntry | undefined {
  const entry = wasmValue(state, `hash-${packageHash}`);
  return entry && 'ContractPackage' in entry ? entry.ContractPackage : undefined;
}

/**
 * The account that holds the supply of a Wasm package: the one whose named keys point at the
 * package (an Odra or CEP-18 install leaves that key in its installer's account). `preferred`
 * (the genesis installer) comes first when it holds such a key.
 */
export function supplyHolder(
  state: WorldState,
  packageHash: string,
  preferred?: string,
): string | undefined {
  const key = `hash-${packageHash}`;
  const holders = Object.values(state.accounts)
    .filter((account) => Object.values(account.namedKeys ?? {}).includes(key))
    .map((account) => account.accountHash);
  return preferred !== undefined && holders.includes(preferred) ? preferred : holders[0];
}

/** A balance read from the contract's `balances` dictionary; undefined if it has none. */
export function wasmTokenBalance(
  state: WorldState,
  contractHash: string,
  address: string,
): bigint | undefined {
  const contract = wasmValue(state, `hash-${contractHash}`);
  const seed =
    contract && 'Contract' in contract ? contract.Contract.namedKeys.balances : undefined;
  if (!seed?.startsWith('uref-')) return undefined;
  const item = wasmValue(
    state,
    `dictionary-${dictionaryAddress(seed.slice(5, 69), balancesItemKey(address))}`,
  );
  if (!item || !('Dictionary' in item)) return 0n;
  const parsed = parsedOf(item.Dictionary.value);
  return typeof parsed === 'string' && /^\d+$/.test(parsed) ? BigInt(parsed) : undefined;
}

export interface WasmFundRequest {
  packageHash: string;
  /** 66-hex address of the account or contract to credit. */
  recipient: string;
  amount: bigint;
  /** Account hash that sends the tokens (see `supplyHolder`). */
  holder: string;
}

/**
 * Runs `transfer(recipient: Key, amount: U256)` from `holder` on `state` (mutated only on
 * success); throws X402InputError naming the field at fault when the contract refuses.
 */
export function fundFromHolder(
  state: WorldState,
  request: WasmFundRequest,
  context: Omit<WasmContext, 'initiator' | 'gasLimit'>,
): void {
  const { packageHash, recipient, amount, holder } = request;
  const args = parseJsonArgs(
    [
      { name: 'recipient', type: 'Key', value: recipient },
      { name: 'amount', type: 'U256', value: amount.toString() },
    ],
    'token',
  );
  const result = executeWasm(
    state,
    {
      target: { kind: 'package', packageHash, version: null, entryPoint: 'transfer' },
      args: bytesToHex(runtimeArgsBytes(args)),
    },
    { ...context, initiator: holder, gasLimit: FUND_GAS },
  );
  if (result.errorMessage === null) return;
  const resolved = contractOfTarget(state, {
    kind: 'package',
    packageHash,
    version: null,
    entryPoint: 'transfer',
  });
  const held =
    'contractHash' in resolved
      ? wasmTokenBalance(state, resolved.contractHash, `00${holder}`)
      : undefined;
  const from = `account-hash-${holder} (the account holding the package's named key)`;
  if (held !== undefined && held < amount) {
    throw new X402InputError(
      'token.amount',
      `${from} holds ${held} of this token, less than ${amount}; its transfer reverted with ${result.errorMessage}`,
    );
  }
  throw new X402InputError(
    'token',
    `the contract's transfer from ${from} failed: ${result.errorMessage}`,
  );
}
