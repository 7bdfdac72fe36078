#!/usr/bin/env node
// Runs a root script through pnpm on a machine that may have only Node and npm.
// Usage: node server/cli/scripts/bootstrap.mjs <root-script> [args...]
// 1. finds pnpm 10 on PATH, or installs the pinned pnpm into .x402-casper/tools with npm and puts
//    it on PATH (so scripts that call `pnpm` work too);
// 2. installs the workspace with the frozen lockfile when node_modules is missing or stale;
// 3. runs `pnpm run <root-script> [args...]` and exits with its status.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
const tools = join(root, '.x402-casper', 'tools');
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

function hasPnpm10() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim().startsWith('10.');
}

function ensurePnpm() {
  process.env.PATH = [join(tools, 'node_modules', '.bin'), process.env.PATH].join(delimiter);
  if (hasPnpm10()) return;
  console.error(`[bootstrap] installing ${pinned} into .x402-casper/tools`);
  const status = run('npm', [
    'install',
    '--no-save',
    '--no-package-lock',
    '--prefix',
    tools,
    pinned,
  ]);
  if (status !== 0 || !hasPnpm10()) {
    console.error('[bootstrap] could not install pnpm 10 with npm');
    process.exit(1);
  }
}

function installIsCurrent() {
  const marker = join(root, 'node_modules', '.pnpm', 'lock.yaml');
  if (!existsSync(marker)) return false;
  return statSync(marker).mtimeMs >= statSync(join(root, 'pnpm-lock.yaml')).mtimeMs;
}

ensurePnpm();
if (!installIsCurrent()) {
  console.error(`[bootstrap] installing dependencies with ${pinned} (frozen lockfile)`);
  const status = run('pnpm', ['install', '--frozen-lockfile']);
  if (status !== 0) process.exit(status);
}
process.exit(run('pnpm', ['run', script, ...args]));
