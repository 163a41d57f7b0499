import { defineConfig } from 'vitest/config';

/**
 * Only the tests that run the bundle (`bin/groq-rbac.js` → dist/cli.js, `node dist/action.js`) need
 * it built first: they are the `bundle` project, whose global setup builds it. Vitest calls a
 * project's global setup only when one of its files is queued, so `npx vitest run test/unit/…`
 * starts at once. A new test that spawns dist/ belongs in BUNDLE_TESTS.
 */
const BUNDLE_TESTS = [
  'test/integration/action.test.ts',
  'test/integration/action-openai.test.ts',
  'test/integration/cli-commands.test.ts',
  'test/integration/sandbox-process.test.ts',
  'test/security/mkdir.test.ts',
  'test/security/output.test.ts',
];

const shared = {
  testTimeout: 20_000,
  // Integration tests start their own sandbox on port 0; files can run in parallel.
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          // The resilience suite has its own command and config: npm run test:resilience.
          exclude: ['test/resilience/**', 'node_modules/**', ...BUNDLE_TESTS],
          ...shared,
        },
      },
      { test: { name: 'bundle', include: BUNDLE_TESTS, globalSetup: ['test/global-setup.ts'], ...shared } },
    ],
  },
});
