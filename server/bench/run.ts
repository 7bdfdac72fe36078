// `pnpm bench`: runs every benchmark, prints a table, writes .bench/results.json (git-ignored).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cryptoLimit } from './crypto.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const crypto = await cryptoLimit();
const rows = Object.entries(crypto).map(([name, rate]) => [
  `crypto limit: ${name}`,
  `${Math.round(rate.perSecond).toLocaleString('en-US')} verifications/s`,
]);
const width = Math.max(...rows.map(([name]) => name!.length));
process.stdout.write(
  `benchmark (1 core of ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})\n`,
);
for (const [name, value] of rows) process.stdout.write(`  ${name!.padEnd(width)}  ${value}\n`);

mkdirSync(join(root, '.bench'), { recursive: true });
const results = { date: new Date().toISOString(), node: process.version, cryptoLimit: crypto };
writeFileSync(join(root, '.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write('wrote .bench/results.json\n');
