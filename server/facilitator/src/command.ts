import { parseArgs } from 'node:util';
import { X402InputError } from '@x402-casper/shared';
import { startFacilitator } from './app.js';
import { loadConfig } from './config.js';

/**
 * `x402-casper-facilitator` (also `x402-casper facilitator`) `[--config FILE]`: verifies and
 * settles x402 payments on Casper. Settings come from the JSON file and X402_FACILITATOR_*
 * environment variables. Prints `{"event":"ready","url":…}` on stdout once listening; logs go
 * to stderr as JSON lines.
 */
export async function facilitatorCommand(args: string[]): Promise<number> {
  let config: string | undefined;
  try {
    config = parseArgs({ args, strict: true, options: { config: { type: 'string' } } }).values
      .config;
  } catch (error) {
    throw new X402InputError('arguments', (error as Error).message);
  }
  const facilitator = await startFacilitator(loadConfig(config, process.env));
  process.stdout.write(`${JSON.stringify({ event: 'ready', url: facilitator.url })}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  facilitator.app.log.info({ signal }, 'shutting down');
  await facilitator.close();
  return 0;
}
