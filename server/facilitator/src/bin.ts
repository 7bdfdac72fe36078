#!/usr/bin/env node
// `x402-casper-facilitator`: the facilitator as a command of its own (see command.ts for its options).
import { X402InputError } from '@x402-casper/shared';
import { facilitatorCommand } from './command.js';

facilitatorCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof X402InputError ? error.message : (error as Error).stack;
    process.stderr.write(`x402-casper-facilitator: ${message}\n`);
    process.exitCode = 1;
  },
);
