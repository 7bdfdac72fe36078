// Preparing a contract's Wasm module the way the execution engine does before it runs one:
// gas metering injected into every function, and linear memory capped by the chainspec.
// Written from casper-network/casper-node execution_engine/src/runtime/wasm_prep.rs
// (preprocess: memory capped at `max_memory`, gas injection per metered block) and the
// chainspec's [wasm.v1.opcode_costs] (resources/production/chainspec.toml, feat-2.0); the
// Wasm binary format is the W3C core specification's.
//
// Metering: the code of each function is cut into segments, each ending at a control
// instruction (block, loop, if, else, end, br, br_if, br_table, return, unreachable). At the
// start of each segment the cost of all its instructions is taken from a mutable i64 global,
// exported as `__devnet_gas`; below zero, the code traps with `unreachable`. A `loop` is
// charged on every iteration (a branch back lands after the charge), so an endless loop runs
// out of gas. memory.grow is charged a fixed `grow_memory` cost (the node charges it per page).

/** A module the devnet will not run, with the node's words (`Wasm preprocessing error: …`). */
export class PreprocessError extends Error {}

export const GAS_EXPORT = '__devnet_gas';

/** [wasm.v1] max_memory: 64 pages of 64 KiB. */
export const MAX_MEMORY_PAGES = 64;

/** [wasm.v1.opcode_costs] of the production chainspec. */
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
  growMemory: 240_000,
  sign: 300,
  /** Other (float) operations: the engine refuses floats; charged like `add` here. */
  regular: 210,
  control: { structure: 440, br: 35_000, brTablePerTarget: 100, call: 68_000 },
} as const;

class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new PreprocessError('unexpected end of module');
    return this.bytes[this.pos++] as number;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new PreprocessError('malformed LEB128');
    }
  }
  /** Skips a signed LEB128 of any width. */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) if ((this.byte() & 0x80) === 0) return;
    throw new PreprocessError('malformed LEB128');
  }
  skip(n: number): void {
    if (this.pos + n > this.bytes.length) throw new PreprocessError('unexpected end of module');
    this.pos += n;
  }
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let b = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) b |= 0x80;
    out.push(b);
  } while (rest > 0);
  return out;
}

function sleb(value: bigint): number[] {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const b = Number(rest & 0x7fn);
    rest >>= 7n;
    const done = (rest === 0n && (b & 0x40) === 0) || (rest === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function chargeBytes(global: number[], cost: number): number[] {
  return [
    0x23,
    ...global,
    0x42,
    ...sleb(BigInt(cost)),
    0x7d,
    0x24,
    ...global,
    0x23,
    ...global,
    0x42,
    0x00,
    0x53,
    0x04,
    0x40,
    0x00,
    0x0b,
  ];
}

/** The cost of a plain (non-control) opcode. */
function numericCost(op: number): number {
  const c = OPCODE_COSTS;
  if (op >= 0x45 && op <= 0x66) return c.integerComparison;
  if ((op >= 0x67 && op <= 0x69) || (op >= 0x71 && op <= 0x7b) || (op >= 0x83 && op <= 0x8a)) {
    return c.bit;
  }
  if (op === 0x6a || op === 0x6b || op === 0x7c || op === 0x7d) return c.add;
  if (op === 0x6c || op === 0x7e) return c.mul;
  if ((op >= 0x6d && op <= 0x70) || (op >= 0x7f && op <= 0x82)) return c.div;
  if (op >= 0xa7 && op <= 0xbf) return c.conversion;
  if (op >= 0xc0 && op <= 0xc4) return c.sign;
  return c.regular;
}

function skipBlockType(cursor: Cursor): void {
  const b = cursor.bytes[cursor.pos] as number;
  if (
    b === 0x40 ||
    b === 0x7f ||
    b === 0x7e ||
    b === 0x7d ||
    b === 0x7c ||
    b === 0x70 ||
    b === 0x6f
  ) {
    cursor.pos++;
  } else {
    cursor.skipLeb();
  }
}

/**
 * Reads one instruction at the cursor; returns its cost and whether it ends a metered
 * segment.
 */
function instruction(cursor: Cursor): { cost: number; boundary: boolean } {
  const op = cursor.byte();
  const c = OPCODE_COSTS;
  switch (op) {
    case 0x00:
      return { cost: c.unreachable, boundary: true };
    case 0x01:
      return { cost: c.nop, boundary: false };
    case 0x02:
    case 0x03:
    case 0x04:
      skipBlockType(cursor);
      return { cost: c.control.structure, boundary: true };
    case 0x05:
    case 0x0b:
      return { cost: c.control.structure, boundary: true };
    case 0x0c:
    case 0x0d:
      cursor.u32();
      return { cost: c.control.br, boundary: true };
    case 0x0e: {
      const count = cursor.u32();
      for (let i = 0; i <= count; i++) cursor.u32();
      return { cost: c.control.br + c.control.brTablePerTarget * count, boundary: true };
    }
    case 0x0f:
      return { cost: c.control.structure, boundary: true };
    case 0x10:
      cursor.u32();
      return { cost: c.control.call, boundary: false };
    case 0x11:
      cursor.u32();
      cursor.u32();
      return { cost: c.control.call, boundary: false };
    case 0x1a:
    case 0x1b:
      return { cost: c.control.structure, boundary: false };
    case 0x1c: {
      const count = cursor.u32();
      cursor.skip(count);
      return { cost: c.control.structure, boundary: false };
    }
    case 0x20:
    case 0x21:
    case 0x22:
      cursor.u32();
      return { cost: c.local, boundary: false };
    case 0x23:
    case 0x24:
      cursor.u32();
      return { cost: c.global, boundary: false };
    case 0x25:
    case 0x26:
      cursor.u32();
      return { cost: c.regular, boundary: false };
    case 0x3f:
      cursor.byte();
      return { cost: c.currentMemory, boundary: false };
    case 0x40:
      cursor.byte();
      return { cost: c.growMemory, boundary: false };
    case 0x41:
    case 0x42:
      cursor.skipLeb();
      return { cost: c.const, boundary: false };
    case 0x43:
      cursor.skip(4);
      return { cost: c.const, boundary: false };
    case 0x44:
      cursor.skip(8);
      return { cost: c.const, boundary: false };
    case 0xd0:
      cursor.byte();
      return { cost: c.regular, boundary: false };
    case 0xd1:
      return { cost: c.regular, boundary: false };
    case 0xd2:
      cursor.u32();
      return { cost: c.regular, boundary: false };
    case 0xfc: {
      const sub = cursor.u32();
      if (sub <= 7) return { cost: c.conversion, boundary: false };
      if (sub === 8 || sub === 12 || sub === 14) {
        cursor.u32();
        cursor.u32();
      } else if (sub === 10) {
        cursor.byte();
        cursor.byte();
      } else if (sub === 11) cursor.byte();
      else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) cursor.u32();
      else throw new PreprocessError(`unsupported instruction 0xfc ${sub}`);
      return { cost: c.store, boundary: false };
    }
    default:
      if (op >= 0x28 && op <= 0x35) {
        cursor.u32();
        cursor.u32();
        return { cost: c.load, boundary: false };
      }
      if (op >= 0x36 && op <= 0x3e) {
        cursor.u32();
        cursor.u32();
        return { cost: c.store, boundary: false };
      }
      if (op >= 0x45 && op <= 0xc4) return { cost: numericCost(op), boundary: false };
      throw new PreprocessError(`unsupported instruction 0x${op.toString(16)}`);
  }
}

function meterBody(body: Uint8Array, global: number[]): number[] {
  const cursor = new Cursor(body);
  const localGroups = cursor.u32();
  for (let i = 0; i < localGroups; i++) {
    cursor.u32();
    cursor.byte();
  }
  const out: number[] = Array.from(body.subarray(0, cursor.pos));
  let segmentStart = cursor.pos;
  let cost = 0;
  while (cursor.pos < body.length) {
    const step = instruction(cursor);
    cost += step.cost;
    if (step.boundary) {
      out.push(...chargeBytes(global, cost));
      for (let i = segmentStart; i < cursor.pos; i++) out.push(body[i] as number);
      segmentStart = cursor.pos;
      cost = 0;
    }
  }
  if (segmentStart !== body.length) throw new PreprocessError('function body does not end');
  return out;
}

interface Section {
  id: number;
  body: Uint8Array;
}

function sections(bytes: Uint8Array): Section[] {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || magic.some((b, i) => bytes[i] !== b)) {
    throw new PreprocessError('not a Wasm module (bad magic or version)');
  }
  const cursor = new Cursor(bytes, 8);
  const out: Section[] = [];
  while (cursor.pos < bytes.length) {
    const id = cursor.byte();
    const size = cursor.u32();
    const start = cursor.pos;
    cursor.skip(size);
    out.push({ id, body: bytes.subarray(start, start + size) });
  }
  return out;
}

/** The position a section of `id` takes among the known sections (custom sections aside). */
const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

function insertSection(list: Section[], section: Section): void {
  const rank = SECTION_ORDER.indexOf(section.id);
  const index = list.findIndex((s) => s.id !== 0 && SECTION_ORDER.indexOf(s.id) > rank);
  list.splice(index < 0 ? list.length : index, 0, section);
}

function vectorWith(body: Uint8Array | undefined, item: number[]): Uint8Array {
  if (!body) return new Uint8Array([...uleb(1), ...item]);
  const cursor = new Cursor(body);
  const count = cursor.u32();
  return new Uint8Array([...uleb(count + 1), ...body.subarray(cursor.pos), ...item]);
}

export interface PreparedModule {
  bytes: Uint8Array;
  /** The memory the module imports as `env.memory`, if it does: its initial pages. */
  importedMemoryPages?: number;
}

/**
 * Returns the module with gas metering and the memory cap, or throws PreprocessError. The
 * result is a valid module for WebAssembly.compile; the caller compiles (and caches) it.
 */
export function prepareModule(wasm: Uint8Array): PreparedModule {
  const list = sections(wasm);
  let importedGlobals = 0;
  let importedMemoryPages: number | undefined;
  let definedGlobals = 0;
  for (const section of list) {
    if (section.id === 2) {
      const cursor = new Cursor(section.body);
      const count = cursor.u32();
      for (let i = 0; i < count; i++) {
        cursor.skip(cursor.u32());
        cursor.skip(cursor.u32());
        const kind = cursor.byte();
        if (kind === 0) cursor.u32();
        else if (kind === 1) {
          cursor.byte();
          const flags = cursor.byte();
          cursor.u32();
          if (flags & 1) cursor.u32();
        } else if (kind === 2) {
          const flags = cursor.byte();
          const min = cursor.u32();
          const max = flags & 1 ? cursor.u32() : undefined;
          if (min > MAX_MEMORY_PAGES || (max !== undefined && max > MAX_MEMORY_PAGES)) {
            throw new PreprocessError(`memory of ${min} pages exceeds ${MAX_MEMORY_PAGES} pages`);
          }
          importedMemoryPages = min;
        } else if (kind === 3) {
          cursor.byte();
          cursor.byte();
          importedGlobals++;
        } else throw new PreprocessError(`unknown import kind ${kind}`);
      }
    }
    if (section.id === 6) definedGlobals = new Cursor(section.body).u32();
  }
  const gasIndex = importedGlobals + definedGlobals;
  const global = uleb(gasIndex);

  const out: Section[] = [];
  for (const section of list) {
    if (section.id === 5) {
      const cursor = new Cursor(section.body);
      const count = cursor.u32();
      if (count > 1) throw new PreprocessError('more than one memory');
      const entries: number[] = [...uleb(count)];
      for (let i = 0; i < count; i++) {
        const flags = cursor.byte();
        const min = cursor.u32();
        const max = flags & 1 ? cursor.u32() : MAX_MEMORY_PAGES;
        if (min > MAX_MEMORY_PAGES) {
          throw new PreprocessError(
            `initial memory of ${min} pages exceeds the limit of ${MAX_MEMORY_PAGES}`,
          );
        }
        entries.push(0x01, ...uleb(min), ...uleb(Math.min(max, MAX_MEMORY_PAGES)));
      }
      out.push({ id: 5, body: new Uint8Array(entries) });
    } else if (section.id === 10) {
      const cursor = new Cursor(section.body);
      const count = cursor.u32();
      const bodies: number[] = [...uleb(count)];
      for (let i = 0; i < count; i++) {
        const size = cursor.u32();
        const start = cursor.pos;
        cursor.skip(size);
        const metered = meterBody(section.body.subarray(start, start + size), global);
        bodies.push(...uleb(metered.length));
        for (const b of metered) bodies.push(b);
      }
      out.push({ id: 10, body: new Uint8Array(bodies) });
    } else if (section.id !== 6 && section.id !== 7) {
      out.push(section);
    }
  }
  const globals = list.find((s) => s.id === 6)?.body;
  insertSection(out, { id: 6, body: vectorWith(globals, [0x7e, 0x01, 0x42, 0x00, 0x0b]) });
  const exports = list.find((s) => s.id === 7)?.body;
  const name = new TextEncoder().encode(GAS_EXPORT);
  insertSection(out, {
    id: 7,
    body: vectorWith(exports, [...uleb(name.length), ...name, 0x03, ...global]),
  });

  const parts: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  let size = parts.length;
  const encoded = out.map((s) => {
    const header = [s.id, ...uleb(s.body.length)];
    size += header.length + s.body.length;
    return { header, body: s.body };
  });
  const bytes = new Uint8Array(size);
  bytes.set(parts, 0);
  let offset = parts.length;
  for (const { header, body } of encoded) {
    bytes.set(header, offset);
    offset += header.length;
    bytes.set(body, offset);
    offset += body.length;
  }
  return importedMemoryPages === undefined ? { bytes } : { bytes, importedMemoryPages };
}
