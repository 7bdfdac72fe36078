import { defineProject } from 'vitest/config';

/**
 * The fast tier (`pnpm test:unit`, X402_TEST_TIER=unit): this package's tests that need no
 * devnet, database or child process. The others run in the full `vitest run`.
 */
const UNIT = ['test/transaction-builder.test.ts'];
const unitTier = process.env.X402_TEST_TIER === 'unit';

export default defineProject({
  // Workspace packages run from their TypeScript source (the `source` export condition).
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: { name: 'devnet', include: unitTier ? UNIT : ['test/**/*.test.ts'], testTimeout: 30_000 },
});
