// What the host functions share: call frames, callers, ApiError results, reading keys and
// hashes from memory, and the bytesrepr of the values they hand to contracts (types/src
// bytesrepr of casper-network/casper-node, feat-2.0).
import {
  blake2b256,
  bytesToHex,
  concatBytes,
  hexToBytes,
  stringBytes,
  u32LE,
  utf8ToBytes,
} from '@x402-casper/shared';
import { type ApiErrorName, apiError } from './api-error.js';
import {
  clValue,
  clValueBytes,
  type EntryPointJson,
  type StoredCLValue,
  urefBytes,
} from './bytesrepr.js';
import { ExecutionFailure } from './failures.js';
import type { Execution } from './host.js';
import type { PackageEntry, StoredEntry } from './store.js';
import type { WasmGlobal, WasmMemory } from './webassembly.js';

/** Who sits in a call-stack frame. */
export type Caller =
  | { kind: 'account'; accountHash: string }
  | { kind: 'contract'; packageHash: string; contractHash: string };

export interface Frame {
  memory: WasmMemory;
  /** The instance's gas global: what is left of the slice it was handed. */
  gas: WasmGlobal;
  args: Map<string, StoredCLValue>;
  hostBuffer: StoredCLValue | null;
  /** Whose named keys the code sees: the initiator's account or the called contract. */
  context: Caller;
  /** The module the frame runs (its blob hash), for add_contract_version. */
  wasmBlob: string;
  returned?: StoredCLValue;
}

/** A host function: the frame that called it and its arguments as u32; an i32 result or none. */
export type HostFunction = (this: Execution, frame: Frame, args: number[]) => number | undefined;

export const PROTOCOL_MAJOR = 2;
export const DICTIONARY_ITEM_KEY_MAX_LENGTH = 128;
/** [wasm.messages_limits] of the production chainspec. */
export const MESSAGE_LIMITS = {
  maxTopicNameSize: 256,
  maxTopicsPerContract: 128,
  maxMessageSize: 1_024,
};

export const ok = 0;
export const err = (name: ApiErrorName) => apiError(name);
/** Contract header errors (types/src/contracts.rs Error), offset by 64768 as ApiError::ContractHeader. */
export const HEADER_ERROR = {
  contractNotFound: 64_770,
  groupAlreadyExists: 64_771,
  groupDoesNotExist: 64_774,
};

/** A URef read from memory, formatted. */
export function urefFrom(exec: Execution, frame: Frame, ptr: number, size: number): string {
  return exec.from(frame, ptr, size, (r) => r.uref());
}

/** A 32-byte hash read from memory, hex. */
export function hash32(exec: Execution, frame: Frame, ptr: number, size: number): string {
  return exec.from(frame, ptr, size, (r) => bytesToHex(r.take(32)));
}

export function dictionaryAddress(seedURef: string, itemKey: string): string {
  return bytesToHex(
    blake2b256(concatBytes(hexToBytes(seedURef.slice(5, 69)), utf8ToBytes(itemKey))),
  );
}

/** A dictionary item key: UTF-8 of at most 128 bytes, or null. */
export function dictionaryItemKey(exec: Execution, frame: Frame, ptr: number, size: number) {
  if (size > DICTIONARY_ITEM_KEY_MAX_LENGTH) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(exec.bytes(frame, ptr, size));
  } catch {
    return null;
  }
}

function optionHash(hex: string | null): StoredCLValue {
  return clValue(
    { Option: { ByteArray: 32 } },
    hex === null ? new Uint8Array([0]) : concatBytes(new Uint8Array([1]), hexToBytes(hex)),
  );
}

/** CallerInfo (types/src/system/caller.rs): kind u8 ‖ BTreeMap<u8, CLValue> of the five fields. */
export function callerInfoBytes(caller: Caller): Uint8Array {
  const fields: Array<[number, StoredCLValue]> =
    caller.kind === 'account'
      ? [
          [0, optionHash(caller.accountHash)],
          [1, optionHash(null)],
          [2, optionHash(null)],
          [3, clValue({ Option: 'Any' }, new Uint8Array([0]))],
          [4, optionHash(null)],
        ]
      : [
          [0, optionHash(null)],
          [1, optionHash(null)],
          [2, optionHash(caller.packageHash)],
          [3, clValue({ Option: 'Any' }, new Uint8Array([0]))],
          [4, optionHash(caller.contractHash)],
        ];
  return concatBytes(
    new Uint8Array([caller.kind === 'account' ? 0 : 4]),
    u32LE(fields.length),
    ...fields.map(([tag, value]) => concatBytes(new Uint8Array([tag]), clValueBytes(value))),
  );
}

/**
 * A CallStackElement (types/src/system/caller/call_stack_elements.rs, feat-2.0), as
 * `From<&Caller>` makes one: Session (tag 0) ‖ account hash, or StoredContract (tag 2) ‖
 * package hash ‖ contract hash.
 */
export function callStackElementBytes(caller: Caller): Uint8Array {
  if (caller.kind === 'account') {
    return concatBytes(new Uint8Array([0]), hexToBytes(caller.accountHash));
  }
  return concatBytes(
    new Uint8Array([2]),
    hexToBytes(caller.packageHash),
    hexToBytes(caller.contractHash),
  );
}

const compareBytes = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
};

/**
 * A ContractPackage in bytesrepr (types/src/contracts.rs): access key, versions
 * (BTreeMap<(major, version), hash>), disabled versions, groups (BTreeMap<String,
 * BTreeSet<URef>>), lock status; BTreeMaps and sets in their key order.
 */
export function packageBytes(pkg: PackageEntry): Uint8Array {
  const versionKey = (major: number, version: number) => concatBytes(u32LE(major), u32LE(version));
  const byVersion = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
  const versions = [...pkg.versions].sort((a, b) =>
    byVersion([a.major, a.version], [b.major, b.version]),
  );
  const disabled = [...pkg.disabled].sort(byVersion);
  const groups = Object.entries(pkg.groups)
    .map(([label, urefs]) => [stringBytes(label), urefs.map(urefBytes)] as const)
    .sort((a, b) => compareBytes(a[0].subarray(4), b[0].subarray(4)));
  return concatBytes(
    urefBytes(pkg.accessKey),
    u32LE(versions.length),
    ...versions.map((v) => concatBytes(versionKey(v.major, v.version), hexToBytes(v.contract))),
    u32LE(disabled.length),
    ...disabled.map(([major, version]) => versionKey(major, version)),
    u32LE(groups.length),
    ...groups.map(([label, urefs]) =>
      concatBytes(label, u32LE(urefs.length), ...[...urefs].sort(compareBytes)),
    ),
    new Uint8Array([pkg.locked ? 1 : 0]),
  );
}

/** What read_value finds: a CLValue, a dictionary item's value, or (as Casper 2.0 allows) a package as a CLValue of type Any. */
export function readStored(exec: Execution, key: string): StoredCLValue | undefined {
  const entry = exec.overlay.get(key);
  if (!entry) return undefined;
  if ('CLValue' in entry) return entry.CLValue;
  if ('Dictionary' in entry) return entry.Dictionary.value;
  if ('ContractPackage' in entry) return clValue('Any', packageBytes(entry.ContractPackage));
  throw new ExecutionFailure(`Type mismatch: expected CLValue at ${key}`);
}

/** The package whose hash is in memory (a copy, to change and write back). */
export function packageFrom(exec: Execution, frame: Frame, ptr: number, size: number) {
  const hash = hash32(exec, frame, ptr, size);
  const entry = exec.overlay.get(`hash-${hash}`);
  if (!entry || !('ContractPackage' in entry)) {
    throw new ExecutionFailure(`Key hash-${hash} not found`);
  }
  return { hash, pkg: structuredClone(entry.ContractPackage) };
}

/** A called contract's result: in the caller's host buffer, its size at `sizePtr`. */
export function returnToCaller(
  exec: Execution,
  frame: Frame,
  result: StoredCLValue,
  sizePtr: number,
) {
  const size = result.bytes.length / 2;
  if (size !== 0) frame.hostBuffer = result;
  exec.set(frame, sizePtr, u32LE(size));
  return ok;
}

/** The contract a package runs for `version` (null: the newest enabled one), or a failure in the node's words. */
export function resolveVersion(
  packageHash: string,
  pkg: PackageEntry,
  version: number | null,
): string {
  const enabled = (v: PackageEntry['versions'][number]) =>
    !pkg.disabled.some(([m, n]) => m === v.major && n === v.version);
  if (version === null) {
    const current = pkg.versions.filter(enabled).at(-1);
    if (!current) {
      throw new ExecutionFailure(`No active contract versions for contract package ${packageHash}`);
    }
    return current.contract;
  }
  const found = pkg.versions.find((v) => v.major === PROTOCOL_MAJOR && v.version === version);
  if (!found) throw new ExecutionFailure(`Missing contract version ${PROTOCOL_MAJOR}.${version}`);
  if (!enabled(found))
    throw new ExecutionFailure(`Contract version ${PROTOCOL_MAJOR}.${version} is disabled`);
  return found.contract;
}

/** Public entry points run for anyone; group ones only for a caller knowing a group URef. */
export function checkAccess(
  entryPoint: EntryPointJson,
  knows: (groups: string[]) => boolean,
): void {
  const access = entryPoint.access;
  if (access === 'Public') return;
  if (access === 'Template' || !knows(access.Groups)) {
    throw new ExecutionFailure('Invalid context');
  }
}

/** The serialized length of a stored value, which storage gas is charged on. */
export function entrySize(
  entry: StoredEntry,
  blob: (hash: string) => Uint8Array | undefined,
): number {
  if ('CLValue' in entry) return 5 + (entry.CLValue.bytes.length + entry.CLValue.type.length) / 2;
  if ('Dictionary' in entry) {
    const v = entry.Dictionary.value;
    return 5 + (v.bytes.length + v.type.length) / 2 + 8 + 32 + entry.Dictionary.item.length + 1;
  }
  if ('ContractWasm' in entry) return 5 + (blob(entry.ContractWasm.blob)?.length ?? 0);
  return 1 + Math.ceil(JSON.stringify(entry).length / 2);
}

/** The current version of a package (the newest enabled), as the node's `current_contract_hash`. */
export function currentVersion(pkg: PackageEntry) {
  return pkg.versions
    .filter((v) => !pkg.disabled.some(([m, n]) => m === v.major && n === v.version))
    .at(-1);
}
