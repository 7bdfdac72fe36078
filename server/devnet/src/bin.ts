#!/usr/bin/env node
// `x402-casper-devnet`: the devnet as a command of its own (see command.ts for its options).
import { X402InputError } from '@x402-casper/shared';
import { devnetCommand } from './command.js';

devnetCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof X402InputError ? error.message : (error as Error).stack;
    process.stderr.write(`x402-casper-devnet: ${message}\n`);
    process.exitCode = 1;
  },
);
