// Why an execution stops, in the words of a node's execution result: casper-network/casper-node
// execution_engine/src/execution/error.rs (ExecError's Display: `Out of gas error`,
// `Interpreter error: …`, a revert's ApiError) and casper-wasmi's Error → String conversion
// (src/lib.rs: a Wasm trap is `trap: {:?}` of its Trap, e.g. `trap: Code(Unreachable)`;
// core/src/trap.rs names the trap codes).
import { apiErrorMessage } from './api-error.js';
import { BytesreprError } from './bytesrepr.js';
import { wasm } from './webassembly.js';

export class ExecutionFailure extends Error {}

export class RevertSignal extends ExecutionFailure {
  constructor(readonly code: number) {
    super(apiErrorMessage(code));
  }
}

/** Gas ran out, or the execution ran past the devnet's wall-clock limit (reported alike). */
export class OutOfGas extends ExecutionFailure {
  constructor(readonly timedOut = false) {
    super('Out of gas error');
  }
}

/** `casper_ret`: the entry point returns its value. */
export class RetSignal extends Error {}

export const interpreterError = (reason: string) =>
  new ExecutionFailure(`Interpreter error: ${reason}`);

/** V8's trap messages and the casper-wasmi TrapCode each stands for. */
const TRAP_CODES: Array<[RegExp, string]> = [
  [/^unreachable/, 'Unreachable'],
  [/^memory access out of bounds/, 'MemoryAccessOutOfBounds'],
  [/^table index is out of bounds/, 'TableAccessOutOfBounds'],
  [/function signature mismatch/, 'UnexpectedSignature'],
  [/^(divide|remainder) by zero/, 'DivisionByZero'],
  [/^divide result unrepresentable/, 'IntegerOverflow'],
  [/^float unrepresentable/, 'InvalidConversionToInt'],
];

/** The error message a node's execution result would carry for `failure`. */
export function failureMessage(failure: unknown): string {
  if (failure instanceof ExecutionFailure) return failure.message;
  if (failure instanceof BytesreprError) return `Serialization error: ${failure.message}`;
  if (failure instanceof wasm.RuntimeError) {
    const code = TRAP_CODES.find(([pattern]) => pattern.test(failure.message))?.[1];
    return `Interpreter error: trap: ${code ? `Code(${code})` : failure.message}`;
  }
  if (failure instanceof RangeError && /call stack/i.test(failure.message)) {
    return 'Interpreter error: trap: Code(StackOverflow)';
  }
  return `Interpreter error: ${failure instanceof Error ? failure.message : String(failure)}`;
}
