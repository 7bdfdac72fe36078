// The sections of a Wasm module, read the way a node's deserializer reads them
// (casper-network/casper-wasm src/elements: module.rs, section.rs, types.rs, import_entry.rs,
// segment.rs): known sections in order and at most once, MVP encodings only, at most one
// function result (no multi-value), and the node's words for what it refuses.
import { deserialization, Reader } from './binary.js';
import { opInfo, readImmediates, valueType } from './opcodes.js';

export interface FuncType {
  params: number[];
  results: number[];
}

export interface Limits {
  min: number;
  max?: number;
}

export interface Import {
  module: string;
  name: string;
  /** 0 function, 1 table, 2 memory, 3 global. */
  kind: number;
  /** The type index of a function import. */
  type: number;
}

export interface Export {
  name: string;
  kind: number;
  index: number;
}

export interface ElementSegment {
  /** The offset expression's bytes, its final `end` included. */
  offset: Uint8Array;
  members: number[];
}

/** A function body: where its locals start and its code (after the locals) starts and ends. */
export interface Body {
  start: number;
  code: number;
  end: number;
  /** Declared locals, parameters not included (what the stack limiter counts). */
  locals: number;
}

export interface Module {
  bytes: Uint8Array;
  types: FuncType[];
  imports: Import[];
  functionImports: number;
  /** The type index of each defined function. */
  functions: number[];
  tables: Array<Limits & { elementType: number }>;
  memories: Limits[];
  /** The global section's entries: how many, and where they start (after the count). */
  globals: { count: number; entries: Uint8Array };
  exports: Export[];
  start?: number;
  elements: ElementSegment[];
  bodies: Body[];
  /** The data section as it is (copied verbatim). */
  data?: Uint8Array;
}

/** Section ids in the order a module must list them (custom sections, 0, anywhere). */
const ORDER = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

function limits(reader: Reader): Limits {
  const flags = reader.byte();
  if (flags > 1) throw deserialization(`Invalid limits flags (${flags})`);
  const min = reader.u32();
  return flags === 1 ? { min, max: reader.u32() } : { min };
}

/** Skips an initializer expression: instructions up to the `end` that closes it. */
function initExpr(reader: Reader): Uint8Array {
  const start = reader.pos;
  for (;;) {
    const op = reader.byte();
    if (op === 0x0b) return reader.bytes.subarray(start, reader.pos);
    readImmediates(reader, opInfo(op).imm);
  }
}

function funcType(reader: Reader): FuncType {
  const form = reader.i7();
  if (form !== -0x20) throw deserialization(`Unknown function form (${form & 0xff})`);
  const params = Array.from({ length: reader.u32() }, () => valueType(reader));
  const results = Array.from({ length: reader.u32() }, () => valueType(reader));
  if (results.length > 1) throw deserialization('Multi value extension is not supported');
  return { params, results };
}

function vector<T>(reader: Reader, item: (reader: Reader) => T): T[] {
  const count = reader.u32();
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(item(reader));
  return out;
}

function tableType(reader: Reader) {
  const elementType = reader.byte();
  if (elementType !== 0x70) {
    throw deserialization(`Unknown table element type ${elementType - 0x100}`);
  }
  return { elementType, ...limits(reader) };
}

/** Reads a function body's local declarations; the code follows them. */
function body(reader: Reader): Body {
  const size = reader.u32();
  const start = reader.pos;
  const inner = new Reader(reader.bytes, start, start + size);
  let locals = 0;
  const groups = inner.u32();
  for (let i = 0; i < groups; i++) {
    locals += inner.u32();
    valueType(inner);
  }
  if (locals > 0xffff_ffff) throw deserialization('Too many locals');
  reader.skip(size);
  return { start, code: inner.pos, end: start + size, locals };
}

export function readModule(bytes: Uint8Array): Module {
  const magic = [0x00, 0x61, 0x73, 0x6d];
  if (bytes.length < 4 || magic.some((b, i) => bytes[i] !== b)) {
    throw deserialization('Invalid magic number at start of file');
  }
  if (bytes.length < 8) throw deserialization('Unexpected end of input');
  const version = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0;
  if (version !== 1) throw deserialization(`Unsupported wasm version ${version}`);
  const module: Module = {
    bytes,
    types: [],
    imports: [],
    functionImports: 0,
    functions: [],
    tables: [],
    memories: [],
    globals: { count: 0, entries: new Uint8Array() },
    exports: [],
    elements: [],
    bodies: [],
  };
  const reader = new Reader(bytes, 8);
  let last = 0;
  while (reader.pos < bytes.length) {
    const id = reader.byte();
    const size = reader.u32();
    const start = reader.pos;
    const section = new Reader(bytes, start, start + size);
    reader.skip(size);
    if (id !== 0) {
      const rank = ORDER.indexOf(id);
      if (rank < 0) throw deserialization(`Invalid section id: ${id}`);
      if (rank + 1 === last) throw deserialization(`Duplicated sections (${id})`);
      if (rank + 1 < last) throw deserialization('Sections out of order');
      last = rank + 1;
    }
    readSection(module, id, section);
    if (section.pos !== section.end) {
      throw deserialization(`Expected length ${size}, found ${section.pos - start}`);
    }
  }
  if (module.functions.length !== module.bodies.length) {
    throw deserialization('Number of function body entries and signatures does not match');
  }
  return module;
}

function readSection(module: Module, id: number, reader: Reader): void {
  switch (id) {
    case 0:
      reader.name();
      reader.skip(reader.end - reader.pos);
      return;
    case 1:
      module.types = vector(reader, funcType);
      return;
    case 2:
      module.imports = vector(reader, readImport);
      module.functionImports = module.imports.filter((i) => i.kind === 0).length;
      return;
    case 3:
      module.functions = vector(reader, (r) => r.u32());
      return;
    case 4:
      module.tables = vector(reader, tableType);
      return;
    case 5:
      module.memories = vector(reader, limits);
      return;
    case 6: {
      const count = reader.u32();
      const start = reader.pos;
      for (let i = 0; i < count; i++) {
        valueType(reader);
        const mutability = reader.byte();
        if (mutability > 1) throw deserialization(`Not an unsigned 1-bit integer: ${mutability}`);
        initExpr(reader);
      }
      module.globals = { count, entries: reader.bytes.subarray(start, reader.pos) };
      return;
    }
    case 7:
      module.exports = vector(reader, (r) => {
        const name = r.name();
        const kind = r.byte();
        if (kind > 3) throw deserialization(`Unknown internal kind ${kind}`);
        return { name, kind, index: r.u32() };
      });
      return;
    case 8:
      module.start = reader.u32();
      return;
    case 9:
      module.elements = vector(reader, (r) => {
        const table = r.u32();
        if (table !== 0) throw deserialization(`Invalid table reference (${table})`);
        return { offset: initExpr(r), members: vector(r, (m) => m.u32()) };
      });
      return;
    case 10:
      module.bodies = vector(reader, body);
      return;
    case 11:
      module.data = reader.bytes.subarray(reader.pos, reader.end);
      vector(reader, (r) => {
        const memory = r.u32();
        if (memory !== 0) throw deserialization(`Invalid memory reference (${memory})`);
        initExpr(r);
        r.skip(r.u32());
      });
      return;
  }
}

function readImport(reader: Reader): Import {
  const module = reader.name();
  const name = reader.name();
  const kind = reader.byte();
  let type = 0;
  if (kind === 0) type = reader.u32();
  else if (kind === 1) tableType(reader);
  else if (kind === 2) limits(reader);
  else if (kind === 3) {
    valueType(reader);
    reader.byte();
  } else throw deserialization(`Unknown external kind ${kind}`);
  return { module, name, kind, type };
}

/** The type index of every function, imports first, then defined functions. */
export function functionTypeIndices(module: Module): number[] {
  const imported = module.imports.filter((i) => i.kind === 0).map((i) => i.type);
  return [...imported, ...module.functions];
}
