// A function body's instructions and the two analyses the node's preprocessing makes of them:
// where gas is charged and how much (casper-network/casper-wasm-utils src/gas.rs,
// `determine_metered_blocks`: a metered block is charged once, at its start, for every
// instruction in it; `end` and `else` cost nothing) and the function's stack cost for the
// stack-height limiter (src/stack_height/max_height.rs `compute`, run by the node on the
// module after gas injection, so each charge's `i32.const; call gas` counts).
import { PreprocessError, Reader } from './binary.js';
import type { Body, FuncType } from './module.js';
import { OPCODE_COSTS, opInfo, readImmediates } from './opcodes.js';

const FORBIDDEN_BY_GAS_RULES =
  'Encountered operation forbidden by gas rules. Consult instruction -> metering config map';
const STACK_LIMITER_ERROR = 'Stack limiter error';

export interface Decoded {
  op: number[];
  /** Offset of each instruction in the module's bytes. */
  at: number[];
  /** The first immediate: label, function, type, local or global index, block type, memarg flags. */
  imm: number[];
  /** br_table targets (the default last), by instruction index. */
  targets: Map<number, number[]>;
  /** Offset just past the body's final `end`. */
  end: number;
}

/** Decodes a body's code up to the `end` closing the function. */
export function decodeBody(bytes: Uint8Array, body: Body): Decoded {
  const reader = new Reader(bytes, body.code, body.end);
  const decoded: Decoded = { op: [], at: [], imm: [], targets: new Map(), end: 0 };
  let depth = 1;
  while (depth > 0) {
    const at = reader.pos;
    const op = reader.byte();
    const info = opInfo(op);
    let targets: number[] | undefined;
    if (op === 0x0e) {
      targets = [];
      decoded.targets.set(decoded.op.length, targets);
    }
    decoded.imm.push(readImmediates(reader, info.imm, targets));
    decoded.op.push(op);
    decoded.at.push(at);
    if (op === 0x02 || op === 0x03 || op === 0x04) depth++;
    else if (op === 0x0b) depth--;
  }
  decoded.end = reader.pos;
  return decoded;
}

/** The gas an instruction costs by the node's rules, or null if they forbid it. */
function instructionCost(decoded: Decoded, index: number): number | null {
  const op = decoded.op[index]!;
  const cost = opInfo(op).cost;
  if (op !== 0x0e || cost === null) return cost;
  const size = decoded.targets.get(index)!.length - 1;
  return cost + OPCODE_COSTS.control.brTableSizeMultiplier * size;
}

export interface MeteredBlock {
  /** Index of the instruction the charge goes before. */
  start: number;
  cost: number;
}

interface ControlBlock {
  lowestForwardTarget: number;
  active: MeteredBlock;
  isLoop: boolean;
}

const forbidden = () => new PreprocessError(FORBIDDEN_BY_GAS_RULES);

/** Where a node charges gas in this body and how much, in instruction order. */
export function meteredBlocks(decoded: Decoded): MeteredBlock[] {
  const stack: ControlBlock[] = [];
  const finalized: MeteredBlock[] = [];
  const top = () => stack[stack.length - 1] ?? throwForbidden();
  const begin = (start: number, isLoop: boolean) =>
    stack.push({ lowestForwardTarget: stack.length, active: { start, cost: 0 }, isLoop });
  const increment = (value: number) => {
    const block = top().active;
    block.cost += value;
    if (block.cost > 0xffff_ffff) throw forbidden();
  };
  const finalizeMetered = (cursor: number) => {
    const control = top();
    const closing = control.active;
    control.active = { start: cursor + 1, cost: 0 };
    const previous = stack[stack.length - 2];
    if (previous && closing.start === previous.active.start) {
      previous.active.cost += closing.cost;
      if (previous.active.cost > 0xffff_ffff) throw forbidden();
      return;
    }
    if (closing.cost > 0) finalized.push(closing);
  };
  const branch = (cursor: number, targets: number[]) => {
    finalizeMetered(cursor);
    for (const index of targets) {
      const target = stack[index] ?? throwForbidden();
      if (target.isLoop) continue;
      const control = top();
      control.lowestForwardTarget = Math.min(control.lowestForwardTarget, index);
    }
  };
  const targetIndex = (label: number) => {
    const index = stack.length - 1 - label;
    return index < 0 ? throwForbidden() : index;
  };

  begin(0, false);
  for (let cursor = 0; cursor < decoded.op.length; cursor++) {
    const cost = instructionCost(decoded, cursor);
    if (cost === null) throw forbidden();
    const op = decoded.op[cursor]!;
    if (op === 0x02) {
      increment(cost);
      begin(top().active.start, false);
    } else if (op === 0x04) {
      increment(cost);
      begin(cursor + 1, false);
    } else if (op === 0x03) {
      increment(cost);
      begin(cursor + 1, true);
    } else if (op === 0x0b) {
      finalizeMetered(cursor);
      const closing = stack.pop() ?? throwForbidden();
      const closingIndex = stack.length;
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.lowestForwardTarget = Math.min(
          parent.lowestForwardTarget,
          closing.lowestForwardTarget,
        );
        if (closing.lowestForwardTarget < closingIndex) finalizeMetered(cursor);
      }
    } else if (op === 0x05) {
      finalizeMetered(cursor);
    } else if (op === 0x0c || op === 0x0d) {
      increment(cost);
      branch(cursor, [targetIndex(decoded.imm[cursor]!)]);
    } else if (op === 0x0e) {
      increment(cost);
      branch(cursor, decoded.targets.get(cursor)!.map(targetIndex));
    } else if (op === 0x0f) {
      increment(cost);
      branch(cursor, [0]);
    } else {
      increment(cost);
    }
  }
  return finalized.sort((a, b) => a.start - b.start);
}

function throwForbidden(): never {
  throw forbidden();
}

interface Frame {
  polymorphic: boolean;
  endArity: number;
  branchArity: number;
  startHeight: number;
}

const limiterError = () => new PreprocessError(STACK_LIMITER_ERROR);

/** The operand stack the node's max_height.rs computes, with its quirks kept. */
class HeightStack {
  height = 0;
  readonly frames: Frame[] = [];

  frame(depth: number): Frame {
    const frame = this.frames[this.frames.length - 1 - depth];
    if (!frame) throw limiterError();
    return frame;
  }

  push(count: number): void {
    this.height += count;
  }

  pop(count: number): void {
    if (count === 0) return;
    const top = this.frame(0);
    if (this.height === top.startHeight) {
      if (top.polymorphic) return;
      throw limiterError();
    }
    this.height -= count;
    if (this.height < 0) throw limiterError();
  }
}

export interface StackContext {
  types: FuncType[];
  /** Type index of every function (imports first). */
  functionTypes: number[];
  /** The body's own type. */
  type: FuncType;
}

/**
 * The maximal operand stack height of a body as the node computes it on the gas-injected
 * module: `charges` are the instruction indices a charge (`i32.const; call gas`) goes before.
 */
export function maxStackHeight(decoded: Decoded, context: StackContext, charges: Set<number>) {
  const stack = new HeightStack();
  let max = 0;
  const observe = () => {
    if (stack.height > max && !stack.frame(0).polymorphic) max = stack.height;
  };
  const arity = context.type.results.length;
  stack.frames.push({ polymorphic: false, endArity: arity, branchArity: arity, startHeight: 0 });
  const callType = (typeIndex: number | undefined) => {
    const type = typeIndex === undefined ? undefined : context.types[typeIndex];
    if (!type) throw limiterError();
    return type;
  };
  for (let pc = 0; pc < decoded.op.length; pc++) {
    if (charges.has(pc)) {
      observe();
      stack.push(1);
      observe();
      stack.pop(1);
    }
    observe();
    const op = decoded.op[pc]!;
    const imm = decoded.imm[pc]!;
    switch (op) {
      case 0x02:
      case 0x03:
      case 0x04: {
        const endArity = imm === -0x40 ? 0 : 1;
        if (op === 0x04) stack.pop(1);
        stack.frames.push({
          polymorphic: false,
          endArity,
          branchArity: op === 0x03 ? 0 : endArity,
          startHeight: stack.height,
        });
        break;
      }
      case 0x05:
        break;
      case 0x0b: {
        const frame = stack.frames.pop();
        if (!frame) throw limiterError();
        stack.height = frame.startHeight;
        stack.push(frame.endArity);
        break;
      }
      case 0x00:
        stack.frame(0).polymorphic = true;
        break;
      case 0x0c:
        stack.pop(stack.frame(imm).branchArity);
        stack.frame(0).polymorphic = true;
        break;
      case 0x0d: {
        const target = stack.frame(imm).branchArity;
        stack.pop(target);
        stack.pop(1);
        stack.push(target);
        break;
      }
      case 0x0e: {
        const targets = decoded.targets.get(pc)!;
        const fallback = stack.frame(targets[targets.length - 1]!).branchArity;
        for (const target of targets) {
          if (stack.frame(target).branchArity !== fallback) throw limiterError();
        }
        stack.pop(fallback);
        stack.frame(0).polymorphic = true;
        break;
      }
      case 0x0f:
        stack.pop(arity);
        stack.frame(0).polymorphic = true;
        break;
      case 0x10: {
        const type = callType(context.functionTypes[imm]);
        stack.pop(type.params.length);
        stack.push(type.results.length);
        break;
      }
      case 0x11: {
        const type = callType(imm);
        stack.pop(1);
        stack.pop(type.params.length);
        stack.push(type.results.length);
        break;
      }
      default: {
        const info = opInfo(op);
        for (const count of info.pops) stack.pop(count);
        stack.push(info.push);
      }
    }
  }
  return max;
}
