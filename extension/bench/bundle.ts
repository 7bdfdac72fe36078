// The extension's benchmark (part of the root `pnpm bench`): the size of every script, style
// and page of the built bundle (.output/chrome-mv3, made by `wxt build`), raw and gzipped.
// Prints a table and writes .bench/extension.json.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { benchHeader, kib, repoRoot, section, writeBenchResults } from '@x402-casper/testing';

const BUNDLE_DIR = fileURLToPath(new URL('../.output/chrome-mv3', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

benchHeader('extension benchmark');
if (!existsSync(BUNDLE_DIR)) {
  section('extension bundle', [['not built', `${relative(repoRoot, BUNDLE_DIR)} is missing`]]);
  writeBenchResults('extension', { bundle: null });
} else {
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
  section('extension bundle (wxt build)', [
    ...files
      .filter((f) => f.file.endsWith('.js'))
      .map((f): [string, string] => [f.file, `${kib(f.bytes)} (${kib(f.gzipBytes)} gzip)`]),
    [`total (${files.length} files)`, `${kib(total.bytes)} (${kib(total.gzipBytes)} gzip)`],
  ]);
  writeBenchResults('extension', { bundle: { dir: relative(repoRoot, BUNDLE_DIR), files, total } });
}
