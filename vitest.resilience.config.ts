import { defineConfig } from 'vitest/config';

// `npm run test:resilience`: faults, crashes, concurrency, hostile input and secrets (issue 11).
// Figures are summed by the second global setup's teardown into docs/reliability.md.
export default defineConfig({
  test: {
    include: ['test/resilience/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/resilience/figures-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
