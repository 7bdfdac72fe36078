// `pnpm test:reliability`: fuzzing, faults, SIGKILL and sustained load against real processes.
// Not part of the default `vitest run`; files end in .reliability.ts so the facilitator project's
// test/**/*.test.ts never picks them up. X402_RELIABILITY=short shrinks every loop (for CI).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    name: 'reliability',
    include: ['test/reliability/**/*.reliability.ts'],
    globalSetup: ['test/reliability/global-setup.ts'],
    // One file at a time: they measure processes and share 2 cores.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
