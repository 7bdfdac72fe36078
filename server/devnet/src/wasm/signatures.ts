// The host functions of module `env` and their Wasm signatures, as the node's resolver
// declares them (casper-network/casper-node execution_engine/src/resolvers/v1_resolver.rs,
// `resolve_func`: every parameter i32, and an i32 result or none). Only those the devnet
// implements are listed; a module importing any other name fails as on a node.

/** Parameter count and whether the function returns an i32. */
export type HostSignature = readonly [params: number, returnsI32: boolean];

export const HOST_SIGNATURES = {
  casper_read_value: [3, true],
  casper_load_named_keys: [2, true],
  casper_write: [4, false],
  casper_new_uref: [3, false],
  casper_ret: [2, false],
  casper_get_key: [5, true],
  casper_has_key: [2, true],
  casper_put_key: [4, false],
  casper_is_valid_uref: [2, true],
  casper_revert: [1, false],
  casper_remove_key: [2, false],
  casper_get_caller: [1, true],
  casper_get_blocktime: [1, false],
  casper_create_purse: [2, true],
  casper_transfer_from_purse_to_account: [9, true],
  casper_transfer_from_purse_to_purse: [8, true],
  casper_get_balance: [3, true],
  casper_get_phase: [1, false],
  casper_get_system_contract: [3, true],
  casper_get_main_purse: [1, false],
  casper_read_host_buffer: [3, true],
  casper_create_contract_package_at_hash: [3, false],
  casper_create_contract_user_group: [8, true],
  casper_add_contract_version: [10, true],
  casper_add_contract_version_with_message_topics: [11, true],
  casper_disable_contract_version: [4, true],
  casper_enable_contract_version: [4, true],
  casper_call_contract: [7, true],
  casper_call_versioned_contract: [9, true],
  casper_get_named_arg_size: [3, true],
  casper_get_named_arg: [4, true],
  casper_provision_contract_user_group_uref: [5, true],
  casper_remove_contract_user_group_urefs: [6, true],
  casper_blake2b: [4, true],
  casper_load_call_stack: [2, true],
  casper_load_caller_information: [3, true],
  casper_load_authorization_keys: [2, true],
  casper_dictionary_get: [5, true],
  casper_dictionary_read: [3, true],
  casper_dictionary_put: [6, true],
  casper_new_dictionary: [1, true],
  casper_random_bytes: [2, true],
  casper_manage_message_topic: [4, true],
  casper_emit_message: [4, true],
  casper_generic_hash: [5, true],
  casper_verify_signature: [6, true],
} as const satisfies Record<string, HostSignature>;

export type HostName = keyof typeof HOST_SIGNATURES;

/** The signature of host function `name`, if the devnet has it. */
export function hostSignature(name: string): HostSignature | undefined {
  return Object.hasOwn(HOST_SIGNATURES, name) ? HOST_SIGNATURES[name as HostName] : undefined;
}

const VALUE_TYPES: Record<number, string> = { [-1]: 'I32', [-2]: 'I64', [-3]: 'F32', [-4]: 'F64' };

/** A signature as casper-wasmi's `Signature` prints with `{:?}`. */
export function signatureDebug(params: readonly number[], results: readonly number[]): string {
  const result = results[0];
  const returns = result === undefined ? 'None' : `Some(${VALUE_TYPES[result]})`;
  return `Signature { params: [${params.map((p) => VALUE_TYPES[p]).join(', ')}], return_type: ${returns} }`;
}

/** The host signature as Wasm value types (i32 = -1). */
export function hostTypes(signature: HostSignature): { params: number[]; results: number[] } {
  return {
    params: Array.from({ length: signature[0] }, () => -1),
    results: signature[1] ? [-1] : [],
  };
}
