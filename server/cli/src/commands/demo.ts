import { parseOptions, UsageError } from '../args.js';
import { createDemoApp } from '../demo/app.js';
import { loadDemoConfig } from '../demo/config.js';

/**
 * `x402-casper demo --config FILE`: serves the demo site until SIGINT/SIGTERM. `X402_DEMO_*`
 * variables override the file (e.g. `X402_DEMO_FACILITATOR_AUTHORIZATION` for an access token).
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { config: { type: 'string' } });
  if (!values.config) throw new UsageError('--config FILE is required');
  const config = loadDemoConfig(values.config, process.env);
  const app = await createDemoApp(config, { level: 'info', stream: process.stderr });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', url: `http://${config.host}:${port}` })}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.close();
  return 0;
}
