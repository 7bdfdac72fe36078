// Small Wasm modules written by bytes (the repository has no wat2wasm), and running them on the
// devnet's Wasm host directly, without RPC: for tests of single host functions and of what
// preprocessing refuses.
import { bytesToHex, concatBytes, stringBytes, u32LE } from '@x402-casper/shared';
import { Chain } from '../src/chain.js';
import { defaultGenesis } from '../src/genesis.js';
import { defaultDevAccounts } from '../src/index.js';
import { cloneState, type WorldState } from '../src/state.js';
import { runtimeArgsBytes, type StoredCLValue } from '../src/wasm/bytesrepr.js';
import { executeWasm, type WasmResult, type WasmTarget } from '../src/wasm/execute.js';
import { hostSignature } from '../src/wasm/signatures.js';

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;

export function uleb(value: number): number[] {
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

export function sleb(value: number | bigint): number[] {
  const out: number[] = [];
  let rest = BigInt(value);
  for (;;) {
    const b = Number(rest & 0x7fn);
    rest >>= 7n;
    const done = (rest === 0n && (b & 0x40) === 0) || (rest === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

const name = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return [...uleb(bytes.length), ...bytes];
};
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** Instructions, by their text-format names. */
export const op = {
  i32: (n: number) => [0x41, ...sleb(n)],
  i64: (n: number | bigint) => [0x42, ...sleb(n)],
  call: (index: number) => [0x10, ...uleb(index)],
  localGet: (index: number) => [0x20, ...uleb(index)],
  localSet: (index: number) => [0x21, ...uleb(index)],
  globalGet: (index: number) => [0x23, ...uleb(index)],
  globalSet: (index: number) => [0x24, ...uleb(index)],
  i32Load: (offset = 0) => [0x28, 0x02, ...uleb(offset)],
  i32Store: (offset = 0) => [0x36, 0x02, ...uleb(offset)],
  i32Store8: (offset = 0) => [0x3a, 0x00, ...uleb(offset)],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  loop: [0x03, 0x40],
  block: [0x02, 0x40],
  if: [0x04, 0x40],
  end: [0x0b],
  drop: [0x1a],
  unreachable: [0x00],
  i32Add: [0x6a],
  i32Eq: [0x46],
  i32Eqz: [0x45],
  memoryGrow: [0x40, 0x00],
};

export interface ImportSpec {
  name: string;
  module?: string;
  params: number[];
  results: number[];
}

export interface FunctionSpec {
  export?: string;
  params?: number[];
  results?: number[];
  /** Local types, one entry per local. */
  locals?: number[];
  code: number[];
}

export interface ModuleSpec {
  /** Host functions by name (with the node's signature) or with a signature of their own. */
  imports?: Array<string | ImportSpec>;
  /** The exported `call` entry's body: the first defined function. */
  call?: number[];
  functions?: FunctionSpec[];
  /** One memory, exported as `memory`; null for none. Default: 1 page. */
  memory?: { min: number; max?: number } | null;
  globals?: Array<{ type: number; mutable: boolean; init: number[] }>;
  data?: Array<[offset: number, bytes: Uint8Array | number[]]>;
  start?: number;
  /** More sections, [id, body], placed in order by id. */
  sections?: Array<[number, number[]]>;
}

function importSpec(entry: string | ImportSpec): ImportSpec {
  if (typeof entry !== 'string') return entry;
  const signature = hostSignature(entry);
  if (!signature) return { name: entry, params: [], results: [] };
  return {
    name: entry,
    params: Array.from({ length: signature[0] }, () => I32),
    results: signature[1] ? [I32] : [],
  };
}

/** A module from its parts; function indices count the imports first. */
export function wasmModule(spec: ModuleSpec): Uint8Array {
  const imports = (spec.imports ?? []).map(importSpec);
  const functions: FunctionSpec[] = [
    ...(spec.call ? [{ export: 'call', code: spec.call }] : []),
    ...(spec.functions ?? []),
  ];
  const types: string[] = [];
  const typeIndex = (params: number[], results: number[]) => {
    const key = `${params.join(',')}:${results.join(',')}`;
    if (!types.includes(key)) types.push(key);
    return types.indexOf(key);
  };
  const importEntries = imports.map((entry) => [
    ...name(entry.module ?? 'env'),
    ...name(entry.name),
    0x00,
    ...uleb(typeIndex(entry.params, entry.results)),
  ]);
  const functionTypes = functions.map((f) => uleb(typeIndex(f.params ?? [], f.results ?? [])));
  const typeEntries = types.map((key) => {
    const [params, results] = key
      .split(':')
      .map((part) => (part ? part.split(',').map(Number) : []));
    return [0x60, ...vector(params!.map((p) => [p])), ...vector(results!.map((r) => [r]))];
  });
  const exports = functions.flatMap((f, i) =>
    f.export ? [[...name(f.export), 0x00, ...uleb(imports.length + i)]] : [],
  );
  const memory = spec.memory === undefined ? { min: 1 } : spec.memory;
  if (memory) exports.push([...name('memory'), 0x02, 0x00]);
  const bodies = functions.map((f) => {
    const locals = (f.locals ?? []).map((type) => [0x01, type]);
    const body = [...vector(locals), ...f.code, 0x0b];
    return [...uleb(body.length), ...body];
  });
  const sections: Array<[number, number[]]> = [
    [1, vector(typeEntries)],
    [3, vector(functionTypes)],
    [7, vector(exports)],
    [10, vector(bodies)],
    ...(spec.sections ?? []),
  ];
  if (importEntries.length) sections.push([2, vector(importEntries)]);
  if (memory) {
    const limits =
      memory.max === undefined
        ? [0x00, ...uleb(memory.min)]
        : [0x01, ...uleb(memory.min), ...uleb(memory.max)];
    sections.push([5, [0x01, ...limits]]);
  }
  if (spec.globals?.length) {
    sections.push([
      6,
      vector(spec.globals.map((g) => [g.type, g.mutable ? 1 : 0, ...g.init, 0x0b])),
    ]);
  }
  if (spec.start !== undefined) sections.push([8, uleb(spec.start)]);
  if (spec.data?.length) {
    sections.push([
      11,
      vector(
        spec.data.map(([offset, bytes]) => [
          0x00,
          0x41,
          ...sleb(offset),
          0x0b,
          ...uleb(bytes.length),
          ...bytes,
        ]),
      ),
    ]);
  }
  const rank = (id: number) => (id === 12 ? 9.5 : id);
  sections.sort((a, b) => rank(a[0]) - rank(b[0]));
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...sections.flatMap(([id, body]) => section(id, body)),
  ]);
}

/** The index of host function `name` among a spec's imports. */
export function importIndex(spec: ModuleSpec, name: string): number {
  const index = (spec.imports ?? []).findIndex(
    (entry) => (typeof entry === 'string' ? entry : entry.name) === name,
  );
  if (index < 0) throw new Error(`${name} is not imported`);
  return index;
}

/** Calls host function `name` with constant i32 arguments. */
export function hostCall(spec: ModuleSpec, name: string, args: number[]): number[] {
  return [...args.flatMap(op.i32), ...op.call(importIndex(spec, name))];
}

/** Reverts with `User error: n` unless the i32 on the stack is 0 (an ApiError result). */
export const revertUnlessOk = (spec: ModuleSpec, code: number) => [
  ...op.if,
  ...hostCall(spec, 'casper_revert', [65_536 + code]),
  ...op.end,
];

/** Reverts with the i32 on the stack as the ApiError code (for results that are not 0). */
export const revertWith = (spec: ModuleSpec) => op.call(importIndex(spec, 'casper_revert'));

/** Reverts with `User error: n`, n the i32 on the stack (0 included). */
export const revertWithUserError = (spec: ModuleSpec) => [
  ...op.i32(65_536),
  ...op.i32Add,
  ...revertWith(spec),
];

/** bytesrepr: an EntryPoints map of public `Called` entry points returning Unit, no args (Casper 2.0 encoding). */
export function entryPointsBytes(names: string[]): Uint8Array {
  return concatBytes(
    u32LE(names.length),
    ...names.map((entry) =>
      concatBytes(stringBytes(entry), stringBytes(entry), u32LE(0), new Uint8Array([9, 1, 1, 0])),
    ),
  );
}

export const [account, otherAccount] = defaultDevAccounts();

/** A fresh devnet chain (default genesis), for running modules on its state. */
export function newChain(): Chain {
  return Chain.fromGenesis('casper-net-1', defaultGenesis());
}

export interface RunOptions {
  target?: WasmTarget;
  args?: Map<string, StoredCLValue>;
  gasLimit?: bigint;
  timeLimitMs?: number;
  initiator?: string;
  state?: WorldState;
  /** The transaction hash the host derives addresses from. */
  txHash?: string;
}

let runs = 0;

/** Runs `wasm` as a session (or `options.target`) on `options.state` or a copy of the chain's. */
export function run(chain: Chain, wasm: Uint8Array, options: RunOptions = {}) {
  const state = options.state ?? cloneState(chain.state);
  const blob = chain.storeBlob(wasm);
  runs += 1;
  const result: WasmResult = executeWasm(
    state,
    {
      target: options.target ?? { kind: 'session', blob, installUpgrade: false },
      args: bytesToHex(runtimeArgsBytes(options.args ?? new Map())),
    },
    {
      initiator: options.initiator ?? account!.accountHash,
      txHash: options.txHash ?? bytesToHex(new Uint8Array(32).fill(runs % 256)),
      blockTimeMs: 1_700_000_000_000,
      gasLimit: options.gasLimit ?? 3_000_000_000n,
      ...(options.timeLimitMs === undefined ? {} : { timeLimitMs: options.timeLimitMs }),
      blob: (hash) => chain.blob(hash),
    },
  );
  return { ...result, state };
}

/** Where `keep` and `keepHostBuffer` lay out what they store: a u32 length, the bytes, a type tag. */
export const SCRATCH = 0x1000;
/** Where a host function should write the bytes `keep` stores. */
export const OUT = SCRATCH + 4;
const KEPT_UREF = 0x0f00;
const WRITTEN = 0x0ef0;

/**
 * Stores `length` bytes at OUT as a new URef's CLValue of type Any (its Write effect shows
 * them): the data segments to add and the code to run once the bytes are there.
 */
export function keep(spec: ModuleSpec, length: number) {
  return {
    data: [
      [SCRATCH, [...u32LE(length)]],
      [OUT + length, [0x15]],
    ] as Array<[number, number[]]>,
    code: hostCall(spec, 'casper_new_uref', [KEPT_UREF, SCRATCH, length + 5]),
  };
}

/** Reads the host buffer (its size at `sizePtr`) to OUT and stores it as `keep` does. */
export function keepHostBuffer(spec: ModuleSpec, sizePtr: number): number[] {
  const size = [...op.i32(sizePtr), ...op.i32Load()];
  return [
    ...op.i32(SCRATCH),
    ...size,
    ...op.i32Store(),
    ...hostCall(spec, 'casper_read_host_buffer', [OUT, 60_000, WRITTEN]),
    ...revertUnlessOk(spec, 90),
    ...size,
    ...op.i32(0x15),
    ...op.i32Store8(OUT),
    ...op.i32(KEPT_UREF),
    ...op.i32(SCRATCH),
    ...size,
    ...op.i32(5),
    ...op.i32Add,
    ...op.call(importIndex(spec, 'casper_new_uref')),
  ];
}

/**
 * A session that calls host function `name` with `args` (the last one is where it writes the
 * size of its answer), reverts with `User error: 1` unless it answered ok, and stores the host
 * buffer as `keep` does.
 */
export function hostBufferReader(
  name: string,
  args: number[],
  data: ModuleSpec['data'] = [],
): Uint8Array {
  const spec: ModuleSpec = {
    imports: [name, 'casper_read_host_buffer', 'casper_new_uref', 'casper_revert'],
  };
  return wasmModule({
    ...spec,
    call: [
      ...hostCall(spec, name, args),
      ...revertUnlessOk(spec, 1),
      ...keepHostBuffer(spec, args.at(-1)!),
    ],
    data,
  });
}

/** Where `installCalls` expects a package's parts in memory (each hash after a tag byte). */
export const INSTALL_AT = {
  package: 0x201,
  access: 0x240,
  contract: 0x301,
  version: 0x340,
  entryPoints: 0x400,
  namedKeys: 0x380,
} as const;

/**
 * Creates a contract package and adds its first version (no named keys; `entryPoints`, the
 * entry points' bytes, at INSTALL_AT.entryPoints), reverting with
 * `User error: 1` unless that worked; `spec` imports casper_create_contract_package_at_hash,
 * casper_add_contract_version and casper_revert. Its data segments go with the module.
 */
export function installCalls(spec: ModuleSpec, entryPoints: Uint8Array) {
  const at = INSTALL_AT;
  return {
    code: [
      ...hostCall(spec, 'casper_create_contract_package_at_hash', [at.package, at.access, 0]),
      ...hostCall(spec, 'casper_add_contract_version', [
        at.package,
        32,
        at.version,
        at.entryPoints,
        entryPoints.length,
        at.namedKeys,
        4,
        at.contract,
        32,
        at.version + 4,
      ]),
      ...revertUnlessOk(spec, 1),
    ],
    data: [
      [at.namedKeys, [0, 0, 0, 0]],
      [at.entryPoints, [...entryPoints]],
    ] as Array<[number, number[]]>,
  };
}

/** The CLValue (bytes hex) a Write effect of the result put at a key starting with `prefix`. */
export function writtenValues(
  result: WasmResult,
  prefix = 'uref-',
): Array<{ cl_type: unknown; bytes: string }> {
  return result.effects
    .filter((effect) => effect.key.startsWith(prefix))
    .map(
      (effect) =>
        (effect.kind as { Write: { CLValue: { cl_type: unknown; bytes: string } } }).Write.CLValue,
    )
    .filter(Boolean);
}
