import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Read → decide → act, and who may import whom. A layer imports only the layers listed for it;
// `core` is the neutral module every layer shares (groq-rbac's domain: live state in its own terms,
// the provider port, neutral errors) and it imports none of them. `net` is the one HTTP transport.
//
//   core < net < policy / providers / github / sandbox < plan / report < apply < app < cli / action
//
// plan/, report/ and policy/ speak the domain only: they never import a provider. apply/ and app/
// reach an organization only through the port (core/provider.ts); app/ picks the provider from the
// registry (providers/index.ts). Providers are the only code that knows paths, payloads and how
// groq-rbac's bookkeeping is encoded.
const LAYERS = {
  core: [],
  net: ['core'],
  policy: ['core'],
  providers: ['core', 'net'],
  github: ['core', 'net'],
  sandbox: ['core'],
  plan: ['core', 'policy'],
  report: ['core', 'policy'],
  apply: ['core', 'net', 'policy', 'plan', 'github'],
  app: ['core', 'net', 'policy', 'plan', 'providers', 'github', 'apply', 'report'],
  cli: ['core', 'net', 'policy', 'plan', 'providers', 'github', 'apply', 'app', 'sandbox', 'report'],
  action: ['core', 'net', 'policy', 'plan', 'providers', 'github', 'apply', 'app', 'report'],
};

const boundaries = Object.entries(LAYERS).map(([layer, allowed]) => {
  const forbidden = Object.keys(LAYERS).filter((other) => other !== layer && !allowed.includes(other));
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((other) => ({
            regex: `^(\\.\\./)+(src/)?${other}/`,
            message: `src/${layer}/ may import only ${allowed.length ? allowed.map((a) => `src/${a}/`).join(', ') : 'nothing else in src/'} (see eslint.config.js).`,
          })),
        },
      ],
    },
  };
});

// The sandbox serves each provider's wire format: it may share a provider's wire types (type-only
// modules, `providers/<name>/wire.ts`) and nothing else of a provider.
const SANDBOX_WIRE = {
  files: ['src/sandbox/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...Object.keys(LAYERS)
            .filter((other) => other !== 'sandbox' && !['core', 'providers'].includes(other))
            .map((other) => ({
              regex: `^(\\.\\./)+(src/)?${other}/`,
              message: `src/sandbox/ may import only src/core/ and providers' wire types (see eslint.config.js).`,
            })),
          {
            regex: '^(\\.\\./)+(src/)?providers/(?![a-z0-9-]+/wire\\.js$)',
            message: "src/sandbox/ may import only a provider's wire types (providers/<name>/wire.ts), nothing else of it.",
          },
        ],
      },
    ],
  },
};

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
  SANDBOX_WIRE,
  {
    // Node's recursive mkdir (sync and async) spins forever where a parent exists but cannot hold
    // children (procfs answers ENOENT): src/core/make-dirs.ts creates directories level by level.
    files: ['src/**/*.ts'],
    ignores: ['src/core/make-dirs.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression:matches([callee.name=/^mkdir(Sync)?$/], [callee.property.name=/^mkdir(Sync)?$/]) Property[key.name='recursive']",
          message:
            'no recursive mkdir: it never returns under a parent that cannot hold children (/proc/x/y). Use makeDirs from src/core/make-dirs.ts.',
        },
      ],
    },
  },
  {
    // Commands are thin shells over src/app/; one command never imports another.
    files: ['src/cli/commands/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\./', message: 'a command must not import another command: move shared code to src/app/ or src/cli/' }] },
      ],
    },
  },
);
