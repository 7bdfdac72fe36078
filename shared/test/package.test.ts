import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const shared = fileURLToPath(new URL('..', import.meta.url));
// A package of the workspace that depends on shared: the paywall.
const dependent = fileURLToPath(new URL('../../server/fastify', import.meta.url));

describe('the shared package', () => {
  it('imports from plain Node through its built entry point', () => {
    // No `source` condition here: Node resolves the package's `default` export, `dist/index.js`,
    // which the workspace's `pnpm build` (run by `pnpm test`) produces.
    const publicKey = '0143a72e714401762df66b68c26dfbdf2682aaec9f2474eca4613e424a0fbafd3c';
    const script = `import('@x402-casper/shared').then((m) => console.log(m.accountHashOf('${publicKey}')))`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dependent,
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('8866b1b964ac0eb4799ee1e91cebfa85df75de7ab47b279a39712015d4886b56');
  });

  it('bundles for an MV3 service worker: browser platform, no eval, no Function constructor', async () => {
    const result = await build({
      entryPoints: [`${shared}/src/index.ts`],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      minify: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect(code.length).toBeGreaterThan(10_000);
    expect(code).not.toMatch(/\beval\(/);
    expect(code).not.toMatch(/new Function\(|\bFunction\(/);
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });
});
