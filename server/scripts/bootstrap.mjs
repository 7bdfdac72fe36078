#!/usr/bin/env node
// Runs a root script through pnpm on a machine that may have only Node and npm.
// Usage: node server/scripts/bootstrap.mjs <root-script> [args...]
// 1. finds pnpm 10 (on PATH, or through `npx pnpm@<version>` without installing it globally);
// 2. installs the workspace with the frozen lockfile when node_modules is missing or stale;
// 3. runs `pnpm run <root-script> [args...]` and exits with its status.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: bootstrap.mjs <root-script> [args...]');
  process.exit(2);
}

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function pnpmCommand() {
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim().startsWith('10.')) return ['pnpm', []];
  return ['npx', ['--yes', pinned]];
}

function installIsCurrent() {
  const marker = join(root, 'node_modules', '.pnpm', 'lock.yaml');
  if (!existsSync(marker)) return false;
  return statSync(marker).mtimeMs >= statSync(join(root, 'pnpm-lock.yaml')).mtimeMs;
}

const [pnpm, prefix] = pnpmCommand();
if (!installIsCurrent()) {
  console.error(`[bootstrap] installing dependencies with ${pinned} (frozen lockfile)`);
  const status = run(pnpm, [...prefix, 'install', '--frozen-lockfile']);
  if (status !== 0) process.exit(status);
}
process.exit(run(pnpm, [...prefix, 'run', script, ...args]));
