// Preparing a contract's Wasm the way the execution engine does before it runs it, checked in
// the node's order and refused with the node's words: casper-network/casper-node
// execution_engine/src/runtime/wasm_prep.rs `preprocess` (deserialize, ensure_valid_access,
// a memory section, at most one table of at most 4096 entries, br_table of at most 256
// targets, at most 256 globals, at most 256 parameters, no `env.gas` import, gas injection,
// the stack-height limiter), then what instantiation checks (runtime/utils.rs
// `instance_and_memory`: casper-wasmi's validation, the resolver's imports and signatures,
// "Module requested too much memory", no start function).
//
// The output runs the same gas and stack accounting as the node's output, by other means:
// - gas: each metered block (metering.ts) subtracts its cost from a mutable i64 global and,
//   once the global is below zero, calls the host's `env.gas` (appended to the imports, as the
//   node appends its own) which settles the account, checks the execution's limits and hands
//   out more gas or throws. memory.grow calls an added function charging `grow_memory` per
//   page first, as the node's grow counter does. Contract code cannot reach the global: the
//   original module is validated first and its global indices are checked as the node checks
//   them, so no instruction of its own can name an index past its globals.
// - stack: the node's limiter (casper-wasm-utils src/stack_height.rs): an i32 global raised by
//   each defined callee's stack cost around every call and checked against
//   [wasm.v1] max_stack_height (500); exported and table functions go through thunks.
// - memory: the memory section becomes an `env.memory` import whose maximum is the declared
//   one or [wasm.v1] max_memory (64 pages), as casper-wasm-utils `externalize_mem` does.
import { PreprocessError, Writer } from './binary.js';
import {
  type Decoded,
  decodeBody,
  type MeteredBlock,
  maxStackHeight,
  meteredBlocks,
} from './metering.js';
import {
  type FuncType,
  functionTypeIndices,
  type Limits,
  type Module,
  readModule,
} from './module.js';
import { naturalAlignment, OPCODE_COSTS } from './opcodes.js';
import { type HostName, hostSignature, hostTypes, signatureDebug } from './signatures.js';
import { wasm } from './webassembly.js';

export { PreprocessError };

/** A module the node would refuse when it instantiates it, with the full error message. */
export class InstantiationError extends Error {}

/** [wasm.v1] max_memory: 64 pages of 64 KiB. */
const MAX_MEMORY_PAGES = 64;
/** [wasm.v1] max_stack_height. */
const MAX_STACK_HEIGHT = 500;
const MAX_TABLE_SIZE = 4096;
const MAX_BR_TABLE_SIZE = 256;
const MAX_GLOBALS = 256;
const MAX_PARAMETERS = 256;
/** The stack cost of the node's grow counter (`get_local 0; get_local 0; i32.const; i32.mul; …`). */
const GROW_COUNTER_STACK_COST = 3;

export interface PreparedModule {
  bytes: Uint8Array;
  /** The memory to import as `env.memory`. */
  memory: { initial: number; maximum: number };
  /** The export holding the gas left to the running code (an i64 global). */
  gasExport: string;
  /** Host functions the module imports, by name. */
  hostImports: HostName[];
}

const validation = (reason: string) => new PreprocessError(`Wasm validation error: ${reason}`);

function ensureValidAccess(module: Module, bodies: Decoded[]): void {
  const typeCount = module.types.length;
  for (const type of [...module.imports.filter((i) => i.kind === 0).map((i) => i.type)]) {
    if (type >= typeCount) throw validation(`missing type index ${type}`);
  }
  for (const type of module.functions) {
    if (type >= typeCount) throw validation(`missing type index ${type}`);
  }
  const functionCount = module.functionImports + module.functions.length;
  const checkFunction = (index: number) => {
    if (index >= functionCount) throw validation(`missing function index ${index}`);
  };
  if (module.start !== undefined) checkFunction(module.start);
  for (const entry of module.exports) if (entry.kind === 0) checkFunction(entry.index);
  for (const decoded of bodies) {
    for (let i = 0; i < decoded.op.length; i++) {
      const op = decoded.op[i];
      if (op === 0x10) checkFunction(decoded.imm[i]!);
      else if ((op === 0x23 || op === 0x24) && decoded.imm[i]! >= module.globals.count) {
        throw validation(
          `opcode for a global access refers to non-existing global index ${decoded.imm[i]}`,
        );
      }
    }
  }
  for (const segment of module.elements) segment.members.forEach(checkFunction);
}

function ensureLimits(module: Module, bodies: Decoded[]): void {
  if (module.memories.length === 0) throw new PreprocessError('Memory section should exist');
  if (module.tables.length > 1) throw validation('the number of tables must be at most one');
  const table = module.tables[0];
  if (table && table.min > MAX_TABLE_SIZE) {
    throw validation(
      `initial table size of ${table.min} exceeds allowed limit of ${MAX_TABLE_SIZE}`,
    );
  }
  if (table?.max !== undefined && table.max > MAX_TABLE_SIZE) {
    throw validation(
      `maximum table size of ${table.max} exceeds allowed limit of ${MAX_TABLE_SIZE}`,
    );
  }
  for (const decoded of bodies) {
    for (const targets of decoded.targets.values()) {
      if (targets.length - 1 > MAX_BR_TABLE_SIZE) {
        throw validation(
          `maximum br_table size of ${targets.length - 1} exceeds allowed limit of ${MAX_BR_TABLE_SIZE}`,
        );
      }
    }
  }
  if (module.globals.count > MAX_GLOBALS) {
    throw validation(
      `declared number of globals (${module.globals.count}) exceeds allowed limit of ${MAX_GLOBALS}`,
    );
  }
  for (const type of module.types) {
    if (type.params.length > MAX_PARAMETERS) {
      throw validation(
        `use of a function type with too many parameters (limit of ${MAX_PARAMETERS} but function declares ${type.params.length})`,
      );
    }
  }
  if (module.imports.some((i) => i.module === 'env' && i.name === 'gas')) {
    throw validation('module imports a non-existent function');
  }
}

/** What instantiating the module on a node checks after preprocessing; the memory to give it. */
function link(module: Module, bodies: Decoded[]): { initial: number; maximum: number } {
  // casper-wasmi's validation (src/validation/mod.rs `validate_module`, func.rs), which runs
  // before V8 sees the prepared module: after casper-wasm-utils' `externalize_mem` moves the
  // last memory to an `env.memory` import, any other memory makes more than one region; and a
  // memarg's alignment may not exceed its access's natural alignment. Both also keep the bytes
  // meaning the same to V8 with multi-memory as to the node (and so to the metering pass).
  const regions = module.imports.filter((i) => i.kind === 2).length + module.memories.length;
  if (regions > 1) {
    throw new InstantiationError(
      `Interpreter error: too many memory regions in index space: ${regions}`,
    );
  }
  for (const decoded of bodies) {
    for (let i = 0; i < decoded.op.length; i++) {
      const max = naturalAlignment(decoded.op[i]!);
      if (max === undefined) continue;
      const align = decoded.imm[i]!;
      if (align >= 32 || 2 ** align > max) {
        throw new InstantiationError(
          `Interpreter error: Too large memory alignment 2^${align} (expected at most ${max})`,
        );
      }
    }
  }
  if (!wasm.validate(module.bytes)) {
    try {
      new wasm.Module(module.bytes);
    } catch (error) {
      const message = (error as Error).message.replace(/^WebAssembly\.Module\(\): /, '');
      throw new InstantiationError(`Interpreter error: ${message}`);
    }
  }
  for (const entry of module.imports) {
    if (entry.module !== 'env') {
      throw new InstantiationError(`Interpreter error: Module ${entry.module} not found`);
    }
    if (entry.kind === 0 && !hostSignature(entry.name)) {
      throw new InstantiationError(
        `Interpreter error: host module doesn't export function with name ${entry.name}`,
      );
    }
    if (entry.kind !== 0) {
      throw new InstantiationError(`Interpreter error: Export ${entry.name} not found`);
    }
  }
  const memory = module.memories[module.memories.length - 1] as Limits;
  const maximum = memory.max ?? MAX_MEMORY_PAGES;
  if (memory.min > maximum || maximum > MAX_MEMORY_PAGES) {
    throw new InstantiationError('Interpreter error: Module requested too much memory');
  }
  for (const entry of module.imports) {
    const declared = module.types[entry.type] as FuncType;
    const host = hostTypes(hostSignature(entry.name)!);
    const same =
      declared.params.length === host.params.length &&
      declared.params.every((p, i) => p === host.params[i]) &&
      declared.results.length === host.results.length &&
      declared.results.every((r, i) => r === host.results[i]);
    if (!same) {
      throw new InstantiationError(
        `Interpreter error: Expected function with type ${signatureDebug(declared.params, declared.results)}, but actual type is ${signatureDebug(host.params, host.results)} for entry ${entry.name}`,
      );
    }
  }
  if (module.start !== undefined) throw new InstantiationError('Unsupported Wasm start');
  return { initial: memory.min, maximum };
}

interface Plan {
  module: Module;
  bodies: Decoded[];
  blocks: MeteredBlock[][];
  /** Stack cost of every function in the original index space (imports: 0). */
  stackCosts: number[];
  grows: boolean;
}

function analyse(bytes: Uint8Array): Plan {
  const module = readModule(bytes);
  const bodies = module.bodies.map((body) => decodeBody(bytes, body));
  ensureValidAccess(module, bodies);
  ensureLimits(module, bodies);
  const blocks = bodies.map(meteredBlocks);
  const functionTypes = functionTypeIndices(module);
  const stackCosts = functionTypes.map((_, index) => {
    if (index < module.functionImports) return 0;
    const defined = index - module.functionImports;
    const charges = new Set(blocks[defined]!.map((block) => block.start));
    const type = module.types[module.functions[defined]!] as FuncType;
    const height = maxStackHeight(
      bodies[defined]!,
      { types: module.types, functionTypes, type },
      charges,
    );
    return module.bodies[defined]!.locals + height;
  });
  const grows = bodies.some((decoded) => decoded.op.includes(0x40));
  return { module, bodies, blocks, stackCosts, grows };
}

/**
 * Returns the module ready to compile, or throws PreprocessError (the node's preprocessing
 * refuses it) or InstantiationError (instantiating it would fail on a node).
 */
export function prepareModule(bytes: Uint8Array): PreparedModule {
  const plan = analyse(bytes);
  const memory = link(plan.module, plan.bodies);
  return { ...emit(plan, memory), memory };
}

function emit(plan: Plan, memory: { initial: number; maximum: number }) {
  const { module } = plan;
  const functionImports = module.functionImports;
  const defined = module.functions.length;
  const gasFunction = functionImports;
  const remap = (index: number) => (index < functionImports ? index : index + 1);
  const growFunction = functionImports + 1 + defined;
  const gasGlobal = module.globals.count;
  const stackGlobal = gasGlobal + 1;
  const gasType = module.types.length;
  const growType = gasType + 1;

  // Thunks for exported and table functions with a stack cost (thunk.rs), in index order.
  const entered = new Set<number>();
  for (const entry of module.exports) if (entry.kind === 0) entered.add(entry.index);
  for (const segment of module.elements) for (const member of segment.members) entered.add(member);
  const thunked = [...entered].filter((index) => plan.stackCosts[index]! > 0).sort((a, b) => a - b);
  const firstThunk = growFunction + (plan.grows ? 1 : 0);
  const thunkOf = new Map(thunked.map((index, i) => [index, firstThunk + i]));
  const entry = (index: number) => thunkOf.get(index) ?? remap(index);
  const typeOf = functionTypeIndices(module);

  const call = (w: Writer, target: number, cost: number) => {
    if (cost > 0) {
      w.byte(0x23).u32(stackGlobal).byte(0x41).signed(cost).byte(0x6a).byte(0x24).u32(stackGlobal);
      w.byte(0x23).u32(stackGlobal).byte(0x41).signed(MAX_STACK_HEIGHT).byte(0x4b);
      w.byte(0x04).byte(0x40).byte(0x00).byte(0x0b);
    }
    w.byte(0x10).u32(target);
    if (cost > 0) {
      w.byte(0x23).u32(stackGlobal).byte(0x41).signed(cost).byte(0x6b).byte(0x24).u32(stackGlobal);
    }
  };
  const settle = (w: Writer) =>
    w
      .byte(0x23)
      .u32(gasGlobal)
      .byte(0x42)
      .byte(0x00)
      .byte(0x53)
      .byte(0x04)
      .byte(0x40)
      .byte(0x10)
      .u32(gasFunction)
      .byte(0x0b);
  const charge = (w: Writer, cost: number) => {
    w.byte(0x23).u32(gasGlobal).byte(0x42).signed(cost).byte(0x7d).byte(0x24).u32(gasGlobal);
    settle(w);
  };

  const out = new Writer().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, body: Writer) => out.byte(id).sized(body);

  const types = new Writer().u32(module.types.length + (plan.grows ? 2 : 1));
  for (const type of module.types) {
    types.byte(0x60).u32(type.params.length);
    for (const p of type.params) types.byte(p & 0x7f);
    types.u32(type.results.length);
    for (const r of type.results) types.byte(r & 0x7f);
  }
  types.bytes([0x60, 0x00, 0x00]);
  if (plan.grows) types.bytes([0x60, 0x01, 0x7f, 0x01, 0x7f]);
  section(1, types);

  const imports = new Writer().u32(module.imports.length + 2);
  for (const entry of module.imports)
    imports.name(entry.module).name(entry.name).byte(0).u32(entry.type);
  imports.name('env').name('memory').byte(2).byte(1).u32(memory.initial).u32(memory.maximum);
  imports.name('env').name('gas').byte(0).u32(gasType);
  section(2, imports);

  const functions = new Writer().u32(defined + (plan.grows ? 1 : 0) + thunked.length);
  for (const type of module.functions) functions.u32(type);
  if (plan.grows) functions.u32(growType);
  for (const index of thunked) functions.u32(typeOf[index]!);
  section(3, functions);

  const table = module.tables[0];
  if (table) {
    section(
      4,
      new Writer()
        .u32(1)
        .byte(0x70)
        .byte(1)
        .u32(table.min)
        .u32(table.max ?? MAX_TABLE_SIZE),
    );
  }

  const globals = new Writer().u32(module.globals.count + 2).bytes(module.globals.entries);
  globals.bytes([0x7e, 0x01, 0x42, 0x00, 0x0b, 0x7f, 0x01, 0x41, 0x00, 0x0b]);
  section(6, globals);

  const names = new Set(module.exports.map((e) => e.name));
  let gasExport = '__devnet_gas';
  while (names.has(gasExport)) gasExport = `_${gasExport}`;
  const exports = new Writer().u32(module.exports.length + 1);
  for (const e of module.exports)
    exports
      .name(e.name)
      .byte(e.kind)
      .u32(e.kind === 0 ? entry(e.index) : e.index);
  exports.name(gasExport).byte(3).u32(gasGlobal);
  section(7, exports);

  if (module.elements.length > 0) {
    const elements = new Writer().u32(module.elements.length);
    for (const segment of module.elements) {
      elements.byte(0).bytes(segment.offset).u32(segment.members.length);
      for (const member of segment.members) elements.u32(entry(member));
    }
    section(9, elements);
  }

  const code = new Writer().u32(defined + (plan.grows ? 1 : 0) + thunked.length);
  plan.bodies.forEach((decoded, i) => {
    const body = module.bodies[i]!;
    const w = new Writer().bytes(module.bytes.subarray(body.start, body.code));
    const blocks = plan.blocks[i]!;
    let next = 0;
    for (let pc = 0; pc < decoded.op.length; pc++) {
      if (blocks[next]?.start === pc) charge(w, blocks[next++]!.cost);
      const op = decoded.op[pc];
      if (op === 0x10) {
        const callee = decoded.imm[pc]!;
        call(w, remap(callee), plan.stackCosts[callee]!);
      } else if (op === 0x40) {
        call(w, growFunction, GROW_COUNTER_STACK_COST);
      } else {
        w.bytes(module.bytes.subarray(decoded.at[pc]!, decoded.at[pc + 1] ?? decoded.end));
      }
    }
    code.sized(w);
  });
  if (plan.grows) {
    const w = new Writer().byte(0x00);
    w.byte(0x23).u32(gasGlobal).byte(0x20).byte(0x00).byte(0x41).signed(OPCODE_COSTS.growMemory);
    w.byte(0x6c).byte(0xad).byte(0x7d).byte(0x24).u32(gasGlobal);
    settle(w);
    w.byte(0x20).byte(0x00).byte(0x40).byte(0x00).byte(0x0b);
    code.sized(w);
  }
  for (const index of thunked) {
    const w = new Writer().byte(0x00);
    const params = module.types[typeOf[index]!]!.params.length;
    for (let p = 0; p < params; p++) w.byte(0x20).u32(p);
    call(w, remap(index), plan.stackCosts[index]!);
    code.sized(w.byte(0x0b));
  }
  section(10, code);

  if (module.data) out.byte(11).u32(module.data.length).bytes(module.data);
  const hostImports = module.imports.map((i) => i.name as HostName);
  return { bytes: out.result(), gasExport, hostImports };
}
