import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EXTENSION_DIR = join(REPO_ROOT, 'extension', '.output', 'chrome-mv3');
export const CLI = join(REPO_ROOT, 'server', 'src', 'cli.ts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
