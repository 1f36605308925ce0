// ESLint with typescript-eslint's strictest type-checked rules, over the packages' sources and every test.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/cli/bin/**', 'packages/cli/scripts/**', 'bench/**', 'examples/**', 'coverage/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers (bigints too) and booleans print as users expect; objects and unions with undefined do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `() => void x` shorthands in callbacks are clear enough.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `async` on a synchronous body is deliberate here: callers get a rejection, never a synchronous throw.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a parameter an interface requires and this implementation ignores.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Parsers of hostile input match control characters on purpose (to refuse or escape them).
      'no-control-regex': 'off',
      // `[...text]` splits into code points, which is what the parsers and fuzzers here mean by it
      // (the rule's allow list cannot name the string primitive).
      '@typescript-eslint/no-misused-spread': 'off',
    },
  },
  {
    // The stores' parsers index arrays in hot loops after their own bounds checks; under
    // noUncheckedIndexedAccess a `!` there is the honest form, and a re-check per character is not free.
    files: ['packages/core/src/sops/stores/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      // yaml scalars hold numbers, booleans and dates; String() of them is the text sops compares.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Tests: fixtures index known data, and JSON read
    // from vectors is checked by the assertions rather than by types.
    files: ['**/test/**/*.ts', 'test/**/*.ts', 'vitest.config.ts', 'eslint.config.js'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
