// The extension's built bundle (extension/.output/chrome-mv3, made by `wxt build`): the size of
// every script, style and page, raw and gzipped.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot } from './processes.js';

export interface BundleFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface BundleFigures {
  dir: string;
  files: BundleFile[];
  total: { bytes: number; gzipBytes: number };
}

const BUNDLE_DIR = join(repoRoot, 'extension/.output/chrome-mv3');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Sizes of the built extension, or undefined when it has not been built. */
export function bundleSizes(): BundleFigures | undefined {
  if (!existsSync(BUNDLE_DIR)) return undefined;
  const files = walk(BUNDLE_DIR)
    .filter((path) => /\.(js|css|html|json)$/.test(path))
    .map((path) => {
      const bytes = readFileSync(path);
      return {
        file: relative(BUNDLE_DIR, path),
        bytes: bytes.length,
        gzipBytes: gzipSync(bytes, { level: 9 }).length,
      };
    })
    .sort((a, b) => b.bytes - a.bytes);
  const total = files.reduce(
    (sum, f) => ({ bytes: sum.bytes + f.bytes, gzipBytes: sum.gzipBytes + f.gzipBytes }),
    { bytes: 0, gzipBytes: 0 },
  );
  return { dir: relative(repoRoot, BUNDLE_DIR), files, total };
}
