import { defineProject } from 'vitest/config';

export default defineProject({
  // Workspace packages run from their TypeScript source (the `source` export condition).
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: { name: 'facilitator', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
