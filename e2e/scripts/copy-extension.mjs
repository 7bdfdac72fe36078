// Copies the built wallet extension into this package (`extension/`), which ships it.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../../extension/.output/chrome-mv3', import.meta.url));
const shipped = fileURLToPath(new URL('../extension', import.meta.url));
if (!existsSync(`${built}/manifest.json`)) {
  console.error(`no extension build in ${built}: run pnpm --filter @x402-casper/extension build`);
  process.exit(1);
}
rmSync(shipped, { recursive: true, force: true });
cpSync(built, shipped, { recursive: true });
