// The Casper execution host: runs a contract's Wasm with the host functions of module `env`,
// its linear memory and the host buffer, as the execution engine does. Written from
// casper-network/casper-node execution_engine/src/runtime/externals.rs, runtime/mod.rs,
// runtime/utils.rs and runtime_context/mod.rs (feat-2.0). The host functions themselves are
// in host-storage.ts, host-contracts.ts and host-system.ts.
//
// Every execution is bounded: by its gas (the chainspec's costs, see instrument.ts and
// costs.ts), by the node's runtime stack of 12 frames, by 64 pages of memory per instance,
// and by a wall-clock limit the node does not have (a devnet runs in the process that answers
// RPC): past `timeLimitMs` the execution stops as out of gas. Preprocessing and compiling the
// transaction's own module (the session, or the stored contract it targets) is not counted:
// one module per transaction, bounded by its lane's size; every module compiled for a nested
// call (casper_call_contract & co.) is, so contracts called in turn that miss the compile
// cache cannot add up past the limit. Gas reaches the running code in
// slices of at most SLICE, and every slice handed out and every host call checks the clock,
// so neither Wasm code nor a loop of host calls can run past the limit by more than a slice.
//
// Differences from a node, on purpose or for now: URef access rights are not enforced
// (group-restricted entry points are: the caller must know one of the group's URefs);
// addresses (hashes, URefs, random bytes) come from blake2b(transaction hash ‖ counter),
// not the node's ChaCha generator.
import {
  blake2b256,
  bytesToHex,
  concatBytes,
  hexToBytes,
  u32LE,
  utf8ToBytes,
} from '@x402-casper/shared';
import { apiError } from './api-error.js';
import { keyBytes, Reader, type StoredCLValue, UNIT } from './bytesrepr.js';
import { GAS_PER_BYTE, hostCost } from './costs.js';
import {
  ExecutionFailure,
  failureMessage,
  interpreterError,
  OutOfGas,
  RetSignal,
} from './failures.js';
import { CONTRACT_FUNCTIONS } from './host-contracts.js';
import { STORAGE_FUNCTIONS } from './host-storage.js';
import {
  type Caller,
  checkAccess,
  entrySize,
  type Frame,
  type HostFunction,
} from './host-support.js';
import { SYSTEM_FUNCTIONS } from './host-system.js';
import {
  InstantiationError,
  type PreparedModule,
  PreprocessError,
  prepareModule,
} from './instrument.js';
import type { HostName } from './signatures.js';
import type { ContractEntry, Overlay, PackageEntry, StoredEntry } from './store.js';
import { type WasmGlobal, type WasmInstance, type WasmModule, wasm } from './webassembly.js';

const HOST_FUNCTIONS: Record<HostName, HostFunction> = {
  ...STORAGE_FUNCTIONS,
  ...CONTRACT_FUNCTIONS,
  ...SYSTEM_FUNCTIONS,
};

/** Gas handed to running Wasm at a time (1 CSPR): how often it comes back to the host. */
const GAS_SLICE = 1_000_000_000n;
/** The wall-clock limit of one execution unless the environment sets another. */
const DEFAULT_TIME_LIMIT_MS = 2_000;
/** [core] max_runtime_call_stack_height of the production chainspec. */
const MAX_RUNTIME_STACK_HEIGHT = 12;

type Compiled = { module: WasmModule; prepared: PreparedModule } | { error: ExecutionFailure };
/** Compiled modules by content hash, least recently used first (a Map keeps insertion order). */
const compiled = new Map<string, Compiled>();
/** How many compiled modules the cache keeps. */
const COMPILE_CACHE_SIZE = 64;

/** Empties the compile cache (for tests that must see a module compiled). */
export function forgetCompiledModules(): void {
  compiled.clear();
}

/** The content hashes of the cached modules, least recently used first (for tests). */
export function compiledModuleHashes(): string[] {
  return [...compiled.keys()];
}

function compile(bytes: Uint8Array): Compiled {
  try {
    const prepared = prepareModule(bytes);
    return { module: new wasm.Module(prepared.bytes), prepared };
  } catch (error) {
    if (error instanceof PreprocessError) {
      return { error: new ExecutionFailure(`Wasm preprocessing error: ${error.message}`) };
    }
    if (error instanceof InstantiationError) return { error: new ExecutionFailure(error.message) };
    return { error: interpreterError((error as Error).message) };
  }
}

/** Preprocesses and compiles a module once per content hash; throws the node's failure for one it refuses. */
function compileContract(hash: string, bytes: Uint8Array) {
  let entry = compiled.get(hash);
  if (entry) {
    compiled.delete(hash);
  } else {
    entry = compile(bytes);
    if (compiled.size >= COMPILE_CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
  }
  compiled.set(hash, entry);
  if ('error' in entry) throw entry.error;
  return entry;
}

export interface ExecutionEnvironment {
  overlay: Overlay;
  initiator: string;
  blockTimeMs: number;
  txHash: string;
  gasLimit: bigint;
  /** Wall-clock limit of the whole execution; DEFAULT_TIME_LIMIT_MS unless given. */
  timeLimitMs?: number;
  blob(hash: string): Uint8Array | undefined;
}

export interface ExecutionOutcome {
  error: string | null;
  consumed: bigint;
  /** Whether it was stopped by the wall-clock limit (its error then reads `Out of gas error`). */
  timedOut: boolean;
  messages: Array<{ topic: string; payload: string }>;
}

export type Target =
  | { kind: 'session'; wasmBlob: string }
  | { kind: 'stored'; contractHash: string; entryPoint: string };

export class Execution {
  private readonly stack: Caller[];
  private readonly frames: Frame[] = [];
  private readonly hostImports = new Map<HostName, (...raw: number[]) => number | undefined>();
  private counter = 0;
  /** Gas not handed to a running frame; a frame's gas global holds the rest. */
  private remaining: bigint;
  /** When the execution must stop (performance.now), not counting the first module's compile. */
  private deadline: number;
  /** URef addresses created in this execution: their creator knows them. */
  private readonly known = new Set<string>();
  readonly messages: Array<{ topic: string; payload: string }> = [];

  constructor(private readonly env: ExecutionEnvironment) {
    this.stack = [{ kind: 'account', accountHash: env.initiator }];
    this.remaining = env.gasLimit;
    this.deadline = performance.now() + (env.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS);
  }

  run(target: Target, args: Map<string, StoredCLValue>): ExecutionOutcome {
    let error: string | null = null;
    let timedOut = false;
    try {
      if (target.kind === 'session') {
        this.invoke(target.wasmBlob, 'call', args, this.stack[0]!);
      } else {
        this.callContract(target.contractHash, target.entryPoint, args, this.stack[0]!);
      }
    } catch (failure) {
      error = failureMessage(failure);
      if (failure instanceof OutOfGas) {
        this.remaining = 0n;
        timedOut = failure.timedOut;
      }
    }
    const consumed = this.env.gasLimit - (this.remaining < 0n ? 0n : this.remaining);
    return { error, consumed, timedOut, messages: this.messages };
  }

  // ---- gas and time

  private collect(frame: Frame): void {
    this.remaining += frame.gas.value as bigint;
    frame.gas.value = 0n;
  }

  private dispense(frame: Frame): void {
    if (performance.now() > this.deadline) throw new OutOfGas(true);
    if (this.remaining < 0n) throw new OutOfGas();
    const slice = this.remaining < GAS_SLICE ? this.remaining : GAS_SLICE;
    frame.gas.value = slice;
    this.remaining -= slice;
  }

  /** `env.gas`: the running code's slice is spent (its global went below zero). */
  private refuel(frame: Frame): void {
    this.collect(frame);
    this.dispense(frame);
  }

  charge(amount: bigint): void {
    const frame = this.frames[this.frames.length - 1];
    if (!frame) {
      this.remaining -= amount;
      if (this.remaining < 0n) throw new OutOfGas();
      return;
    }
    this.collect(frame);
    this.remaining -= amount;
    this.dispense(frame);
  }

  chargeStorage(bytes: number): void {
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
    this.writeEntry(uref, { CLValue: value });
    return uref;
  }

  writeEntry(key: string, entry: StoredEntry): void {
    this.chargeStorage(entrySize(entry, this.env.blob));
    this.env.overlay.put(key, entry);
  }

  // ---- calls

  contract(contractHash: string): ContractEntry {
    const entry = this.env.overlay.get(`hash-${contractHash}`);
    if (!entry || !('Contract' in entry)) {
      throw new ExecutionFailure(`Key hash-${contractHash} not found`);
    }
    return entry.Contract;
  }

  package(packageHash: string): PackageEntry {
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

  callContract(
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
    checkAccess(entryPoint, (groups) => this.knowsGroup(pkg, groups, caller));
    const stored = this.env.overlay.get(`hash-${contract.wasm}`);
    if (!stored || !('ContractWasm' in stored)) {
      throw new ExecutionFailure(`Key hash-${contract.wasm} not found`);
    }
    const callee: Caller =
      entryPoint.entry_point_type === 'Caller'
        ? caller
        : { kind: 'contract', packageHash: contract.package, contractHash };
    if (this.stack.length >= MAX_RUNTIME_STACK_HEIGHT) {
      throw new ExecutionFailure('Runtime stack overflow');
    }
    this.stack.push({ kind: 'contract', packageHash: contract.package, contractHash });
    try {
      return this.invoke(stored.ContractWasm.blob, entryPointName, args, callee);
    } finally {
      this.stack.pop();
    }
  }

  /** The host function `name` as the module imports it: charged, then run on the top frame. */
  private hostImport(name: HostName): (...raw: number[]) => number | undefined {
    let imported = this.hostImports.get(name);
    if (!imported) {
      const host = HOST_FUNCTIONS[name];
      imported = (...raw: number[]) => {
        const argv = raw.map((value) => value >>> 0);
        this.charge(hostCost(name, argv));
        return host.call(this, this.frames[this.frames.length - 1]!, argv);
      };
      this.hostImports.set(name, imported);
    }
    return imported;
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
    const compiling = performance.now();
    const { module, prepared } = compileContract(wasmBlob, bytes);
    if (this.frames.length === 0) this.deadline += performance.now() - compiling;
    else if (performance.now() > this.deadline) throw new OutOfGas(true);
    const memory = new wasm.Memory(prepared.memory);
    const frameRef: { frame?: Frame } = {};
    const env: Record<string, unknown> = { memory, gas: () => this.refuel(frameRef.frame!) };
    for (const name of prepared.hostImports) env[name] = this.hostImport(name);
    let instance: WasmInstance;
    try {
      instance = new wasm.Instance(module, { env });
    } catch (error) {
      throw interpreterError(error instanceof Error ? error.message : String(error));
    }
    const entry = instance.exports[exportName];
    if (typeof entry !== 'function') {
      throw interpreterError(`Module doesn't have export ${exportName}`);
    }
    const gas = instance.exports[prepared.gasExport] as WasmGlobal;
    const frame: Frame = { memory, gas, args, hostBuffer: null, context, wasmBlob };
    frameRef.frame = frame;
    const caller = this.frames[this.frames.length - 1];
    if (caller) this.collect(caller);
    this.frames.push(frame);
    try {
      this.dispense(frame);
      (entry as () => void)();
    } catch (error) {
      if (!(error instanceof RetSignal)) throw error;
    } finally {
      this.collect(frame);
      this.frames.pop();
    }
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

  // ---- memory and the host buffer

  private region(frame: Frame, ptr: number, size: number): Uint8Array {
    const view = new Uint8Array(frame.memory.buffer);
    if (ptr + size > view.length) {
      throw interpreterError(
        `trying to access region [${ptr}..${ptr + size}] in memory [0..${view.length}]`,
      );
    }
    return view;
  }

  bytes(frame: Frame, ptr: number, size: number): Uint8Array {
    return this.region(frame, ptr, size).slice(ptr, ptr + size);
  }

  set(frame: Frame, ptr: number, data: Uint8Array): void {
    this.region(frame, ptr, data.length).set(data, ptr);
  }

  /** Reads one value with `read` from memory, which must use all of it. */
  from<T>(frame: Frame, ptr: number, size: number, read: (reader: Reader) => T): T {
    const reader = new Reader(this.bytes(frame, ptr, size));
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

  // ---- what the host functions see

  get blockTimeMs(): number {
    return this.env.blockTimeMs;
  }

  get overlay(): Overlay {
    return this.env.overlay;
  }

  get initiator(): string {
    return this.env.initiator;
  }

  get callerStack(): readonly Caller[] {
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

  emit(topic: string, payload: string): void {
    this.messages.push({ topic, payload });
  }
}
