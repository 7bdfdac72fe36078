// What the Wasm host refuses before running a module, and how it meters what it runs, checked
// against the node's preprocessing (execution_engine/src/runtime/wasm_prep.rs,
// casper-wasm-utils gas and stack_height) and instantiation (casper-wasmi, v1_resolver.rs):
// the same refusals in the same words, the same gas for the same code.
import { describe, expect, it } from 'vitest';
import { F64, hostCall, I32, I64, newChain, op, run, wasmModule } from './wasm-kit.js';

const chain = newChain();
const preprocessing = (reason: string) => `Wasm preprocessing error: ${reason}`;
const deserialization = (reason: string) => preprocessing(`Deserialization error: ${reason}`);
const validation = (reason: string) => preprocessing(`Wasm validation error: ${reason}`);
/** The probe's 1e12: what a contract would set its own gas to if it could. */
const refill = op.i64(1_000_000_000_000n);

function expectRefused(wasm: Uint8Array, message: string) {
  const result = run(chain, wasm);
  expect(result.errorMessage).toBe(message);
  expect(result.consumed).toBe(0n);
  expect(result.effects).toEqual([]);
}

describe('the gas counter is out of contract code’s reach', () => {
  it('a module setting a global it does not have is refused as the node refuses it (it would be the counter)', () => {
    const message = validation('opcode for a global access refers to non-existing global index 0');
    expectRefused(wasmModule({ call: [...refill, ...op.globalSet(0)] }), message);
    const loop = [...op.loop, ...refill, ...op.globalSet(0), ...op.br(0), ...op.end];
    expectRefused(wasmModule({ call: loop }), message);
  });

  it('a module with globals of its own sets them, and pays for it; one past them is refused', () => {
    const globals = [{ type: I64, mutable: true, init: op.i64(0) }];
    const own = run(chain, wasmModule({ globals, call: [...refill, ...op.globalSet(0)] }));
    expect(own.errorMessage).toBeNull();
    // one metered block: i64.const (110) + global.set (390)
    expect(own.consumed).toBe(500n);
    expectRefused(
      wasmModule({ globals, call: [...refill, ...op.globalSet(1)] }),
      validation('opcode for a global access refers to non-existing global index 1'),
    );
  });

  it('an export named like the devnet’s counter changes nothing', () => {
    const wasm = wasmModule({
      functions: [
        { export: 'call', code: [...op.i32(1), ...op.drop] },
        { export: '__devnet_gas', code: [] },
      ],
    });
    const result = run(chain, wasm);
    expect(result.errorMessage).toBeNull();
    expect(result.consumed).toBe(550n);
  });
});

describe('what the node’s deserializer and gas rules refuse', () => {
  it('bulk memory (memory.fill, memory.copy, saturating truncation: the 0xfc prefix), SIMD, atomics, other opcodes', () => {
    const fill = [...op.i32(0), ...op.i32(0), ...op.i32(65_536), 0xfc, 0x0b, 0x00];
    expectRefused(
      wasmModule({ call: [...op.loop, ...fill, ...op.br(0), ...op.end] }),
      deserialization('Bulk memory operations are not supported'),
    );
    const copy = [...op.i32(0), ...op.i32(0), ...op.i32(1), 0xfc, 0x0a, 0x00, 0x00];
    expectRefused(
      wasmModule({ call: copy }),
      deserialization('Bulk memory operations are not supported'),
    );
    expectRefused(
      wasmModule({ call: [...op.i64(1), 0xfc, 0x00, ...op.drop] }),
      deserialization('Bulk memory operations are not supported'),
    );
    expectRefused(
      wasmModule({ call: [0xfd, 0x0c, ...new Array(16).fill(0), ...op.drop] }),
      deserialization('SIMD operations are not supported'),
    );
    expectRefused(
      wasmModule({ call: [0xfe, 0x03, 0x00] }),
      deserialization('Atomic operations are not supported'),
    );
    // return_call (tail calls)
    expectRefused(
      wasmModule({ call: [0x12, 0x00] }),
      deserialization('Encountered an unsupported operation'),
    );
  });

  it('floating point: forbidden by the gas rules', () => {
    expectRefused(
      wasmModule({ call: [0x44, ...new Array(8).fill(0), ...op.drop] }),
      preprocessing(
        'Encountered operation forbidden by gas rules. Consult instruction -> metering config map',
      ),
    );
    // a float local alone costs nothing and is accepted
    const local = run(
      chain,
      wasmModule({ functions: [{ export: 'call', locals: [F64], code: [] }] }),
    );
    expect(local.errorMessage).toBeNull();
  });

  it('multi-value function types and block types that name a type', () => {
    expectRefused(
      wasmModule({
        call: [],
        functions: [{ results: [I32, I32], code: [...op.i32(1), ...op.i32(2)] }],
      }),
      deserialization('Multi value extension is not supported'),
    );
    expectRefused(
      wasmModule({ call: [0x02, 0x00, ...op.end] }),
      deserialization('Invalid or unknown block type 0'),
    );
  });

  it('bytes that are not a module, or not version 1', () => {
    expectRefused(
      new Uint8Array([1, 2, 3, 4]),
      deserialization('Invalid magic number at start of file'),
    );
    expectRefused(
      new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]),
      deserialization('Unsupported wasm version 2'),
    );
  });
});

describe('the node’s limits on a module', () => {
  it('a memory section is required; memory of more than 64 pages, initial or maximum, is refused at instantiation', () => {
    expectRefused(
      wasmModule({ call: [], memory: null }),
      preprocessing('Memory section should exist'),
    );
    const tooMuch = 'Interpreter error: Module requested too much memory';
    expectRefused(wasmModule({ call: [], memory: { min: 65 } }), tooMuch);
    expectRefused(wasmModule({ call: [], memory: { min: 1, max: 65 } }), tooMuch);
    expect(
      run(chain, wasmModule({ call: [], memory: { min: 64, max: 64 } })).errorMessage,
    ).toBeNull();
  });

  it('tables of more than 4096 entries, br_table of more than 256 targets, more than 256 globals or parameters', () => {
    expectRefused(
      wasmModule({ call: [], sections: [[4, [0x01, 0x70, 0x00, ...[0x88, 0x27]]]] }),
      validation('initial table size of 5000 exceeds allowed limit of 4096'),
    );
    const targets = new Array(257).fill(0);
    expectRefused(
      wasmModule({
        call: [...op.block, ...op.i32(0), 0x0e, 0x81, 0x02, ...targets, 0x00, ...op.end],
      }),
      validation('maximum br_table size of 257 exceeds allowed limit of 256'),
    );
    const globals = Array.from({ length: 257 }, () => ({
      type: I32,
      mutable: false,
      init: op.i32(0),
    }));
    expectRefused(
      wasmModule({ call: [], globals }),
      validation('declared number of globals (257) exceeds allowed limit of 256'),
    );
    expectRefused(
      wasmModule({ call: [], functions: [{ params: new Array(257).fill(I32), code: [] }] }),
      validation(
        'use of a function type with too many parameters (limit of 256 but function declares 257)',
      ),
    );
  });

  it('more than one memory, and a memarg aligned past its access, are refused as casper-wasmi refuses them (V8 with multi-memory would read those bytes otherwise)', () => {
    const memories = (count: number) => [count, ...new Array(count).fill([0x00, 0x01]).flat()];
    expectRefused(
      wasmModule({ call: [], memory: null, sections: [[5, memories(2)]] }),
      'Interpreter error: too many memory regions in index space: 2',
    );
    const envMemory = [
      0x01,
      0x03,
      ...Buffer.from('env'),
      0x06,
      ...Buffer.from('memory'),
      0x02,
      0x00,
      0x01,
    ];
    expectRefused(
      wasmModule({ call: [], sections: [[2, envMemory]] }),
      'Interpreter error: too many memory regions in index space: 2',
    );
    const load = (opcode: number, flags: number[], rest: number[] = [0x00]) => [
      ...op.i32(0),
      opcode,
      ...flags,
      ...rest,
      ...op.drop,
    ];
    // i32.load with align 2^3, i32.load8_u with 2^1, i64.store with 2^4
    expectRefused(
      wasmModule({ call: load(0x28, [0x03]) }),
      'Interpreter error: Too large memory alignment 2^3 (expected at most 4)',
    );
    expectRefused(
      wasmModule({ call: load(0x2d, [0x01]) }),
      'Interpreter error: Too large memory alignment 2^1 (expected at most 1)',
    );
    expectRefused(
      wasmModule({ call: [...op.i32(0), ...op.i64(1), 0x37, 0x04, 0x00] }),
      'Interpreter error: Too large memory alignment 2^4 (expected at most 8)',
    );
    // Flags 0x42 (align 2^2, "a memory index follows" to a multi-memory engine), memory index 0,
    // offset 0: the node reads offset 0 and then an opcode 0x00 where V8 ≥ 12 reads the offset.
    // A loop written so would carry no gas charge in V8's reading; it is refused.
    const unmetered = [...op.loop, ...load(0x28, [0x42], [0x00, 0x00]), ...op.br(0), ...op.end];
    expectRefused(
      wasmModule({ call: unmetered }),
      'Interpreter error: Too large memory alignment 2^66 (expected at most 4)',
    );
    // natural alignments and below run
    const fine = [
      ...load(0x28, [0x02]),
      ...load(0x2d, [0x00]),
      ...op.i32(0),
      ...op.i64(1),
      0x37,
      0x03,
      0x00,
    ];
    expect(run(chain, wasmModule({ call: fine })).errorMessage).toBeNull();
  });

  it('importing the gas function, a start function', () => {
    expectRefused(
      wasmModule({ imports: [{ name: 'gas', params: [I32], results: [] }], call: [] }),
      validation('module imports a non-existent function'),
    );
    expectRefused(
      wasmModule({ call: [], functions: [{ code: [] }], start: 1 }),
      'Unsupported Wasm start',
    );
  });

  it('a module with a memory it does not export still runs (the node makes it an import)', () => {
    const spec = {
      imports: ['casper_get_blocktime'],
      memory: null,
      sections: [[5, [0x01, 0x00, 0x01]]] as Array<[number, number[]]>,
    };
    const result = run(
      chain,
      wasmModule({ ...spec, call: hostCall(spec, 'casper_get_blocktime', [0]) }),
    );
    expect(result.errorMessage).toBeNull();
  });
});

describe('imports are checked against the node’s host functions', () => {
  it('a host function imported with another signature fails to link, in casper-wasmi’s words', () => {
    expectRefused(
      wasmModule({
        imports: [{ name: 'casper_revert', params: [I32, I32], results: [] }],
        call: [],
      }),
      'Interpreter error: Expected function with type Signature { params: [I32, I32], return_type: None }, but actual type is Signature { params: [I32], return_type: None } for entry casper_revert',
    );
    expectRefused(
      wasmModule({
        imports: [{ name: 'casper_get_blocktime', params: [I32], results: [I32] }],
        call: [],
      }),
      'Interpreter error: Expected function with type Signature { params: [I32], return_type: Some(I32) }, but actual type is Signature { params: [I32], return_type: None } for entry casper_get_blocktime',
    );
  });

  it('an unknown host function or another import module', () => {
    expectRefused(
      wasmModule({ imports: ['casper_no_such_function'], call: [] }),
      "Interpreter error: host module doesn't export function with name casper_no_such_function",
    );
    expectRefused(
      wasmModule({
        imports: [{ module: 'wasi', name: 'fd_write', params: [], results: [] }],
        call: [],
      }),
      'Interpreter error: Module wasi not found',
    );
  });
});

describe('gas as the node meters it', () => {
  it('per metered block, with end and else free and memory.grow charged per page', () => {
    expect(run(chain, wasmModule({ call: [] })).consumed).toBe(0n);
    // i32.const 110 + drop 440
    expect(run(chain, wasmModule({ call: [...op.i32(1), ...op.drop] })).consumed).toBe(550n);
    // i32.const 110 + memory.grow 240_000 + drop 440, then 1 page × 240_000
    const grow = run(chain, wasmModule({ call: [...op.i32(1), ...op.memoryGrow, ...op.drop] }));
    expect(grow.consumed).toBe(480_550n);
    // local 0 += 1 until it is 3 (local.get, i32.const, i32.add, local.tee, i32.const, i32.ne, br_if)
    const counted = [
      ...op.loop,
      ...op.localGet(0),
      ...op.i32(1),
      ...op.i32Add,
      0x22,
      0x00,
      ...op.i32(3),
      0x47,
      ...op.brIf(0),
      ...op.end,
    ];
    const loop = run(
      chain,
      wasmModule({ functions: [{ export: 'call', locals: [I32], code: counted }] }),
    );
    // the loop header (440) is charged once, the body (36_850) on each of the 3 iterations
    expect(loop.consumed).toBe(440n + 3n * (390n + 110n + 210n + 390n + 110n + 250n + 35_000n));
  });

  it('growing memory past 64 pages fails (memory.grow answers -1) and the contract traps', () => {
    const grow = (pages: number) => [
      ...op.i32(pages),
      ...op.memoryGrow,
      ...op.i32(-1),
      ...op.i32Eq,
      ...op.if,
      ...op.unreachable,
      ...op.end,
    ];
    expect(run(chain, wasmModule({ call: grow(64) })).errorMessage).toBe(
      'Interpreter error: trap: Code(Unreachable)',
    );
    expect(run(chain, wasmModule({ call: grow(63) })).errorMessage).toBeNull();
  });
});

describe('the stack height limiter', () => {
  it('endless recursion traps at the node’s max_stack_height, well within the gas', () => {
    const recursion = wasmModule({ functions: [{ export: 'call', code: op.call(0) }] });
    const result = run(chain, recursion);
    expect(result.errorMessage).toBe('Interpreter error: trap: Code(Unreachable)');
    // 500 calls deep (each of stack cost 1), 68_000 gas each: far from the 3 CSPR limit
    expect(result.consumed).toBe(500n * 68_000n);
  });
});
