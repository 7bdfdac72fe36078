// Runs the Go-peer emulators as a process, for suites that need them outside vitest (the
// Playwright e2e): `node --conditions=source --import tsx server/test/peers/run.ts CONFIG`.
// CONFIG is a JSON file:
//   { "goFacilitator"?: { network, rpcUrl, feePayerPem, accessTokens?, pollIntervalMs? },
//     "exampleServer"?: { facilitatorUrl? (default: the goFacilitator above), facilitatorApiKey?,
//                          payTo, network, assetPackage } }
// Prints one line {"event":"ready","goFacilitator":url?,"exampleServer":url?} and runs until
// SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { secretKeyFromPem } from '@x402-casper/shared';
import { type GoExampleServer, startGoExampleServer } from './go-example-server.js';
import { type GoFacilitator, startGoFacilitator } from './go-facilitator.js';

interface RunConfig {
  goFacilitator?: {
    network: string;
    rpcUrl: string;
    feePayerPem: string;
    accessTokens?: string[];
    pollIntervalMs?: number;
  };
  exampleServer?: {
    facilitatorUrl?: string;
    facilitatorApiKey?: string;
    payTo: string;
    network: string;
    assetPackage: string;
  };
}

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: run.ts CONFIG.json\n');
  process.exit(2);
}
const config = JSON.parse(readFileSync(file, 'utf8')) as RunConfig;

let facilitator: GoFacilitator | undefined;
let server: GoExampleServer | undefined;
if (config.goFacilitator) {
  const { feePayerPem, ...rest } = config.goFacilitator;
  facilitator = await startGoFacilitator({ ...rest, feePayer: secretKeyFromPem(feePayerPem) });
}
if (config.exampleServer) {
  const facilitatorUrl = config.exampleServer.facilitatorUrl ?? facilitator?.url;
  if (!facilitatorUrl) throw new Error('exampleServer.facilitatorUrl is required');
  server = await startGoExampleServer({ ...config.exampleServer, facilitatorUrl });
  if (server.initError) process.stderr.write(`warning: ${server.initError}\n`);
}
process.stdout.write(
  `${JSON.stringify({ event: 'ready', goFacilitator: facilitator?.url, exampleServer: server?.url })}\n`,
);

const stop = async () => {
  await server?.close();
  await facilitator?.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
