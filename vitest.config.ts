import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real PTYs and real git: keep parallelism modest on 2 cores.
    maxWorkers: 2,
    pool: 'forks',
  },
});
