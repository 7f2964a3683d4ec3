// Type-checked lint for the server, CLI, libs and tests. Import boundaries: other libs only through
// their `@trainyard/<name>` index, never by deep path.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Which lib may import which (a lib depends only on those below it). A new dependency is a design
 * decision: add it here, in the same change, on purpose.
 */
const LIB_DEPENDENCIES = {
  sdk: [],
  // The server reads sizes (--log-cap) with the parser its clients use, and bounds a job's settings
  // with the numbers its forms check: the SDK's hand-written, dependency-free part (sizes.ts,
  // job-limits.ts); the SDK depends on no server lib.
  core: ['sdk'],
  database: ['core'],
  metrics: ['core'],
  journal: ['core', 'database'],
  auth: ['core', 'database', 'journal'],
  jobs: ['core', 'database', 'journal'],
  gpus: ['core', 'database', 'journal', 'metrics'],
  queue: ['core', 'gpus', 'jobs', 'journal'],
  scheduler: ['core', 'database', 'gpus', 'jobs', 'journal', 'metrics', 'queue'],
  fs: ['core', 'database', 'journal'],
  services: ['core', 'jobs', 'metrics', 'queue', 'scheduler'],
  proxies: ['core', 'jobs', 'queue'],
  cluster: ['core', 'database', 'auth', 'gpus', 'jobs', 'journal', 'metrics', 'queue'],
  projects: ['core', 'database', 'fs', 'jobs', 'journal', 'queue'],
  tracking: ['auth', 'core', 'database', 'gpus', 'jobs', 'journal'],
};
const ALL_LIBS = Object.keys(LIB_DEPENDENCIES);
const DEEP_IMPORTS = [
  { group: ['@trainyard/*/*'], message: 'Import a lib through its index: @trainyard/<name>.' },
  { group: ['**/libs/*/src/**', '../../libs/**', '../libs/**'], message: 'Use the @trainyard/<name> alias.' },
];
const libBoundaries = ALL_LIBS.map((lib) => ({
  files: [`libs/${lib}/src/**/*.ts`],
  ignores: ['**/*.spec.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...DEEP_IMPORTS,
          ...ALL_LIBS.filter((other) => other !== lib && !LIB_DEPENDENCIES[lib].includes(other)).map(
            (other) => ({
              group: [`@trainyard/${other}`],
              message: `libs/${lib} may not depend on @trainyard/${other} (see LIB_DEPENDENCIES in eslint.config.mjs).`,
            }),
          ),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'frontend/**',
      'libs/sdk/src/generated/**',
      'coverage/**',
      'test-output/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/require-await': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@trainyard/*/*'], message: 'Import a lib through its index: @trainyard/<name>.' },
            {
              group: ['**/libs/*/src/**', '../../libs/**', '../libs/**'],
              message: 'Use the @trainyard/<name> alias.',
            },
          ],
        },
      ],
    },
  },
  ...libBoundaries,
  {
    // Bench scripts run standalone under `ts-node --transpile-only`, which cannot resolve the
    // @trainyard/* aliases, so they import the pure modules they measure by path.
    files: ['bench/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Tests poke at JSON answers; strict any-checks there add noise, not safety.
    files: ['test/**/*.ts', '**/*.spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
