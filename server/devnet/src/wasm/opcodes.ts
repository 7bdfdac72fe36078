// The instructions a node accepts, what each costs and what it does to the operand stack.
// Accepted: the opcodes casper-network/casper-wasm deserializes with the `sign_ext` feature
// only (the node's Cargo.toml for casper-wasm: default features off, `sign_ext` on). Refused,
// with the words of execution_engine/src/runtime/wasm_prep.rs `deserialize`: the 0xfc prefix
// (bulk memory, and with it table ops and saturating truncation), 0xfd (SIMD), 0xfe (atomics),
// any other unknown opcode. Costs: wasm_prep.rs `RuledOpcodeCosts::instruction_cost` with the
// production chainspec's [wasm.v1.opcode_costs] (resources/production/chainspec.toml,
// feat-2.0); `null` marks an instruction the gas rules forbid (floating point). Stack effects:
// casper-wasm-utils src/stack_height/max_height.rs.
import { deserialization, type Reader } from './binary.js';

export const OPCODE_COSTS = {
  bit: 300,
  add: 210,
  mul: 240,
  div: 320,
  load: 2_500,
  store: 4_700,
  const: 110,
  local: 390,
  global: 390,
  integerComparison: 250,
  conversion: 420,
  unreachable: 270,
  nop: 200,
  currentMemory: 290,
  /** Per page: memory.grow also charges this statically, as the node's rules do. */
  growMemory: 240_000,
  sign: 300,
  control: {
    block: 440,
    loop: 440,
    if: 440,
    else: 440,
    end: 440,
    br: 35_000,
    brIf: 35_000,
    return: 440,
    select: 440,
    call: 68_000,
    callIndirect: 68_000,
    drop: 440,
    brTable: 35_000,
    brTableSizeMultiplier: 100,
  },
} as const;

/** How an instruction's immediates are encoded. */
export const Imm = {
  None: 0,
  BlockType: 1,
  U32: 2,
  BrTable: 3,
  CallIndirect: 4,
  MemArg: 5,
  MemoryIndex: 6,
  I32: 7,
  I64: 8,
  F32: 9,
  F64: 10,
} as const;
export type Imm = (typeof Imm)[keyof typeof Imm];

/** What the metering and the stack-height pass need to know of an opcode. */
export interface OpInfo {
  imm: Imm;
  /** Gas, or null when the gas rules forbid the instruction. */
  cost: number | null;
  /** The pops (in order, as max_height.rs does them) and the push of a plain instruction. */
  pops: readonly number[];
  push: number;
}

const c = OPCODE_COSTS;
const TABLE = new Map<number, OpInfo>();
const def = (ops: number[], imm: Imm, cost: number | null, pops: number[], push: number) => {
  for (const op of ops) TABLE.set(op, { imm, cost, pops, push });
};
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Control: their stack effects are handled by the passes themselves.
def([0x00], Imm.None, c.unreachable, [], 0);
def([0x01], Imm.None, c.nop, [], 0);
def([0x02], Imm.BlockType, c.control.block, [], 0);
def([0x03], Imm.BlockType, c.control.loop, [], 0);
def([0x04], Imm.BlockType, c.control.if, [], 0);
def([0x05], Imm.None, c.control.else, [], 0);
def([0x0b], Imm.None, c.control.end, [], 0);
def([0x0c], Imm.U32, c.control.br, [], 0);
def([0x0d], Imm.U32, c.control.brIf, [], 0);
def([0x0e], Imm.BrTable, c.control.brTable, [], 0);
def([0x0f], Imm.None, c.control.return, [], 0);
def([0x10], Imm.U32, c.control.call, [], 0);
def([0x11], Imm.CallIndirect, c.control.callIndirect, [], 0);
// Parametric, variables.
def([0x1a], Imm.None, c.control.drop, [1], 0);
def([0x1b], Imm.None, c.control.select, [2, 1], 1);
def([0x20], Imm.U32, c.local, [], 1);
def([0x21], Imm.U32, c.local, [1], 0);
def([0x22], Imm.U32, c.local, [1], 1);
def([0x23], Imm.U32, c.global, [], 1);
def([0x24], Imm.U32, c.global, [1], 0);
// Memory (float loads and stores are priced as loads and stores by the node's rules).
def(range(0x28, 0x35), Imm.MemArg, c.load, [1], 1);
def(range(0x36, 0x3e), Imm.MemArg, c.store, [2], 0);
def([0x3f], Imm.MemoryIndex, c.currentMemory, [], 1);
def([0x40], Imm.MemoryIndex, c.growMemory, [1], 1);
// Constants.
def([0x41], Imm.I32, c.const, [], 1);
def([0x42], Imm.I64, c.const, [], 1);
def([0x43], Imm.F32, null, [], 1);
def([0x44], Imm.F64, null, [], 1);
// Comparisons.
def([0x45, 0x50], Imm.None, c.integerComparison, [1], 1);
def([...range(0x46, 0x4f), ...range(0x51, 0x5a)], Imm.None, c.integerComparison, [2], 1);
def(range(0x5b, 0x66), Imm.None, null, [2], 1);
// Integer arithmetic.
def([0x67, 0x68, 0x69, 0x79, 0x7a, 0x7b], Imm.None, c.bit, [1], 1);
def([0x6a, 0x6b, 0x7c, 0x7d], Imm.None, c.add, [2], 1);
def([0x6c, 0x7e], Imm.None, c.mul, [2], 1);
def([...range(0x6d, 0x70), ...range(0x7f, 0x82)], Imm.None, c.div, [2], 1);
def([...range(0x71, 0x78), ...range(0x83, 0x8a)], Imm.None, c.bit, [2], 1);
// Floating point arithmetic: forbidden by the gas rules.
def([...range(0x8b, 0x91), ...range(0x99, 0x9f)], Imm.None, null, [1], 1);
def([...range(0x92, 0x98), ...range(0xa0, 0xa6)], Imm.None, null, [2], 1);
// Conversions: the integer ones priced, the float ones forbidden.
def([0xa7, 0xac, 0xad], Imm.None, c.conversion, [1], 1);
def([...range(0xa8, 0xab), ...range(0xae, 0xbf)], Imm.None, null, [1], 1);
// Sign extension (the `sign_ext` feature).
def(range(0xc0, 0xc4), Imm.None, c.sign, [1], 1);

/**
 * The natural alignment in bytes of a load (0x28–0x35) or store (0x36–0x3e), the most a
 * memarg may declare: casper-wasmi's validator (`validate_load`/`validate_store` in
 * src/validation/func.rs) refuses `1 << flags` above it, as the MVP does.
 */
export function naturalAlignment(op: number): number | undefined {
  return NATURAL_ALIGNMENT.get(op);
}
const NATURAL_ALIGNMENT = new Map<number, number>([
  ...[0x28, 0x2a, 0x34, 0x35, 0x36, 0x38, 0x3e].map((o) => [o, 4] as [number, number]),
  ...[0x29, 0x2b, 0x37, 0x39].map((o) => [o, 8] as [number, number]),
  ...[0x2c, 0x2d, 0x30, 0x31, 0x3a, 0x3c].map((o) => [o, 1] as [number, number]),
  ...[0x2e, 0x2f, 0x32, 0x33, 0x3b, 0x3d].map((o) => [o, 2] as [number, number]),
]);

/** The opcode's description, or the node's deserialization error for an opcode it refuses. */
export function opInfo(op: number): OpInfo {
  const info = TABLE.get(op);
  if (info) return info;
  if (op === 0xfc) throw deserialization('Bulk memory operations are not supported');
  if (op === 0xfd) throw deserialization('SIMD operations are not supported');
  if (op === 0xfe) throw deserialization('Atomic operations are not supported');
  throw deserialization('Encountered an unsupported operation');
}

/** Block type: -0x40 (none) or a value type, as a VarInt7; anything else is refused. */
function blockType(reader: Reader): number {
  const value = reader.i7();
  if (value === -0x40 || (value <= -1 && value >= -4)) return value;
  throw deserialization(`Invalid or unknown block type ${value}`);
}

/** A value type (i32, i64, f32, f64) as a VarInt7. */
export function valueType(reader: Reader): number {
  const value = reader.i7();
  if (value <= -1 && value >= -4) return value;
  throw deserialization(`Invalid or unknown value type ${value}`);
}

/** Reads the immediates of an instruction of kind `imm`; returns the first u32 one (or 0). */
export function readImmediates(reader: Reader, imm: Imm, targets?: number[]): number {
  switch (imm) {
    case Imm.None:
      return 0;
    case Imm.BlockType:
      return blockType(reader);
    case Imm.U32:
      return reader.u32();
    case Imm.BrTable: {
      const count = reader.u32();
      for (let i = 0; i <= count; i++) {
        const target = reader.u32();
        targets?.push(target);
      }
      return count;
    }
    case Imm.CallIndirect: {
      const type = reader.u32();
      const table = reader.byte();
      if (table !== 0) throw deserialization(`Invalid table reference (${table})`);
      return type;
    }
    case Imm.MemArg: {
      // The alignment flags, checked against the access's natural alignment at instantiation
      // (naturalAlignment): a flags word with bit 0x40 set would make a multi-memory engine
      // (V8 ≥ 12) read a memory index after it where the node (casper-wasm) reads the offset.
      const flags = reader.u32();
      reader.u32();
      return flags;
    }
    case Imm.MemoryIndex: {
      const memory = reader.byte();
      if (memory !== 0) throw deserialization(`Invalid memory reference (${memory})`);
      return 0;
    }
    case Imm.I32:
      reader.skipSigned(32);
      return 0;
    case Imm.I64:
      reader.skipSigned(64);
      return 0;
    case Imm.F32:
      reader.skip(4);
      return 0;
    case Imm.F64:
      reader.skip(8);
      return 0;
  }
}
