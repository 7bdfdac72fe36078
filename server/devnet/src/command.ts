import { parseArgs } from 'node:util';
import { X402InputError } from '@x402-casper/shared';
import { startDevnet } from './index.js';

function options(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'block-time': { type: 'string' },
        'chain-name': { type: 'string' },
        genesis: { type: 'string' },
        state: { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new X402InputError('arguments', (error as Error).message);
  }
}

function wholeNumber(value: string | undefined, name: string, fallback: number, max: number) {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n <= max))
    throw new X402InputError(
      `--${name}`,
      `must be a whole number from 0 to ${max}, got "${value}"`,
    );
  return n;
}

/**
 * `x402-casper-devnet` (also `x402-casper devnet`) `[--port 11101] [--host 127.0.0.1]
 * [--block-time 1000] [--chain-name casper-net-1] [--genesis FILE] [--state FILE]`: one JSON
 * ready line on stdout, logs on stderr, runs until SIGINT/SIGTERM (then saves the state with
 * --state).
 */
export async function devnetCommand(args: string[]): Promise<number> {
  const values = options(args);
  if (values.host === '') throw new X402InputError('--host', 'must not be empty');
  const log = (line: string) => process.stderr.write(`devnet: ${line}\n`);
  const devnet = await startDevnet({
    port: wholeNumber(values.port, 'port', 11101, 65535),
    host: values.host,
    blockTimeMs: wholeNumber(values['block-time'], 'block-time', 1000, 3_600_000),
    chainName: values['chain-name'],
    genesis: values.genesis,
    statePath: values.state,
    log,
  });
  const { close, ...ready } = devnet;
  process.stdout.write(`${JSON.stringify({ event: 'ready', ...ready })}\n`);
  log(`listening on ${devnet.rpcUrl} (chain ${devnet.chainName})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: stopping`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await close();
  log('stopped');
  return 0;
}
