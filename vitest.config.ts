import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    // Integration tests start their own sandbox on port 0; files can run in parallel.
    pool: 'forks',
  },
});
