import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Read → decide → act, and who may import whom. A layer imports only the layers listed for it;
// `core` is the neutral module every layer shares and it imports none of them.
const LAYERS = {
  core: [],
  policy: ['core'],
  groq: ['core'],
  github: ['core'],
  sandbox: ['core'],
  // A provider (src/providers/<name>/) speaks its API and maps it to core's domain (docs/provider-port.md).
  providers: ['core'],
  plan: ['core', 'policy'],
  report: ['core', 'policy'],
  apply: ['core', 'policy', 'plan', 'groq', 'github'],
  app: ['core', 'policy', 'plan', 'groq', 'github', 'apply', 'report', 'providers'],
  cli: ['core', 'policy', 'plan', 'groq', 'github', 'apply', 'app', 'sandbox', 'report', 'providers'],
  action: ['core', 'policy', 'plan', 'groq', 'github', 'apply', 'app', 'report', 'providers'],
};

// Until the lead moves the one HTTP transport into core, providers may import it (and nothing else of groq/).
const EXCEPTIONS = { providers: { groq: '(?!transport\\.js$)' } };

const boundaries = Object.entries(LAYERS).map(([layer, allowed]) => {
  const forbidden = Object.keys(LAYERS).filter((other) => other !== layer && !allowed.includes(other));
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: forbidden.map((other) => ({
          regex: `^(\\.\\./)+(src/)?${other}/${EXCEPTIONS[layer]?.[other] ?? ''}`,
          message: `src/${layer}/ may import only ${allowed.length ? allowed.map((a) => `src/${a}/`).join(', ') : 'nothing else in src/'} (see eslint.config.js).`,
        })),
      }],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'src/policy/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...boundaries,
  {
    // Node's recursive mkdir (sync and async) spins forever where a parent exists but cannot hold
    // children (procfs answers ENOENT): src/core/make-dirs.ts creates directories level by level.
    files: ['src/**/*.ts'],
    ignores: ['src/core/make-dirs.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "CallExpression:matches([callee.name=/^mkdir(Sync)?$/], [callee.property.name=/^mkdir(Sync)?$/]) Property[key.name='recursive']",
        message: 'no recursive mkdir: it never returns under a parent that cannot hold children (/proc/x/y). Use makeDirs from src/core/make-dirs.ts.',
      }],
    },
  },
  {
    // Commands are thin shells over src/app/; one command never imports another.
    files: ['src/cli/commands/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\./', message: 'a command must not import another command: move shared code to src/app/ or src/cli/' }] }],
    },
  },
);
