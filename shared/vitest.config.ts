import { defineProject } from 'vitest/config';

// `pnpm test:unit` (X402_TEST_TIER=unit) runs the fast tier: all of shared's tests but the one
// that runs the built package in a plain Node process.
const unitTier = process.env.X402_TEST_TIER === 'unit';

export default defineProject({
  resolve: { conditions: ['source'] },
  test: {
    name: 'shared',
    include: ['test/**/*.test.ts'],
    exclude: unitTier ? ['**/node_modules/**', 'test/package.test.ts'] : ['**/node_modules/**'],
  },
});
