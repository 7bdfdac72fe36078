import { defineProject } from 'vitest/config';

/**
 * The fast tier (`pnpm test:unit`, X402_TEST_TIER=unit): this package's tests that need no
 * devnet, database or child process. The others run in the full `vitest run`.
 */
const UNIT = [
  'test/blocks.test.ts',
  'test/config-table.test.ts',
  'test/config.test.ts',
  'test/core.test.ts',
  'test/http.test.ts',
  'test/openapi.test.ts',
  'test/signature.test.ts',
  'test/transaction.test.ts',
];
const unitTier = process.env.X402_TEST_TIER === 'unit';

export default defineProject({
  // Workspace packages run from their TypeScript source (the `source` export condition).
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    name: 'facilitator',
    include: unitTier ? UNIT : ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
