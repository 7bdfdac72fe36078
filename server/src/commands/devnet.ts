import { integerOption, parseOptions, UsageError } from '../args.js';
import { startDevnet } from '../devnet/index.js';

/**
 * `x402-casper devnet [--port 11101] [--host 127.0.0.1] [--block-time 1000]
 * [--chain-name casper-net-1] [--genesis FILE] [--state FILE]`: one JSON ready line on stdout,
 * logs on stderr, runs until SIGINT/SIGTERM (then saves the state with --state).
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'block-time': { type: 'string' },
    'chain-name': { type: 'string' },
    genesis: { type: 'string' },
    state: { type: 'string' },
  });
  if (values.host === '') throw new UsageError('--host must not be empty');
  const log = (line: string) => process.stderr.write(`devnet: ${line}\n`);
  const devnet = await startDevnet({
    port: integerOption(values.port, 'port', 11101, 0, 65535),
    host: values.host,
    blockTimeMs: integerOption(values['block-time'], 'block-time', 1000, 0, 3_600_000),
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
