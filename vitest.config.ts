import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The resilience suite has its own command and config: npm run test:resilience.
    exclude: ['test/resilience/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    // Integration tests start their own sandbox on port 0; files can run in parallel.
    pool: 'forks',
  },
});
