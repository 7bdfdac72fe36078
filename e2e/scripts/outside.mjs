// Runs the README's examples in a project outside the workspace, as a user of the packages
// would: packs @x402-casper/shared, @x402-casper/server and @x402-casper/e2e with `pnpm pack`,
// installs the tarballs (and @playwright/test, fastify, express, @x402/*) with npm in a temporary
// folder, writes every ```ts block of README.md whose first line is `// <path>` there, and runs
// `playwright test`. The browser is whatever the fixtures pick (no CHROMIUM_PATH is set here).
// E2E_SKIP_BUILD=1 skips building the extension (after a build). Exits with Playwright's status.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2e = fileURLToPath(new URL('..', import.meta.url));
const root = join(e2e, '..');
// Without NODE_OPTIONS (the source condition is for the workspace) and without CHROMIUM_PATH.
const { NODE_OPTIONS: _options, CHROMIUM_PATH: _chromium, ...env } = process.env;

function run(command, args, cwd) {
  console.error(`[outside] ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    console.error(`[outside] ${command} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

if (process.env.E2E_SKIP_BUILD !== '1') {
  run('pnpm', ['--filter', '@x402-casper/extension', 'run', 'build'], root);
}
run('pnpm', ['-r', '--filter', './shared', '--filter', './server', 'run', 'build'], root);

const project = mkdtempSync(join(tmpdir(), 'x402-casper-outside-'));
const tarballs = join(project, 'tarballs');
mkdirSync(tarballs);
const manifest = (file) => JSON.parse(readFileSync(join(root, file), 'utf8'));
// e2e's prepack copies the built extension into the package and compiles it.
const packed = {};
for (const dir of ['shared', 'server', 'e2e']) {
  run('pnpm', ['pack', '--pack-destination', tarballs], join(root, dir));
  const { name, version } = manifest(`${dir}/package.json`);
  packed[name] = `file:./tarballs/${name.slice(1).replace('/', '-')}-${version}.tgz`;
}

const server = manifest('server/package.json');
const dev = manifest('e2e/package.json').devDependencies;
writeFileSync(
  join(project, 'package.json'),
  `${JSON.stringify(
    {
      name: 'x402-casper-outside',
      private: true,
      type: 'module',
      dependencies: {
        ...packed,
        '@playwright/test': dev['@playwright/test'],
        '@x402/core': server.devDependencies['@x402/core'],
        '@x402/express': server.devDependencies['@x402/express'],
        express: server.devDependencies.express,
        fastify: server.dependencies.fastify,
      },
    },
    null,
    2,
  )}\n`,
);

const readme = readFileSync(join(e2e, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n\/\/ (\S+)\n([\s\S]*?)```/g)];
if (blocks.length === 0) throw new Error('README.md has no ```ts block naming its file');
for (const [, path, code] of blocks) {
  mkdirSync(dirname(join(project, path)), { recursive: true });
  writeFileSync(join(project, path), code);
  console.error(`[outside] wrote ${path} from README.md`);
}

run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], project);
const result = spawnSync('npx', ['playwright', 'test', '--reporter=list'], {
  cwd: project,
  env,
  stdio: 'inherit',
});
if (result.status === 0) rmSync(project, { recursive: true, force: true });
else console.error(`[outside] failed; the project is kept in ${project}`);
process.exit(result.status ?? 1);
