// The devnet's benchmark (part of the root `pnpm bench`): the Wasm host running the real
// Cep18X402 binary in process. Prints a table and writes .bench/devnet.json.
import { benchHeader, formatNumber, ms, section, writeBenchResults } from '@x402-casper/testing';
import { WASM_PATH, wasmBench } from './wasm.js';

/** Issue 14's target for one Wasm transfer_with_authorization's CPU in a block. */
const TARGET_MS = 20;

benchHeader('devnet benchmark');
const wasm = wasmBench();
const judged = (value: number) =>
  `${value <= TARGET_MS ? 'meets' : 'misses'} the ≤ ${TARGET_MS} ms target`;
section(
  'devnet Wasm host (real Cep18X402 binary, in process, 1 core)',
  wasm
    ? [
        [
          'install (SessionBuilder, 424 KB), first / compiled module cached',
          `${ms(wasm.installMs.first)} / ${ms(wasm.installMs.cached)}, gas ${formatNumber(Number(wasm.installGas) / 1e9, 1)} CSPR`,
        ],
        [
          'CPU per transfer_with_authorization, Wasm / JS token',
          `${ms(wasm.executionMs.wasm)} / ${ms(wasm.executionMs.js)} (gas ${formatNumber(Number(wasm.transferWithAuthorizationGas) / 1e9, 2)} CSPR metered); Wasm ${judged(wasm.executionMs.wasm)}`,
        ],
        [
          `settlements executed per CPU second, ${wasm.blockSize} per block, Wasm / JS token`,
          `${formatNumber(wasm.perSecond.wasm)} / ${formatNumber(wasm.perSecond.js)} /s`,
        ],
      ]
    : [['skipped', `${WASM_PATH} is absent`]],
);
const path = writeBenchResults('devnet', {
  wasm: wasm ?? null,
  targets: wasm
    ? {
        transferWithAuthorizationMs: { target: TARGET_MS, met: wasm.executionMs.wasm <= TARGET_MS },
      }
    : null,
});
process.stdout.write(`\nwrote ${path}\n`);
