import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      'data/**',
      'test-results/**',
      'playwright-report/**',
      'docs/.vitepress/cache/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser }, globals: { ...globals.browser } },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-console': ['error', { allow: ['error', 'warn'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Prettier owns formatting.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
    },
  },
  { files: ['web/src/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  {
    // uni-app's conventions: pages/<name>/<name>.vue, and its API on the global `uni`.
    files: ['examples/uni-app/src/**'],
    languageOptions: { globals: { ...globals.browser, uni: 'readonly' } },
    rules: { 'vue/multi-word-component-names': 'off' },
  },
  {
    // Routes only translate HTTP: what they need of the database or the state store, a use-case does.
    files: ['bff/src/features/*/routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/store/*', '**/kv/*', '**/store', '**/kv'],
              message: 'Routes translate HTTP: reach the database and the state store through a use-case.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'scripts/**',
      '**/cli.ts',
      '**/server.ts',
      '**/keygen.ts',
      '**/backupSqlite.ts',
      'bff/src/compose.ts',
      'e2e/**',
    ],
    rules: { 'no-console': 'off' },
  },
);
