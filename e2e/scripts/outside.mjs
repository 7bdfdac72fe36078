// Runs the README's examples in a project outside the workspace, as a user of the packages
// would: packs @x402-casper/shared, devnet, facilitator, fastify and e2e with `pnpm pack`,
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
run('pnpm', ['-r', '--filter', './shared', '--filter', './server/*', 'run', 'build'], root);

const project = mkdtempSync(join(tmpdir(), 'x402-casper-outside-'));
const tarballs = join(project, 'tarballs');
mkdirSync(tarballs);
const manifest = (file) => JSON.parse(readFileSync(join(root, file), 'utf8'));
// e2e's prepack copies the built extension into the package and compiles it.
const packed = {};
for (const dir of ['shared', 'server/devnet', 'server/facilitator', 'server/fastify', 'e2e']) {
  run('pnpm', ['pack', '--pack-destination', tarballs], join(root, dir));
  const { name, version } = manifest(`${dir}/package.json`);
  packed[name] = `file:${join(tarballs, `${name.slice(1).replace('/', '-')}-${version}.tgz`)}`;
}

const fastifyVersion = manifest('server/fastify/package.json').devDependencies.fastify;
paywallAlone();

const facilitatorDev = manifest('server/facilitator/package.json').devDependencies;
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
        '@x402/core': facilitatorDev['@x402/core'],
        '@x402/express': facilitatorDev['@x402/express'],
        express: facilitatorDev.express,
        fastify: fastifyVersion,
      },
    },
    null,
    2,
  )}\n`,
);

/**
 * A site that installs only the paywall: @x402-casper/fastify with shared and Fastify, and
 * nothing of the facilitator or the devnet (no native SQLite, no casper-js-sdk, no pg). Its
 * declarations ship, and a paid route answers 402 with what it accepts.
 */
function paywallAlone() {
  const site = join(project, 'paywall-alone');
  mkdirSync(site);
  const { '@x402-casper/shared': shared, '@x402-casper/fastify': paywall } = packed;
  writeFileSync(
    join(site, 'package.json'),
    JSON.stringify({
      name: 'paywall-alone',
      private: true,
      type: 'module',
      dependencies: {
        '@x402-casper/fastify': paywall,
        '@x402-casper/shared': shared,
        fastify: fastifyVersion,
      },
    }),
  );
  writeFileSync(
    join(site, 'check.mjs'),
    `import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import { x402Paywall } from '@x402-casper/fastify';
for (const name of ['better-sqlite3', 'casper-js-sdk', 'pg', '@x402-casper/facilitator', '@x402-casper/devnet']) {
  if (existsSync(\`node_modules/\${name}\`)) throw new Error(\`installing the paywall brought \${name}\`);
}
if (!existsSync('node_modules/@x402-casper/fastify/dist/index.d.ts')) throw new Error('no .d.ts');
const app = Fastify();
await app.register(x402Paywall, {
  facilitator: { url: 'http://127.0.0.1:9' },
  network: 'casper:casper-test',
  payTo: '00${'ab'.repeat(32)}',
});
app.get('/paid', { config: { x402: { price: '0.01' } } }, async () => ({ ok: true }));
const answer = await app.inject('/paid');
if (answer.statusCode !== 402 || !answer.headers['payment-required']) {
  throw new Error(\`expected a 402 with PAYMENT-REQUIRED, got \${answer.statusCode}\`);
}
console.error('[outside] the paywall alone: installed without the facilitator, answers 402');
`,
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], site);
  run('node', ['check.mjs'], site);
}

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
