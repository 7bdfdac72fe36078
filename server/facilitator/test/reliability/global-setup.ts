// Creates the folder the reliability files record their figures in, and at the end prints the
// totals (and writes them to .bench/reliability.json).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@x402-casper/testing';
import type { TestProject } from 'vitest/node';
import type { Figures } from './figures.js';
import { PROFILE } from './profile.js';

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'x402-reliability-'));
  project.provide('figuresDir', dir);
  return () => {
    const files = readdirSync(dir).filter((name) => name.endsWith('.json'));
    const byFile = Object.fromEntries(
      files.map((name) => [
        name.replace(/\.json$/, ''),
        JSON.parse(readFileSync(join(dir, name), 'utf8')) as Figures,
      ]),
    );
    const total = { cases: 0, faults: 0, settlementsChecked: 0, duplicates: 0 };
    for (const figures of Object.values(byFile)) {
      total.cases += figures.cases;
      total.faults += figures.faults;
      total.settlementsChecked += figures.settlementsChecked;
      total.duplicates += figures.duplicates;
    }
    const lines = [
      `\nreliability figures (profile ${PROFILE.name})`,
      `  ${'part'.padEnd(12)} ${'cases'.padStart(8)} ${'faults'.padStart(8)} ${'settlements'.padStart(12)} ${'duplicates'.padStart(11)}`,
      ...Object.entries(byFile).map(
        ([name, f]) =>
          `  ${name.padEnd(12)} ${String(f.cases).padStart(8)} ${String(f.faults).padStart(8)} ${String(f.settlementsChecked).padStart(12)} ${String(f.duplicates).padStart(11)}`,
      ),
      `  ${'total'.padEnd(12)} ${String(total.cases).padStart(8)} ${String(total.faults).padStart(8)} ${String(total.settlementsChecked).padStart(12)} ${String(total.duplicates).padStart(11)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    mkdirSync(join(repoRoot, '.bench'), { recursive: true });
    writeFileSync(
      join(repoRoot, '.bench', 'reliability.json'),
      `${JSON.stringify({ date: new Date().toISOString(), profile: PROFILE.name, total, byFile }, null, 2)}\n`,
    );
    process.stdout.write('wrote .bench/reliability.json\n');
    rmSync(dir, { recursive: true, force: true });
  };
}
