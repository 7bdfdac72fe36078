// The compile cache and the wall-clock limit: modules compiled for nested calls count toward
// an execution's limit, the transaction's own module does not (host.ts), and the cache keeps
// the modules used last.
import { hexToBytes, stringBytes } from '@x402-casper/shared';
import { describe, expect, it } from 'vitest';
import { compiledModuleHashes, forgetCompiledModules } from '../src/wasm/host.js';
import {
  account,
  entryPointsBytes,
  hostCall,
  INSTALL_AT,
  installCalls,
  type ModuleSpec,
  newChain,
  op,
  revertUnlessOk,
  run,
  wasmModule,
} from './wasm-kit.js';

const chain = newChain();
const str = (value: string) => [...stringBytes(value)];

const CONTRACT: ModuleSpec = {
  imports: [
    'casper_create_contract_package_at_hash',
    'casper_add_contract_version',
    'casper_put_key',
    'casper_revert',
  ],
};
const INSTALL = installCalls(CONTRACT, entryPointsBytes(['answer']));

/** A contract with entry point `answer` (does nothing) and `filler` instructions never run. */
function contractWasm(filler: number, salt: number) {
  const code: number[] = [...op.i32(salt), ...op.drop];
  for (let i = 0; i < filler; i++) code.push(0x41, 0x01, 0x1a);
  return wasmModule({
    ...CONTRACT,
    call: [
      ...INSTALL.code,
      ...hostCall(CONTRACT, 'casper_put_key', [0x110, 12, INSTALL_AT.contract - 1, 33]),
    ],
    functions: [{ export: 'answer', code: [] }, { code }],
    data: [...INSTALL.data, [0x110, str('contract')], [INSTALL_AT.contract - 1, [0x01]]],
  });
}

function install(filler: number, salt: number) {
  const result = run(chain, contractWasm(filler, salt), { gasLimit: 10n ** 15n });
  expect(result.errorMessage).toBeNull();
  const contractHash = result.state.accounts[account!.accountHash]!.namedKeys!.contract!.slice(5);
  return { state: result.state, contractHash };
}

const CALLER: ModuleSpec = { imports: ['casper_call_contract', 'casper_revert'] };
const caller = (contractHash: string) =>
  wasmModule({
    ...CALLER,
    call: [
      ...hostCall(CALLER, 'casper_call_contract', [0x100, 32, 0x200, 10, 0x300, 4, 0x804]),
      ...revertUnlessOk(CALLER, 1),
    ],
    data: [
      [0x100, [...hexToBytes(contractHash)]],
      [0x200, str('answer')],
      [0x300, [0, 0, 0, 0]],
    ],
  });

describe('compiling and the wall-clock limit', () => {
  it('modules compiled for nested calls count toward the limit; the transaction’s own module does not', () => {
    // about 900 KB: some 150 ms to preprocess and compile here, against a limit of 20 ms
    const { state, contractHash } = install(300_000, Math.floor(Math.random() * 1e9));
    forgetCompiledModules();
    const nested = run(chain, caller(contractHash), { state, timeLimitMs: 20 });
    expect(nested.errorMessage).toBe('Out of gas error');
    expect(nested.timedOut).toBe(true);
    expect(nested.consumed).toBe(3_000_000_000n);
    // the same contract as the transaction's target: its compile is outside the limit
    forgetCompiledModules();
    const direct = run(chain, new Uint8Array(), {
      state,
      timeLimitMs: 20,
      target: { kind: 'contract', contractHash, entryPoint: 'answer' },
    });
    expect(direct.errorMessage).toBeNull();
    // compiled now: the nested call within the same limit succeeds
    expect(run(chain, caller(contractHash), { state, timeLimitMs: 20 }).errorMessage).toBeNull();
  });

  it('the compile cache keeps the 64 modules used last (a hit counts as a use)', () => {
    forgetCompiledModules();
    const session = (salt: number) => wasmModule({ call: [...op.i32(salt), ...op.drop] });
    const hashOf = (wasm: Uint8Array) => chain.storeBlob(wasm);
    const first = session(1_000);
    expect(run(chain, first).errorMessage).toBeNull();
    for (let i = 0; i < 63; i++) run(chain, session(2_000 + i));
    expect(compiledModuleHashes()).toHaveLength(64);
    run(chain, first);
    run(chain, session(3_000));
    const cached = compiledModuleHashes();
    expect(cached).toHaveLength(64);
    expect(cached).toContain(hashOf(first));
    expect(cached).not.toContain(hashOf(session(2_000)));
    expect(cached.at(-1)).toBe(hashOf(session(3_000)));
  });
});
