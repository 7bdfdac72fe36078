import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const shipped = fileURLToPath(new URL('../extension/manifest.json', import.meta.url));

function run(args: string[]) {
  // Without NODE_OPTIONS: the source condition is for the tests, not for WXT's build.
  const { NODE_OPTIONS: _, ...env } = process.env;
  const result = spawnSync('pnpm', args, {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`pnpm ${args.join(' ')} failed (exit ${result.status})`);
}

/**
 * Builds the extension and copies it into this package, where the fixtures load it from (skip
 * with E2E_SKIP_BUILD=1 after a build).
 */
export default function buildExtension(): void {
  if (process.env.E2E_SKIP_BUILD === '1' && existsSync(shipped)) return;
  run(['--filter', '@x402-casper/extension', 'run', 'build']);
  run(['--filter', '@x402-casper/e2e', 'exec', 'node', 'scripts/copy-extension.mjs']);
}
