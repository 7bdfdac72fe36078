// Executing a transaction's Wasm against the world state: session module bytes (install or
// upgrade, entry `call`) or a stored contract's entry point. Effects reach the state only on
// success, as execution_engine/src/execution/executor.rs commits a tracking copy (feat-2.0).
import { hexToBytes } from '@x402-casper/shared';
import type { WorldState } from '../state.js';
import { readRuntimeArgs } from './bytesrepr.js';
import { Execution } from './host.js';
import { resolveVersion } from './host-support.js';
import { effectJson } from './json.js';
import { Overlay, wasmValue } from './store.js';

/** How a transaction names the Wasm it runs. */
export type WasmTarget =
  | { kind: 'session'; blob: string; installUpgrade: boolean }
  | { kind: 'package'; packageHash: string; version: number | null; entryPoint: string }
  | { kind: 'contract'; contractHash: string; entryPoint: string };

export interface WasmCall {
  target: WasmTarget;
  /** RuntimeArgs bytes, hex. */
  args: string;
}

export interface WasmResult {
  errorMessage: string | null;
  consumed: bigint;
  /** Stopped by the wall-clock limit (the error then reads `Out of gas error`). */
  timedOut: boolean;
  effects: Array<{ key: string; kind: unknown }>;
}

export interface WasmContext {
  initiator: string;
  txHash: string;
  blockTimeMs: number;
  gasLimit: bigint;
  /** Wall-clock limit of the execution (the host's default unless given). */
  timeLimitMs?: number;
  blob(hash: string): Uint8Array | undefined;
}

/** The contract a stored target calls in `state`, or a failure message as a node words it. */
export function contractOfTarget(
  state: WorldState,
  target: Exclude<WasmTarget, { kind: 'session' }>,
): { contractHash: string } | { error: string } {
  if (target.kind === 'contract') return { contractHash: target.contractHash };
  const entry = wasmValue(state, `hash-${target.packageHash}`);
  if (!entry || !('ContractPackage' in entry)) {
    return { error: `Key hash-${target.packageHash} not found` };
  }
  try {
    return {
      contractHash: resolveVersion(target.packageHash, entry.ContractPackage, target.version),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Runs the call on `state` (mutated only on success). */
export function executeWasm(state: WorldState, call: WasmCall, context: WasmContext): WasmResult {
  const overlay = new Overlay(state);
  const execution = new Execution({ overlay, ...context });
  let args: Map<string, import('./bytesrepr.js').StoredCLValue>;
  try {
    args = readRuntimeArgs(hexToBytes(call.args));
  } catch {
    return {
      errorMessage: 'Serialization error: invalid runtime args',
      consumed: 0n,
      timedOut: false,
      effects: [],
    };
  }
  let outcome: ReturnType<Execution['run']>;
  if (call.target.kind === 'session') {
    outcome = execution.run({ kind: 'session', wasmBlob: call.target.blob }, args);
  } else {
    const resolved = contractOfTarget(state, call.target);
    if ('error' in resolved) {
      return { errorMessage: resolved.error, consumed: 0n, timedOut: false, effects: [] };
    }
    outcome = execution.run(
      { kind: 'stored', contractHash: resolved.contractHash, entryPoint: call.target.entryPoint },
      args,
    );
  }
  if (outcome.error !== null) {
    return {
      errorMessage: outcome.error,
      consumed: outcome.consumed,
      timedOut: outcome.timedOut,
      effects: [],
    };
  }
  const effects = overlay.writtenKeys().map((key) => {
    const entry = overlay.get(key)!;
    return effectJson(key.startsWith('uref-') ? `${key}-007` : key, entry);
  });
  overlay.commit(state);
  return { errorMessage: null, consumed: outcome.consumed, timedOut: false, effects };
}
