import { parseOptions } from '../args.js';
import { startFacilitator } from '../facilitator/app.js';
import { loadConfig } from '../facilitator/config.js';

/**
 * `x402-casper facilitator [--config FILE]`: verifies and settles x402 payments on Casper.
 * Settings come from the JSON file and X402_FACILITATOR_* environment variables. Prints
 * `{"event":"ready","url":…}` on stdout once listening; logs go to stderr as JSON lines.
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { config: { type: 'string' } });
  const config = loadConfig(values.config, process.env);
  const facilitator = await startFacilitator(config);
  process.stdout.write(`${JSON.stringify({ event: 'ready', url: facilitator.url })}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  facilitator.app.log.info({ signal }, 'shutting down');
  await facilitator.close();
  return 0;
}
