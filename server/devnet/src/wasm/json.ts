// Wasm contracts' stored values in the JSON a node answers with (the node's OpenRPC schema,
// ../shared/reference/casper-rpc-schema.json: StoredValue, Contract, ContractPackage,
// NamedKey, NamedEntryPoint, NamedUserGroup, ContractWasm, CLValue).
import { bytesToHex } from '@x402-casper/shared';
import type { CLValueJson } from '../clvalue.js';
import { parsedOf, type StoredCLValue, typeOf } from './bytesrepr.js';
import type { ContractEntry, PackageEntry, StoredEntry } from './store.js';

export function clValueJson(value: StoredCLValue): CLValueJson {
  return { cl_type: typeOf(value), bytes: value.bytes, parsed: parsedOf(value) };
}

export function namedKeysJson(namedKeys: Record<string, string>) {
  return Object.entries(namedKeys)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, key]) => ({ name, key }));
}

export function contractJson(contract: ContractEntry) {
  return {
    contract_package_hash: `contract-package-${contract.package}`,
    contract_wasm_hash: `contract-wasm-${contract.wasm}`,
    named_keys: namedKeysJson(contract.namedKeys),
    entry_points: [...contract.entryPoints]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((entryPoint) => ({ name: entryPoint.name, entry_point: entryPoint })),
    protocol_version: '2.0.0',
  };
}

export function packageJson(pkg: PackageEntry) {
  return {
    access_key: pkg.accessKey,
    versions: pkg.versions.map((v) => ({
      protocol_version_major: v.major,
      contract_version: v.version,
      contract_hash: `contract-${v.contract}`,
    })),
    disabled_versions: pkg.disabled.map(([major, version]) => [major, version]),
    groups: Object.entries(pkg.groups).map(([group_name, group_users]) => ({
      group_name,
      group_users,
    })),
    lock_status: pkg.locked ? 'Locked' : 'Unlocked',
  };
}

/** A stored value as query_global_state shows it; `blob` finds contract Wasm bytes. */
export function storedValueJson(
  entry: StoredEntry,
  blob: (hash: string) => Uint8Array | undefined,
): Record<string, unknown> {
  if ('CLValue' in entry) return { CLValue: clValueJson(entry.CLValue) };
  if ('Dictionary' in entry) return { CLValue: clValueJson(entry.Dictionary.value) };
  if ('Contract' in entry) return { Contract: contractJson(entry.Contract) };
  if ('ContractPackage' in entry) return { ContractPackage: packageJson(entry.ContractPackage) };
  return { ContractWasm: { bytes: bytesToHex(blob(entry.ContractWasm.blob) ?? new Uint8Array()) } };
}

/** An execution effect: a Write of the value, with contract Wasm shown by its length only. */
export function effectJson(key: string, entry: StoredEntry) {
  if ('ContractWasm' in entry) return { key, kind: { Write: { ContractWasm: { bytes: '' } } } };
  return { key, kind: { Write: storedValueJson(entry, () => undefined) } };
}
