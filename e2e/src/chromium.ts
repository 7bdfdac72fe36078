import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from '@playwright/test';

/**
 * The built wallet extension this package ships (`extension/` beside `dist/`);
 * `E2E_EXTENSION_DIR` points at another build.
 */
export function extensionDir(): string {
  const dir =
    process.env.E2E_EXTENSION_DIR ?? fileURLToPath(new URL('../extension', import.meta.url));
  if (!existsSync(`${dir}/manifest.json`)) {
    throw new Error(`no built wallet extension in ${dir} (set E2E_EXTENSION_DIR to one)`);
  }
  return dir;
}

/**
 * The Chromium to run: `CHROMIUM_PATH` when set; else Playwright's own build when it is
 * installed; else Debian's `/usr/bin/chromium`.
 */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const own = chromium.executablePath();
  return own && existsSync(own) ? own : '/usr/bin/chromium';
}

export interface LaunchOptions {
  headless: boolean;
  /** More Chromium flags, e.g. `--host-resolver-rules=…`. */
  args?: string[];
}

/** Chromium on `profileDir` with only the wallet extension loaded, without network noise. */
export function launchChromium(
  profileDir: string,
  options: LaunchOptions,
): Promise<BrowserContext> {
  const extension = extensionDir();
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: options.headless,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [
      `--disable-extensions-except=${extension}`,
      `--load-extension=${extension}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.args ?? []),
    ],
    viewport: { width: 1100, height: 800 },
  });
}
