import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built extension; E2E_EXTENSION_DIR points at another build (e.g. of an older commit). */
export const EXTENSION_DIR =
  process.env.E2E_EXTENSION_DIR ?? join(REPO_ROOT, 'extension', '.output', 'chrome-mv3');
export const CLI = join(REPO_ROOT, 'server', 'src', 'cli.ts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
