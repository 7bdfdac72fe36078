// The Casper execution host: runs a contract's Wasm with the host functions of module `env`,
// its linear memory and the host buffer, as the execution engine does. Written from
// casper-network/casper-node execution_engine/src/runtime/externals.rs, runtime/mod.rs and
// runtime_context/mod.rs (feat-2.0), with casper_verify_signature as the 2.0 resolver
// declares it (six i32 arguments: message, signature, public key; 0 when valid).
//
// Differences from a node, on purpose or for now: URef access rights are not enforced
// (group-restricted entry points are: the caller must know one of the group's URefs);
// addresses (hashes, URefs, random bytes) come from blake2b(transaction hash ‖ counter),
// not the node's ChaCha generator; gas follows the chainspec's opcode, host-function and
// storage costs but is counted per metered segment (see instrument.ts).
import { createHash } from 'node:crypto';
import {
  bigUintLE,
  blake2b256,
  bytesToHex,
  concatBytes,
  hexToBytes,
  stringBytes,
  u32LE,
  u64LE,
  utf8ToBytes,
  verifySignature,
} from '@x402-casper/shared';
import { type ApiErrorName, apiError, apiErrorMessage } from './api-error.js';
import {
  BytesreprError,
  type CLType,
  clValue,
  clValueBytes,
  type EntryPointJson,
  keyBytes,
  publicKey,
  Reader,
  readEntryPoints,
  readNamedKeys,
  readRuntimeArgs,
  type StoredCLValue,
  signature,
  typeOf,
  UNIT,
  urefBytes,
} from './bytesrepr.js';
import { GAS_PER_BYTE, hostCost } from './costs.js';
import { GAS_EXPORT, PreprocessError, prepareModule } from './instrument.js';
import type { ContractEntry, Overlay, PackageEntry, StoredEntry } from './store.js';
import {
  type WasmGlobal,
  type WasmInstance,
  type WasmMemory,
  type WasmModule,
  wasm,
} from './webassembly.js';

/** Why an execution failed, with the words a node's execution result uses. */
export class ExecutionFailure extends Error {}

class RevertSignal extends ExecutionFailure {
  constructor(readonly code: number) {
    super(apiErrorMessage(code));
  }
}
class OutOfGas extends ExecutionFailure {
  constructor() {
    super('Out of gas error');
  }
}
class RetSignal extends Error {}

const trap = (reason: string) => new ExecutionFailure(`Interpreter error: ${reason}`);

const PROTOCOL_MAJOR = 2;
const DICTIONARY_ITEM_KEY_MAX_LENGTH = 128;
const MAX_CALL_DEPTH = 10;
/** System contract hashes the devnet answers get_system_contract with (mint, handle payment, standard payment, auction). */
const SYSTEM_CONTRACTS = ['mint', 'handle_payment', 'standard_payment', 'auction'].map((name) =>
  blake2b256(utf8ToBytes(`x402-casper devnet system contract ${name}`)),
);

const compiled = new Map<string, { module: WasmModule; memoryPages?: number }>();

/** Preprocesses and compiles a module once per content hash. */
export function compileContract(hash: string, bytes: Uint8Array) {
  let entry = compiled.get(hash);
  if (!entry) {
    const prepared = prepareModule(bytes);
    entry = { module: new wasm.Module(prepared.bytes) as WasmModule } as {
      module: WasmModule;
      memoryPages?: number;
    };
    if (prepared.importedMemoryPages !== undefined)
      entry.memoryPages = prepared.importedMemoryPages;
    if (compiled.size > 64) compiled.clear();
    compiled.set(hash, entry);
  }
  return entry;
}

/** Who sits in a call-stack frame. */
type Caller =
  | { kind: 'account'; accountHash: string }
  | { kind: 'contract'; packageHash: string; contractHash: string };

interface Frame {
  memory: WasmMemory;
  gas: WasmGlobal;
  args: Map<string, StoredCLValue>;
  hostBuffer: StoredCLValue | null;
  /** Whose named keys the code sees: the initiator's account or the called contract. */
  context: Caller;
  /** The module the frame runs (its blob hash), for add_contract_version. */
  wasmBlob: string;
  returned?: StoredCLValue;
}

export interface ExecutionEnvironment {
  overlay: Overlay;
  initiator: string;
  blockTimeMs: number;
  txHash: string;
  gasLimit: bigint;
  blob(hash: string): Uint8Array | undefined;
  storeBlob(bytes: Uint8Array): string;
}

export interface ExecutionOutcome {
  error: string | null;
  consumed: bigint;
  messages: Array<{ topic: string; payload: string }>;
}

/** A write to global state, in the shape an execution result's effects list it. */
export type Target =
  | { kind: 'session'; wasmBlob: string }
  | { kind: 'stored'; contractHash: string; entryPoint: string };

export class Execution {
  private readonly stack: Caller[];
  private readonly frames: Frame[] = [];
  private counter = 0;
  private remaining: bigint;
  /** URef addresses created in this execution: their creator knows them. */
  private readonly known = new Set<string>();
  readonly messages: Array<{ topic: string; payload: string }> = [];

  constructor(private readonly env: ExecutionEnvironment) {
    this.stack = [{ kind: 'account', accountHash: env.initiator }];
    this.remaining = env.gasLimit;
  }

  run(target: Target, args: Map<string, StoredCLValue>): ExecutionOutcome {
    let error: string | null = null;
    try {
      if (target.kind === 'session') {
        this.invoke(target.wasmBlob, 'call', args, this.stack[0]!);
      } else {
        this.callContract(target.contractHash, target.entryPoint, args, this.stack[0]!);
      }
    } catch (failure) {
      error = describe(failure);
      if (failure instanceof OutOfGas) this.remaining = 0n;
    }
    const consumed = this.env.gasLimit - (this.remaining < 0n ? 0n : this.remaining);
    return { error, consumed, messages: this.messages };
  }

  // ---- gas

  private charge(amount: bigint): void {
    const frame = this.frames[this.frames.length - 1];
    if (frame) this.remaining = frame.gas.value as bigint;
    this.remaining -= amount;
    if (frame) frame.gas.value = this.remaining;
    if (this.remaining < 0n) throw new OutOfGas();
  }

  private chargeStorage(bytes: number): void {
    this.charge(GAS_PER_BYTE * BigInt(bytes));
  }

  // ---- addresses

  private newAddress(): Uint8Array {
    this.counter += 1;
    return blake2b256(
      concatBytes(hexToBytes(this.env.txHash), utf8ToBytes(`/devnet-address/${this.counter}`)),
    );
  }

  private newURef(value: StoredCLValue): string {
    const addr = bytesToHex(this.newAddress());
    const uref = `uref-${addr}-007`;
    this.known.add(addr);
    this.write(uref, { CLValue: value });
    return uref;
  }

  private write(key: string, entry: StoredEntry): void {
    this.chargeStorage(entrySize(entry, this.env));
    this.env.overlay.put(key, entry);
  }

  // ---- calls

  private contract(contractHash: string): ContractEntry {
    const entry = this.env.overlay.get(`hash-${contractHash}`);
    if (!entry || !('Contract' in entry)) {
      throw new ExecutionFailure(`Key hash-${contractHash} not found`);
    }
    return entry.Contract;
  }

  private package(packageHash: string): PackageEntry {
    const entry = this.env.overlay.get(`hash-${packageHash}`);
    if (!entry || !('ContractPackage' in entry)) {
      throw new ExecutionFailure(`Key hash-${packageHash} not found`);
    }
    return entry.ContractPackage;
  }

  /** Whether the calling context knows one of the URefs of `groups`. */
  private knowsGroup(pkg: PackageEntry, groups: string[], caller: Caller): boolean {
    const namedKeys = Object.values(this.namedKeysOf(caller));
    for (const label of groups) {
      for (const uref of pkg.groups[label] ?? []) {
        const addr = uref.slice(5, 69);
        if (this.known.has(addr) || namedKeys.some((key) => key.startsWith(`uref-${addr}`))) {
          return true;
        }
      }
    }
    return false;
  }

  private callContract(
    contractHash: string,
    entryPointName: string,
    args: Map<string, StoredCLValue>,
    caller: Caller,
  ): StoredCLValue {
    const contract = this.contract(contractHash);
    const pkg = this.package(contract.package);
    const version = pkg.versions.find((v) => v.contract === contractHash);
    if (
      version &&
      pkg.disabled.some(([major, number]) => major === version.major && number === version.version)
    ) {
      throw new ExecutionFailure(`Contract is disabled: contract-${contractHash}`);
    }
    const entryPoint = contract.entryPoints.find((ep) => ep.name === entryPointName);
    if (!entryPoint) throw new ExecutionFailure(`No such method: ${entryPointName}`);
    checkAccess(entryPoint, pkg, caller, (groups) => this.knowsGroup(pkg, groups, caller));
    const wasm = this.env.overlay.get(`hash-${contract.wasm}`);
    if (!wasm || !('ContractWasm' in wasm)) {
      throw new ExecutionFailure(`Key hash-${contract.wasm} not found`);
    }
    const callee: Caller =
      entryPoint.entry_point_type === 'Caller'
        ? caller
        : { kind: 'contract', packageHash: contract.package, contractHash };
    if (this.stack.length >= MAX_CALL_DEPTH)
      throw new RevertSignal(apiError('ExceededRecursionDepth'));
    this.stack.push({ kind: 'contract', packageHash: contract.package, contractHash });
    try {
      return this.invoke(wasm.ContractWasm.blob, entryPointName, args, callee);
    } finally {
      this.stack.pop();
    }
  }

  /** Instantiates the module afresh (as the engine does per call) and runs one export. */
  private invoke(
    wasmBlob: string,
    exportName: string,
    args: Map<string, StoredCLValue>,
    context: Caller,
  ): StoredCLValue {
    const bytes = this.env.blob(wasmBlob);
    if (!bytes) throw new ExecutionFailure(`Key hash-${wasmBlob} not found`);
    let compiledModule: ReturnType<typeof compileContract>;
    try {
      compiledModule = compileContract(wasmBlob, bytes);
    } catch (error) {
      if (error instanceof PreprocessError) {
        throw new ExecutionFailure(`Wasm preprocessing error: ${error.message}`);
      }
      throw new ExecutionFailure(
        `Wasm preprocessing error: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const { module } = compiledModule;
    const frameRef: { frame?: Frame } = {};
    const imports: Record<string, unknown> = {};
    let importedMemory: WasmMemory | undefined;
    for (const imp of wasm.Module.imports(module)) {
      if (imp.module !== 'env') {
        throw trap(`host module doesn't export function with name ${imp.module}.${imp.name}`);
      }
      if (imp.kind === 'memory') {
        importedMemory = new wasm.Memory({
          initial: compiledModule.memoryPages ?? 0,
          maximum: 64,
        });
        imports[imp.name] = importedMemory;
        continue;
      }
      const host = HOST_FUNCTIONS[imp.name];
      if (imp.kind !== 'function' || !host) {
        throw trap(`host module doesn't export function with name ${imp.name}`);
      }
      imports[imp.name] = (...raw: number[]) => {
        const frame = frameRef.frame!;
        const argv = raw.map((value) => value >>> 0);
        this.charge(hostCost(imp.name, argv));
        return host.call(this, frame, argv);
      };
    }
    let instance: WasmInstance;
    try {
      instance = new wasm.Instance(module, { env: imports });
    } catch (error) {
      throw trap(error instanceof Error ? error.message : String(error));
    }
    const memory = importedMemory ?? (instance.exports.memory as WasmMemory | undefined);
    const gas = instance.exports[GAS_EXPORT] as WasmGlobal;
    const entry = instance.exports[exportName];
    if (!memory) throw trap('the module exports no memory');
    if (typeof entry !== 'function') throw new ExecutionFailure(`No such method: ${exportName}`);
    const caller = this.frames[this.frames.length - 1];
    gas.value = caller ? (caller.gas.value as bigint) : this.remaining;
    const frame: Frame = { memory, gas, args, hostBuffer: null, context, wasmBlob };
    frameRef.frame = frame;
    this.frames.push(frame);
    try {
      (entry as () => void)();
    } catch (error) {
      if (!(error instanceof RetSignal)) {
        const left = gas.value as bigint;
        if (left < 0n) throw new OutOfGas();
        throw error;
      }
    } finally {
      this.remaining = gas.value as bigint;
      this.frames.pop();
      if (caller) caller.gas.value = this.remaining;
    }
    if (this.remaining < 0n) throw new OutOfGas();
    return frame.returned ?? UNIT;
  }

  // ---- named keys

  namedKeysOf(context: Caller): Record<string, string> {
    if (context.kind === 'account') {
      return this.env.overlay.account(context.accountHash)?.namedKeys ?? {};
    }
    return this.contract(context.contractHash).namedKeys;
  }

  putNamedKey(context: Caller, name: string, key: string): void {
    this.chargeStorage(name.length + keyBytes(key).length + 16);
    if (context.kind === 'account') {
      const account = this.env.overlay.account(context.accountHash);
      if (!account) throw new ExecutionFailure('Invalid context');
      account.namedKeys = { ...account.namedKeys, [name]: key };
      this.env.overlay.putAccount(account);
      return;
    }
    const contract = this.contract(context.contractHash);
    this.env.overlay.put(`hash-${context.contractHash}`, {
      Contract: { ...contract, namedKeys: { ...contract.namedKeys, [name]: key } },
    });
  }

  removeNamedKey(context: Caller, name: string): void {
    if (context.kind === 'account') {
      const account = this.env.overlay.account(context.accountHash);
      if (!account?.namedKeys) return;
      const { [name]: _removed, ...rest } = account.namedKeys;
      account.namedKeys = rest;
      this.env.overlay.putAccount(account);
      return;
    }
    const contract = this.contract(context.contractHash);
    const { [name]: _removed, ...rest } = contract.namedKeys;
    this.env.overlay.put(`hash-${context.contractHash}`, {
      Contract: { ...contract, namedKeys: rest },
    });
  }

  // ---- helpers the host functions use

  bytes(frame: Frame, ptr: number, size: number): Uint8Array {
    const view = new Uint8Array(frame.memory.buffer);
    if (ptr + size > view.length) throw trap('memory access out of bounds');
    return view.slice(ptr, ptr + size);
  }

  set(frame: Frame, ptr: number, data: Uint8Array): void {
    const view = new Uint8Array(frame.memory.buffer);
    if (ptr + data.length > view.length) throw trap('memory access out of bounds');
    view.set(data, ptr);
  }

  reader(frame: Frame, ptr: number, size: number): Reader {
    return new Reader(this.bytes(frame, ptr, size));
  }

  /** Reads one value with `read` from memory, which must use all of it. */
  from<T>(frame: Frame, ptr: number, size: number, read: (reader: Reader) => T): T {
    const reader = this.reader(frame, ptr, size);
    const value = read(reader);
    reader.end();
    return value;
  }

  string(frame: Frame, ptr: number, size: number): string {
    return this.from(frame, ptr, size, (r) => r.string());
  }

  /** Puts a value in the host buffer and its size at `sizePtr`; 0, or HostBufferFull. */
  toHostBuffer(frame: Frame, value: StoredCLValue, sizePtr: number): number {
    if (frame.hostBuffer) return apiError('HostBufferFull');
    frame.hostBuffer = value;
    this.set(frame, sizePtr, u32LE(value.bytes.length / 2));
    return 0;
  }

  blockTime(): bigint {
    return BigInt(this.env.blockTimeMs);
  }

  get overlay(): Overlay {
    return this.env.overlay;
  }

  get initiator(): string {
    return this.env.initiator;
  }

  callerStack(): Caller[] {
    return this.stack;
  }

  newUnitURef(): string {
    return this.newURef(UNIT);
  }

  createURef(value: StoredCLValue): string {
    return this.newURef(value);
  }

  newHashAddress(): string {
    return bytesToHex(this.newAddress());
  }

  randomBytes(): Uint8Array {
    return this.newAddress();
  }

  writeEntry(key: string, entry: StoredEntry): void {
    this.write(key, entry);
  }

  call(contractHash: string, entryPoint: string, args: Map<string, StoredCLValue>, caller: Caller) {
    return this.callContract(contractHash, entryPoint, args, caller);
  }

  storeModule(frame: Frame): string {
    return frame.wasmBlob;
  }

  emit(topic: string, payload: string): void {
    this.messages.push({ topic, payload });
  }

  purseBalance(purse: string): bigint | undefined {
    const addr = purse.slice(5, 69);
    for (const account of Object.values(this.env.overlay.base.accounts)) {
      if (account.mainPurse === addr) {
        return BigInt(this.env.overlay.account(account.accountHash)!.motes);
      }
    }
    const entry = this.env.overlay.get(`balance-${addr}`);
    if (!entry || !('CLValue' in entry)) return undefined;
    return new Reader(hexToBytes(entry.CLValue.bytes)).bigUint(64);
  }

  setPurseBalance(purse: string, amount: bigint): void {
    const addr = purse.slice(5, 69);
    for (const account of Object.values(this.env.overlay.base.accounts)) {
      if (account.mainPurse === addr) {
        const copy = this.env.overlay.account(account.accountHash)!;
        copy.motes = amount.toString();
        this.env.overlay.putAccount(copy);
        return;
      }
    }
    this.write(`balance-${addr}`, { CLValue: clValue('U512', bigUintLE(amount)) });
  }
}

function checkAccess(
  entryPoint: EntryPointJson,
  _pkg: PackageEntry,
  _caller: Caller,
  knows: (groups: string[]) => boolean,
): void {
  const access = entryPoint.access;
  if (access === 'Public') return;
  if (access === 'Template' || !knows(access.Groups)) {
    throw new ExecutionFailure(`Invalid context`);
  }
}

function describe(failure: unknown): string {
  if (failure instanceof ExecutionFailure) return failure.message;
  if (failure instanceof BytesreprError) return `Serialization error: ${failure.message}`;
  if (failure instanceof wasm.RuntimeError) return `Interpreter error: trap: ${failure.message}`;
  if (failure instanceof RangeError) return `Interpreter error: trap: ${failure.message}`;
  return `Interpreter error: ${failure instanceof Error ? failure.message : String(failure)}`;
}

/** The serialized length of a stored value, which storage gas is charged on. */
function entrySize(entry: StoredEntry, env: ExecutionEnvironment): number {
  if ('CLValue' in entry) return 5 + (entry.CLValue.bytes.length + entry.CLValue.type.length) / 2;
  if ('Dictionary' in entry) {
    const v = entry.Dictionary.value;
    return 5 + (v.bytes.length + v.type.length) / 2 + 8 + 32 + entry.Dictionary.item.length + 1;
  }
  if ('ContractWasm' in entry) return 5 + (env.blob(entry.ContractWasm.blob)?.length ?? 0);
  return 1 + Math.ceil(JSON.stringify(entry).length / 2);
}

type HostFunction = (this: Execution, frame: Frame, args: number[]) => number | undefined;

const ok = 0;
/** Contract header errors (addressable_entity.rs Error), offset by 64768 as ApiError::ContractHeader. */
const HEADER_ERROR = {
  entityNotFound: 64_770,
  groupAlreadyExists: 64_771,
  groupDoesNotExist: 64_774,
};
const err = (name: ApiErrorName) => apiError(name);

function ret(value: number | undefined): number | undefined {
  return value;
}

/** URef formatted from memory bytes. */
function urefFrom(exec: Execution, frame: Frame, ptr: number, size: number): string {
  return exec.from(frame, ptr, size, (r) => r.uref());
}

function hash32(exec: Execution, frame: Frame, ptr: number, size: number): string {
  if (size !== 32) {
    return exec.from(frame, ptr, size, (r) => bytesToHex(r.take(32)));
  }
  return bytesToHex(exec.bytes(frame, ptr, 32));
}

function dictionaryAddress(seedURef: string, itemKey: string): string {
  return bytesToHex(
    blake2b256(concatBytes(hexToBytes(seedURef.slice(5, 69)), utf8ToBytes(itemKey))),
  );
}

function dictionaryItemKey(exec: Execution, frame: Frame, ptr: number, size: number) {
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
function callerInfoBytes(caller: Caller): Uint8Array {
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
function readStored(exec: Execution, key: string): StoredCLValue | undefined {
  const entry = exec.overlay.get(key);
  if (!entry) return undefined;
  if ('CLValue' in entry) return entry.CLValue;
  if ('Dictionary' in entry) return entry.Dictionary.value;
  if ('ContractPackage' in entry) return clValue('Any', packageBytes(entry.ContractPackage));
  throw new ExecutionFailure(`Type mismatch: expected CLValue at ${key}`);
}

function packageFrom(exec: Execution, frame: Frame, ptr: number, size: number) {
  const hash = hash32(exec, frame, ptr, size);
  const entry = exec.overlay.get(`hash-${hash}`);
  if (!entry || !('ContractPackage' in entry)) {
    throw new ExecutionFailure(`Key hash-${hash} not found`);
  }
  return { hash, pkg: structuredClone(entry.ContractPackage) };
}

export const HOST_FUNCTIONS: Record<string, HostFunction> = {
  casper_revert(_frame, [status]) {
    throw new RevertSignal(status!);
  },

  casper_ret(frame, [ptr, size]) {
    frame.returned = this.from(frame, ptr!, size!, (r) => r.clValue());
    throw new RetSignal();
  },

  casper_get_named_arg_size(frame, [namePtr, nameSize, sizePtr]) {
    const name = new TextDecoder().decode(this.bytes(frame, namePtr!, nameSize!));
    const arg = frame.args.get(name);
    if (!arg) return err('MissingArgument');
    this.set(frame, sizePtr!, u32LE(arg.bytes.length / 2));
    return ok;
  },

  casper_get_named_arg(frame, [namePtr, nameSize, destPtr, destSize]) {
    const name = new TextDecoder().decode(this.bytes(frame, namePtr!, nameSize!));
    const arg = frame.args.get(name);
    if (!arg) return err('MissingArgument');
    const bytes = hexToBytes(arg.bytes);
    if (bytes.length > destSize!) return err('OutOfMemory');
    this.set(frame, destPtr!, bytes);
    return ok;
  },

  casper_read_host_buffer(frame, [destPtr, destSize, writtenPtr]) {
    const value = frame.hostBuffer;
    frame.hostBuffer = null;
    if (!value) return err('HostBufferEmpty');
    const bytes = hexToBytes(value.bytes);
    if (bytes.length > destSize!) return err('BufferTooSmall');
    this.set(frame, destPtr!, bytes);
    this.set(frame, writtenPtr!, u32LE(bytes.length));
    return ok;
  },

  casper_get_key(frame, [namePtr, nameSize, outPtr, outSize, writtenPtr]) {
    const name = this.string(frame, namePtr!, nameSize!);
    const key = this.namedKeysOf(frame.context)[name];
    if (!key) return err('MissingKey');
    const bytes = keyBytes(key);
    if (outSize! < bytes.length) return err('BufferTooSmall');
    this.set(frame, outPtr!, bytes);
    this.set(frame, writtenPtr!, u32LE(bytes.length));
    return ok;
  },

  casper_has_key(frame, [namePtr, nameSize]) {
    const name = this.string(frame, namePtr!, nameSize!);
    return this.namedKeysOf(frame.context)[name] ? 0 : 1;
  },

  casper_put_key(frame, [namePtr, nameSize, keyPtr, keySize]) {
    const name = this.string(frame, namePtr!, nameSize!);
    const key = this.from(frame, keyPtr!, keySize!, (r) => r.key());
    this.putNamedKey(frame.context, name, key);
    return ret(undefined);
  },

  casper_remove_key(frame, [namePtr, nameSize]) {
    this.removeNamedKey(frame.context, this.string(frame, namePtr!, nameSize!));
    return ret(undefined);
  },

  casper_load_named_keys(frame, [countPtr, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const keys = Object.entries(this.namedKeysOf(frame.context));
    this.set(frame, countPtr!, u32LE(keys.length));
    if (keys.length === 0) return ok;
    const bytes = concatBytes(
      u32LE(keys.length),
      ...keys.map(([name, key]) => concatBytes(stringBytes(name), keyBytes(key))),
    );
    return this.toHostBuffer(
      frame,
      clValue({ Map: { key: 'String', value: 'Key' } }, bytes),
      sizePtr!,
    );
  },

  casper_new_uref(frame, [urefPtr, valuePtr, valueSize]) {
    const value = this.from(frame, valuePtr!, valueSize!, (r) => r.clValue());
    const uref = this.createURef(value);
    this.set(frame, urefPtr!, urefBytes(uref));
    return ret(undefined);
  },

  casper_read_value(frame, [keyPtr, keySize, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const key = this.from(frame, keyPtr!, keySize!, (r) => r.key());
    const value = readStored(this, key);
    if (!value) return err('ValueNotFound');
    return this.toHostBuffer(frame, value, sizePtr!);
  },

  casper_write(frame, [keyPtr, keySize, valuePtr, valueSize]) {
    const key = this.from(frame, keyPtr!, keySize!, (r) => r.key());
    const value = this.from(frame, valuePtr!, valueSize!, (r) => r.clValue());
    if (!key.startsWith('uref-')) throw new ExecutionFailure(`Forged reference: ${key}`);
    this.writeEntry(key, { CLValue: value });
    return ret(undefined);
  },

  casper_new_dictionary(frame, [sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const uref = this.newUnitURef();
    return this.toHostBuffer(frame, clValue('URef', urefBytes(uref)), sizePtr!);
  },

  casper_dictionary_get(frame, [urefPtr, urefSize, keyPtr, keySize, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const seed = urefFrom(this, frame, urefPtr!, urefSize!);
    const item = dictionaryItemKey(this, frame, keyPtr!, keySize!);
    if (item === null) return err('InvalidDictionaryItemKey');
    const value = readStored(this, `dictionary-${dictionaryAddress(seed, item)}`);
    if (!value) return err('ValueNotFound');
    return this.toHostBuffer(frame, value, sizePtr!);
  },

  casper_dictionary_put(frame, [urefPtr, urefSize, keyPtr, keySize, valuePtr, valueSize]) {
    const seed = urefFrom(this, frame, urefPtr!, urefSize!);
    if (keySize! > DICTIONARY_ITEM_KEY_MAX_LENGTH) return err('DictionaryItemKeyExceedsLength');
    const item = dictionaryItemKey(this, frame, keyPtr!, keySize!);
    if (item === null) return err('InvalidDictionaryItemKey');
    const value = this.from(frame, valuePtr!, valueSize!, (r) => r.clValue());
    this.writeEntry(`dictionary-${dictionaryAddress(seed, item)}`, {
      Dictionary: { seed: seed.slice(5, 69), item, value },
    });
    return ok;
  },

  casper_dictionary_read(frame, [keyPtr, keySize, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const key = this.from(frame, keyPtr!, keySize!, (r) => r.key());
    const value = readStored(this, key);
    if (!value) return err('ValueNotFound');
    return this.toHostBuffer(frame, value, sizePtr!);
  },

  casper_is_valid_uref(frame, [ptr, size]) {
    urefFrom(this, frame, ptr!, size!);
    return 1;
  },

  casper_load_caller_information(frame, [action, lenPtr, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const stack = this.callerStack();
    let callers: Caller[];
    if (action === 0) callers = [{ kind: 'account', accountHash: this.initiator }];
    else if (action === 1) {
      const previous = stack[stack.length - 2];
      if (!previous) return err('Unhandled');
      callers = [previous];
    } else if (action === 2) callers = [...stack];
    else return err('InvalidCallerInfoRequest');
    this.set(frame, lenPtr!, u32LE(callers.length));
    const bytes = concatBytes(u32LE(callers.length), ...callers.map(callerInfoBytes));
    return this.toHostBuffer(frame, clValue({ List: 'Any' }, bytes), sizePtr!);
  },

  casper_get_caller(frame, [sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    return this.toHostBuffer(
      frame,
      clValue({ ByteArray: 32 }, hexToBytes(this.initiator)),
      sizePtr!,
    );
  },

  casper_get_blocktime(frame, [destPtr]) {
    this.set(frame, destPtr!, u64LE(this.blockTime()));
    return ret(undefined);
  },

  casper_get_phase(frame, [destPtr]) {
    this.set(frame, destPtr!, new Uint8Array([2]));
    return ret(undefined);
  },

  casper_get_main_purse(frame, [destPtr]) {
    const account = this.overlay.account(this.initiator);
    if (!account) throw new ExecutionFailure('Invalid context');
    this.set(frame, destPtr!, urefBytes(`uref-${account.mainPurse}-007`));
    return ret(undefined);
  },

  casper_emit_message(frame, [topicPtr, topicSize, messagePtr, messageSize]) {
    if (topicSize! > 256) return err('MaxTopicNameSizeExceeded');
    if (messageSize! > 1_024) return err('MessageTooLarge');
    const topic = new TextDecoder().decode(this.bytes(frame, topicPtr!, topicSize!));
    const payload = bytesToHex(this.bytes(frame, messagePtr!, messageSize!));
    if (frame.context.kind !== 'contract') throw new ExecutionFailure('Invalid context');
    const contract = this.overlay.get(`hash-${frame.context.contractHash}`);
    if (contract && 'Contract' in contract && !contract.Contract.messageTopics.includes(topic)) {
      return err('MessageTopicNotRegistered');
    }
    this.emit(topic, payload);
    return ok;
  },

  casper_blake2b(frame, [inPtr, inSize, outPtr, outSize]) {
    const digest = blake2b256(this.bytes(frame, inPtr!, inSize!));
    if (outSize !== digest.length) return err('BufferTooSmall');
    this.set(frame, outPtr!, digest);
    return ok;
  },

  casper_generic_hash(frame, [inPtr, inSize, algorithm, outPtr, outSize]) {
    const input = this.bytes(frame, inPtr!, inSize!);
    let digest: Uint8Array;
    if (algorithm === 0) digest = blake2b256(input);
    else if (algorithm === 2) digest = new Uint8Array(createHash('sha256').update(input).digest());
    else return err('InvalidArgument');
    if (digest.length > outSize!) return err('BufferTooSmall');
    this.set(frame, outPtr!, digest);
    return ok;
  },

  casper_random_bytes(frame, [outPtr, outSize]) {
    const bytes = this.randomBytes();
    if (outSize !== bytes.length) return err('BufferTooSmall');
    this.set(frame, outPtr!, bytes);
    return ok;
  },

  casper_verify_signature(frame, [msgPtr, msgSize, sigPtr, sigSize, keyPtr, keySize]) {
    const message = this.bytes(frame, msgPtr!, msgSize!);
    const sig = this.from(frame, sigPtr!, sigSize!, signature);
    const key = this.from(frame, keyPtr!, keySize!, publicKey);
    return verifySignature(key, message, sig) ? ok : err('InvalidArgument');
  },

  casper_get_system_contract(frame, [index, destPtr, destSize]) {
    const hash = SYSTEM_CONTRACTS[index!];
    if (!hash) return err('InvalidSystemContract');
    if (destSize! < 32) return err('BufferTooSmall');
    this.set(frame, destPtr!, hash);
    return ok;
  },

  casper_create_purse(frame, [destPtr, destSize]) {
    if (destSize! < 33) return err('PurseNotCreated');
    const purse = this.newUnitURef();
    this.setPurseBalance(purse, 0n);
    this.set(frame, destPtr!, urefBytes(purse));
    return ok;
  },

  casper_get_balance(frame, [ptr, size, sizePtr]) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const purse = urefFrom(this, frame, ptr!, size!);
    const balance = this.purseBalance(purse);
    if (balance === undefined) return err('InvalidPurse');
    return this.toHostBuffer(frame, clValue('U512', bigUintLE(balance)), sizePtr!);
  },

  casper_transfer_from_purse_to_purse(
    frame,
    [srcPtr, srcSize, dstPtr, dstSize, amountPtr, amountSize],
  ) {
    const source = urefFrom(this, frame, srcPtr!, srcSize!);
    const target = urefFrom(this, frame, dstPtr!, dstSize!);
    const amount = this.from(frame, amountPtr!, amountSize!, (r) => r.bigUint(64));
    const from = this.purseBalance(source);
    const to = this.purseBalance(target);
    if (from === undefined || to === undefined) return err('InvalidPurse');
    if (from < amount) return apiError('Transfer');
    this.setPurseBalance(source, from - amount);
    this.setPurseBalance(target, (this.purseBalance(target) ?? 0n) + amount);
    return ok;
  },

  casper_transfer_from_purse_to_account(
    frame,
    [srcPtr, srcSize, accountPtr, accountSize, amountPtr, amountSize, _idPtr, _idSize, resultPtr],
  ) {
    const source = urefFrom(this, frame, srcPtr!, srcSize!);
    const accountHash = this.from(frame, accountPtr!, accountSize!, (r) => bytesToHex(r.take(32)));
    const amount = this.from(frame, amountPtr!, amountSize!, (r) => r.bigUint(64));
    const from = this.purseBalance(source);
    if (from === undefined) return err('InvalidPurse');
    if (from < amount) return apiError('Transfer');
    const account = this.overlay.account(accountHash);
    if (!account) return apiError('Transfer');
    this.setPurseBalance(source, from - amount);
    const target = this.overlay.account(accountHash)!;
    target.motes = (BigInt(target.motes) + amount).toString();
    this.overlay.putAccount(target);
    this.set(frame, resultPtr!, u32LE(0));
    return ok;
  },

  casper_create_contract_package_at_hash(frame, [hashPtr, accessPtr, isLocked]) {
    const hash = this.newHashAddress();
    const accessKey = this.newUnitURef();
    this.writeEntry(`hash-${hash}`, {
      ContractPackage: {
        accessKey,
        versions: [],
        disabled: [],
        groups: {},
        locked: isLocked !== 0,
      },
    });
    this.set(frame, hashPtr!, hexToBytes(hash));
    this.set(frame, accessPtr!, hexToBytes(accessKey.slice(5, 69)));
    return ret(undefined);
  },

  casper_create_contract_user_group(
    frame,
    [pkgPtr, pkgSize, labelPtr, labelSize, newCount, existingPtr, existingSize, sizePtr],
  ) {
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const label = this.string(frame, labelPtr!, labelSize!);
    const existing = this.from(frame, existingPtr!, existingSize!, (r) =>
      Array.from({ length: r.u32() }, () => r.uref()),
    );
    if (pkg.groups[label]) return HEADER_ERROR.groupAlreadyExists;
    const fresh = Array.from({ length: newCount! }, () => this.newUnitURef());
    pkg.groups[label] = [...new Set([...existing, ...fresh])];
    if (frame.hostBuffer) return err('HostBufferFull');
    const list = concatBytes(u32LE(fresh.length), ...fresh.map(urefBytes));
    const status = this.toHostBuffer(frame, clValue({ List: 'URef' }, list), sizePtr!);
    this.writeEntry(`hash-${hash}`, { ContractPackage: pkg });
    return status;
  },

  casper_provision_contract_user_group_uref(
    frame,
    [pkgPtr, pkgSize, labelPtr, labelSize, sizePtr],
  ) {
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const label = this.string(frame, labelPtr!, labelSize!);
    const group = pkg.groups[label];
    if (!group) return HEADER_ERROR.groupDoesNotExist;
    if (frame.hostBuffer) return err('HostBufferFull');
    const uref = this.newUnitURef();
    group.push(uref);
    this.writeEntry(`hash-${hash}`, { ContractPackage: pkg });
    return this.toHostBuffer(frame, clValue('URef', urefBytes(uref)), sizePtr!);
  },

  casper_remove_contract_user_group_urefs(
    frame,
    [pkgPtr, pkgSize, labelPtr, labelSize, urefsPtr, urefsSize],
  ) {
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const label = this.string(frame, labelPtr!, labelSize!);
    const group = pkg.groups[label];
    if (!group) return HEADER_ERROR.groupDoesNotExist;
    const remove = this.from(frame, urefsPtr!, urefsSize!, (r) =>
      Array.from({ length: r.u32() }, () => r.uref().slice(5, 69)),
    );
    pkg.groups[label] = group.filter((uref) => !remove.includes(uref.slice(5, 69)));
    this.writeEntry(`hash-${hash}`, { ContractPackage: pkg });
    return ok;
  },

  casper_add_contract_version_with_message_topics(
    frame,
    [
      pkgPtr,
      pkgSize,
      versionPtr,
      epPtr,
      epSize,
      nkPtr,
      nkSize,
      topicsPtr,
      topicsSize,
      outPtr,
      outSize,
    ],
  ) {
    if (outSize! < 32) return err('BufferTooSmall');
    const { hash: packageHash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const entryPoints = readEntryPoints(this.bytes(frame, epPtr!, epSize!));
    const namedKeys = Object.fromEntries(readNamedKeys(this.bytes(frame, nkPtr!, nkSize!)));
    const topics = this.from(frame, topicsPtr!, topicsSize!, (r) =>
      Array.from({ length: r.u32() }, () => {
        const name = r.string();
        r.u8();
        return name;
      }),
    );
    if (topics.some((topic) => topic.length > 256)) return err('MaxTopicNameSizeExceeded');
    const current = pkg.versions.filter(
      (v) => !pkg.disabled.some(([m, n]) => m === v.major && n === v.version),
    );
    if (pkg.locked && pkg.versions.length > 0) {
      throw new ExecutionFailure(`Locked contract: contract-package-${packageHash}`);
    }
    const wasmHash = this.newHashAddress();
    const contractHash = this.newHashAddress();
    let messageTopics = topics;
    const previous = current[current.length - 1];
    if (previous) {
      const old = this.overlay.get(`hash-${previous.contract}`);
      if (old && 'Contract' in old) {
        Object.assign(namedKeys, old.Contract.namedKeys);
        messageTopics = [...new Set([...old.Contract.messageTopics, ...topics])];
      }
    }
    this.writeEntry(`hash-${wasmHash}`, { ContractWasm: { blob: this.storeModule(frame) } });
    this.writeEntry(`hash-${contractHash}`, {
      Contract: { package: packageHash, wasm: wasmHash, namedKeys, entryPoints, messageTopics },
    });
    const version = pkg.versions.filter((v) => v.major === PROTOCOL_MAJOR).length + 1;
    pkg.versions.push({ major: PROTOCOL_MAJOR, version, contract: contractHash });
    this.writeEntry(`hash-${packageHash}`, { ContractPackage: pkg });
    this.set(frame, outPtr!, hexToBytes(contractHash));
    this.set(frame, versionPtr!, u32LE(version));
    return ok;
  },

  casper_disable_contract_version(frame, [pkgPtr, pkgSize, contractPtr, contractSize]) {
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const contractHash = hash32(this, frame, contractPtr!, contractSize!);
    const version = pkg.versions.find((v) => v.contract === contractHash);
    if (!version) return HEADER_ERROR.entityNotFound;
    if (!pkg.disabled.some(([m, n]) => m === version.major && n === version.version)) {
      pkg.disabled.push([version.major, version.version]);
    }
    this.writeEntry(`hash-${hash}`, { ContractPackage: pkg });
    return ok;
  },

  casper_call_contract(
    frame,
    [hashPtr, hashSize, epPtr, epSize, argsPtr, argsSize, resultSizePtr],
  ) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const contractHash = hash32(this, frame, hashPtr!, hashSize!);
    const entryPoint = this.string(frame, epPtr!, epSize!);
    const args = readRuntimeArgs(this.bytes(frame, argsPtr!, argsSize!));
    const result = this.call(contractHash, entryPoint, args, this.callerStack().at(-1)!);
    return returnToCaller(this, frame, result, resultSizePtr!);
  },

  casper_call_versioned_contract(
    frame,
    [pkgPtr, pkgSize, versionPtr, versionSize, epPtr, epSize, argsPtr, argsSize, resultSizePtr],
  ) {
    if (frame.hostBuffer) return err('HostBufferFull');
    const { hash, pkg } = packageFrom(this, frame, pkgPtr!, pkgSize!);
    const version = this.from(frame, versionPtr!, versionSize!, (r) =>
      r.u8() === 0 ? null : r.u32(),
    );
    const entryPoint = this.string(frame, epPtr!, epSize!);
    const args = readRuntimeArgs(this.bytes(frame, argsPtr!, argsSize!));
    const contractHash = resolveVersion(hash, pkg, version);
    const result = this.call(contractHash, entryPoint, args, this.callerStack().at(-1)!);
    return returnToCaller(this, frame, result, resultSizePtr!);
  },
};

function returnToCaller(exec: Execution, frame: Frame, result: StoredCLValue, sizePtr: number) {
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

export type { CLType };
export { typeOf };
