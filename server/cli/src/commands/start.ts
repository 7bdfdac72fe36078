import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devAccount, startDevnet } from '@x402-casper/devnet';
import { parseConfig, startFacilitator } from '@x402-casper/facilitator';
import { addressOfPublicKey, secretKeyToPem } from '@x402-casper/shared';
import { integerOption, parseOptions } from '../args.js';
import { createDemoApp } from '../demo/app.js';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const extensionDir = join(repoRoot, 'extension');
const extensionOutput = join(extensionDir, '.output', 'chrome-mv3');

/** Builds the wallet extension with WXT; returns where it is, or why it is not. */
function buildExtension(): { dir: string } | { error: string } {
  const manifest = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  if (!manifest.scripts?.build) return { error: 'the extension package has no build script yet' };
  const result = spawnSync('pnpm', ['--filter', '@x402-casper/extension', 'run', 'build'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0)
    return { error: `the extension build failed (exit ${result.status ?? result.signal})` };
  return existsSync(extensionOutput)
    ? { dir: extensionOutput }
    : { error: `no build output in ${extensionOutput}` };
}

/**
 * `x402-casper start`: the whole product on this machine. Starts the devnet (state kept in
 * the data folder), the facilitator and the demo site in this process, builds the extension,
 * writes a funded demo payer key, and prints how to use it all. Ctrl-C stops everything.
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    'data-dir': { type: 'string', default: '.x402-casper' },
    'devnet-port': { type: 'string' },
    'facilitator-port': { type: 'string' },
    'demo-port': { type: 'string' },
    'block-time': { type: 'string' },
    'skip-extension': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const dataDir = resolve(values['data-dir']);
  mkdirSync(join(dataDir, 'keys'), { recursive: true });
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const blockTimeMs = integerOption(values['block-time'], 'block-time', 1000, 0);
  const devnet = await startDevnet({
    port: integerOption(values['devnet-port'], 'devnet-port', 11101, 0, 65535),
    blockTimeMs,
    statePath: join(dataDir, 'devnet-state.json'),
    log: (line) => log(`[devnet] ${line}`),
  });
  const token = devnet.tokens[0]!;
  const feePayer = devAccount('facilitator');
  const merchant = devAccount('merchant');
  const payer = devAccount('alice');
  const payerKeyFile = join(dataDir, 'keys', 'demo-payer.pem');
  writeFileSync(payerKeyFile, secretKeyToPem(payer.secretKey), { mode: 0o600 });

  const apiKey = randomBytes(24).toString('hex');
  const facilitator = await startFacilitator(
    parseConfig({
      host: '127.0.0.1',
      port: integerOption(values['facilitator-port'], 'facilitator-port', 4022, 0, 65535),
      apiKeys: [apiKey],
      database: join(dataDir, 'facilitator.sqlite'),
      logLevel: 'warn',
      networks: [
        {
          network: devnet.network,
          rpcUrl: devnet.rpcUrl,
          secretKeyPem: secretKeyToPem(feePayer.secretKey),
          blockIntervalMs: blockTimeMs,
          assets: [
            {
              packageHash: token.packageHash,
              domainName: token.domainName,
              version: '1',
              decimals: token.decimals,
              symbol: token.symbol,
            },
          ],
        },
      ],
    }),
  );
  const demo = await createDemoApp({
    host: '127.0.0.1',
    port: integerOption(values['demo-port'], 'demo-port', 4021, 0, 65535),
    facilitatorUrl: facilitator.url,
    facilitatorApiKey: apiKey,
    network: devnet.network,
    payTo: addressOfPublicKey(merchant.publicKey),
    asset: {
      packageHash: token.packageHash,
      name: token.name,
      version: '1',
      decimals: token.decimals,
      symbol: token.symbol,
    },
  });
  await demo.listen({
    host: '127.0.0.1',
    port: integerOption(values['demo-port'], 'demo-port', 4021, 0, 65535),
  });
  const demoAddress = demo.server.address();
  const demoUrl = `http://127.0.0.1:${typeof demoAddress === 'object' && demoAddress ? demoAddress.port : 0}`;

  const extension = values['skip-extension']
    ? { error: 'skipped (--skip-extension)' }
    : buildExtension();
  const summary = {
    event: 'ready',
    devnet: { rpcUrl: devnet.rpcUrl, network: devnet.network, token },
    facilitatorUrl: facilitator.url,
    demoUrl,
    payer: {
      keyFile: payerKeyFile,
      publicKey: payer.publicKey,
      address: addressOfPublicKey(payer.publicKey),
    },
    extension: 'dir' in extension ? extension.dir : null,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const lines = [
      '',
      'x402-casper is running',
      '',
      `  demo site        ${demoUrl}`,
      `  facilitator      ${facilitator.url}   (API key in this process only)`,
      `  devnet JSON-RPC  ${devnet.rpcUrl}   network ${devnet.network}`,
      `  token            ${token.name} (${token.symbol}, ${token.decimals} decimals)  package ${token.packageHash}`,
      '',
      `  demo payer key   ${payerKeyFile}`,
      `                   ${payer.publicKey}  (funded with ${token.symbol} and CSPR on the devnet)`,
      '',
      'wallet extension:',
      'dir' in extension
        ? [
            `  built in ${extension.dir}`,
            '  Chromium: open chrome://extensions, turn on Developer mode, "Load unpacked", choose that folder;',
            '  then import the demo payer key file in the wallet and open the demo site.',
          ].join('\n')
        : `  not built: ${extension.error}`,
      '',
      `headless: npm run x402-casper -- pay ${demoUrl}/api/weather?city=Zug --key ${payerKeyFile} --rpc-url ${devnet.rpcUrl}`,
      '',
      `Ctrl-C stops everything (devnet state is kept in ${dataDir}).`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  }

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  log('stopping…');
  await demo.close();
  await facilitator.close();
  await devnet.close();
  return 0;
}
