#!/usr/bin/env node
// The `x402-casper` command: one entry point, one module per subcommand, loaded on demand.
import { X402InputError } from '@x402-casper/shared';
import { UsageError } from './args.js';

interface Command {
  summary: string;
  load: () => Promise<{ main: (args: string[]) => Promise<number | undefined> }>;
}

const commands: Record<string, Command> = {
  demo: {
    summary: 'serve the demo site with paid pages and APIs (--config FILE)',
    load: () => import('./commands/demo.js'),
  },
  devnet: {
    summary: 'run a local Casper network (JSON-RPC, CX402 token, fast blocks)',
    load: async () => ({ main: (await import('@x402-casper/devnet')).devnetCommand }),
  },
  facilitator: {
    summary: 'verify and settle x402 payments on Casper (--config FILE, X402_FACILITATOR_* env)',
    load: async () => ({
      main: (await import('@x402-casper/facilitator')).facilitatorCommand,
    }),
  },
  keygen: {
    summary: 'write a new secret key PEM and print its public key and account hash',
    load: () => import('./commands/keygen.js'),
  },
  pay: {
    summary:
      'fetch a URL, paying its x402 402 with a Casper key (--key FILE --max-amount 0.05 --rpc-url URL)',
    load: () => import('./commands/pay.js'),
  },
  start: {
    summary: 'run everything: devnet, facilitator, demo site, and build the wallet extension',
    load: () => import('./commands/start.js'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `usage: x402-casper <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`x402-casper: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  return (await module.main(args)) ?? 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message =
      error instanceof X402InputError || error instanceof UsageError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`x402-casper: ${message}\n`);
    process.exitCode = 1;
  },
);
