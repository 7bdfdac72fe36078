// How the benchmarks of every package print their figures and record them: a titled section of
// rows on stdout, and the same figures as JSON in .bench/<name>.json at the repository's root.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const formatNumber = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const ms = (value: number) => `${formatNumber(value, value < 10 ? 1 : 0)} ms`;
export const kib = (bytes: number) => `${formatNumber(bytes / 1024, 1)} KiB`;

export function section(title: string, rows: Array<[string, string]>): void {
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`\n${title}\n`);
  for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(width)}  ${value}\n`);
}

/** The machine line every benchmark starts with; returns the load average it saw. */
export function benchHeader(name: string): number[] {
  const load = loadavg();
  process.stdout.write(
    `${name}: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ` +
      `load average ${load.map((l) => l.toFixed(1)).join(' ')}\n`,
  );
  return load;
}

/** Writes .bench/<name>.json with the machine and the figures; returns its path. */
export function writeBenchResults(name: string, figures: Record<string, unknown>): string {
  const path = join(repoRoot, '.bench', `${name}.json`);
  mkdirSync(join(repoRoot, '.bench'), { recursive: true });
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: { model: cpus()[0]?.model, cores: cpus().length },
    ...figures,
  };
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}
