// Gas the host charges, from the production chainspec (casper-network/casper-node
// resources/production/chainspec.toml, feat-2.0: [wasm.v1.host_function_costs] and
// [storage_costs]); a host function costs `cost` + Σ argument × weight, as
// types/src/chainspec/vm_config/host_function_costs.rs computes it, over the arguments
// execution_engine/src/runtime/externals.rs (feat-2.0) passes it: the call's own arguments in
// order, except for the three entries with `charged` below, which it passes another list.

import type { HostName } from './signatures.js';

export interface HostFunctionCost {
  cost: number;
  arguments: number[];
  /** The list the weights apply to, when externals.rs does not pass the call's arguments. */
  charged?: (args: number[]) => number[];
}

const fn = (
  cost: number,
  args: number[],
  charged?: (args: number[]) => number[],
): HostFunctionCost => ({ cost, arguments: args, ...(charged ? { charged } : {}) });

export const HOST_FUNCTION_COSTS: Record<HostName, HostFunctionCost> = {
  casper_read_value: fn(60_000, [0, 120_000, 0]),
  /** Charged with the read_value entry, as externals.rs does. */
  casper_dictionary_read: fn(60_000, [0, 120_000, 0]),
  /** Weighed on [key_ptr, key_size, output_size_ptr]: 590 per byte of the item key. */
  casper_dictionary_get: fn(5_500, [0, 590, 0], ([, , keyPtr, keySize, sizePtr]) => [
    keyPtr!,
    keySize!,
    sizePtr!,
  ]),
  casper_write: fn(14_000, [0, 0, 0, 980]),
  /** Weighed on [key_ptr, key_size, value_ptr, value_size]: 1,800 per key byte, 520 per value byte. */
  casper_dictionary_put: fn(9_500, [0, 1_800, 0, 520], ([, , ...rest]) => rest),
  casper_new_uref: fn(17_000, [0, 0, 590]),
  /** Charged as new_uref with [0, 0, 33] (a URef's serialized length, hard-coded by the node). */
  casper_new_dictionary: fn(17_000, [0, 0, 590], () => [0, 0, 33]),
  casper_ret: fn(23_000, [0, 420_000]),
  casper_get_key: fn(2_000, [0, 440, 0, 0, 0]),
  casper_has_key: fn(1_500, [0, 840]),
  casper_put_key: fn(100_000_000, [0, 120_000, 0, 120_000]),
  casper_remove_key: fn(61_000, [0, 3_200]),
  casper_revert: fn(500, [0]),
  casper_get_blocktime: fn(330, [0]),
  casper_get_caller: fn(380, [0]),
  casper_get_phase: fn(710, [0]),
  casper_get_main_purse: fn(1_300, [0]),
  casper_is_valid_uref: fn(760, [0, 0]),
  casper_load_named_keys: fn(42_000, [0, 0]),
  casper_create_purse: fn(2_500_000_000, [0, 0]),
  casper_get_balance: fn(3_000_000, [0, 0, 0]),
  casper_transfer_from_purse_to_account: fn(2_500_000_000, [0, 0, 0, 0, 0, 0, 0, 0, 0]),
  casper_transfer_from_purse_to_purse: fn(82_000_000, [0, 0, 0, 0, 0, 0, 0, 0]),
  casper_get_system_contract: fn(1_100, [0, 0, 0]),
  casper_read_host_buffer: fn(3_500, [0, 310, 0]),
  casper_create_contract_package_at_hash: fn(200, [0, 0]),
  casper_create_contract_user_group: fn(200, [0, 0, 0, 0, 0, 0, 0, 0]),
  casper_add_contract_version: fn(200, [0, 0, 0, 0, 120_000, 0, 0, 0, 0, 0]),
  /** Charged as the node charges it: with the `add_package_version` entry. */
  casper_add_contract_version_with_message_topics: fn(
    200,
    [0, 0, 0, 0, 120_000, 0, 0, 0, 30_000, 0, 0],
  ),
  casper_disable_contract_version: fn(200, [0, 0, 0, 0]),
  casper_enable_contract_version: fn(200, [0, 0, 0, 0]),
  casper_call_contract: fn(300_000_000, [0, 0, 0, 120_000, 0, 120_000, 0]),
  casper_call_versioned_contract: fn(300_000_000, [0, 0, 0, 0, 0, 120_000, 0, 120_000, 0]),
  casper_get_named_arg_size: fn(200, [0, 0, 0]),
  casper_get_named_arg: fn(200, [0, 120_000, 0, 120_000]),
  casper_remove_contract_user_group_urefs: fn(200, [0, 0, 0, 0, 0, 120_000]),
  casper_provision_contract_user_group_uref: fn(200, [0, 0, 0, 0, 0]),
  casper_blake2b: fn(1_200_000, [0, 120_000, 0, 0]),
  casper_generic_hash: fn(1_200_000, [0, 120_000, 0, 0, 0]),
  casper_random_bytes: fn(200, [0, 0]),
  /** These three are charged a fixed 10_000 by externals.rs, not from the table. */
  casper_load_caller_information: fn(10_000, [0, 0, 0]),
  casper_load_call_stack: fn(10_000, [0, 0]),
  casper_load_authorization_keys: fn(10_000, [0, 0]),
  casper_manage_message_topic: fn(200, [0, 30_000, 0, 0]),
  casper_emit_message: fn(200, [0, 30_000, 0, 120_000]),
  /**
   * Not in the feat-2.0 chainspec the devnet read: the node's defaults for it
   * (host_function_costs: DEFAULT_VERIFY_SIGNATURE_COST 1_300_000 and
   * DEFAULT_VERIFY_SIGNATURE_SIZE_WEIGHT 120_000 per message byte).
   */
  casper_verify_signature: fn(1_300_000, [0, 120_000, 0, 0, 0, 0]),
};

/** [storage_costs] gas_per_byte. */
export const GAS_PER_BYTE = 1_117_587n;

export function hostCost(name: HostName, args: number[]): bigint {
  const entry = HOST_FUNCTION_COSTS[name];
  const charged = entry.charged ? entry.charged(args) : args;
  let total = BigInt(entry.cost);
  entry.arguments.forEach((weight, i) => {
    if (weight !== 0) total += BigInt(weight) * BigInt(charged[i] ?? 0);
  });
  return total;
}
