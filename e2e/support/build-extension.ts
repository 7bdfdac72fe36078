import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EXTENSION_DIR, REPO_ROOT } from './paths.js';

/** Builds the extension once before the suites (skip with E2E_SKIP_BUILD=1 after a build). */
export default function buildExtension(): void {
  if (process.env.E2E_SKIP_BUILD === '1' && existsSync(EXTENSION_DIR)) return;
  const result = spawnSync('pnpm', ['--filter', '@x402-casper/extension', 'run', 'build'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`extension build failed (exit ${result.status})`);
  if (!existsSync(EXTENSION_DIR)) throw new Error(`no extension build in ${EXTENSION_DIR}`);
}
