// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'tools/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Fastify plugins and handlers are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through src/infra/config.ts only.',
        },
      ],
    },
  },
  // Layering (DESIGN §2): api → commands/queries → events/projections → infra, never back up.
  {
    files: [
      'src/commands/**',
      'src/queries/**',
      'src/events/**',
      'src/projections/**',
      'src/infra/**',
      'src/shared/**',
      'src/auth/**',
      'src/users/**',
      'src/realtime/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api/**', '**/api'], message: 'Only src/api may depend on src/api.' },
            { group: ['fastify', 'fastify-plugin', '@fastify/*'], message: 'Fastify belongs to src/api.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/events/**', 'src/projections/**', 'src/infra/**', 'src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/api/**', '**/api'], message: 'Only src/api may depend on src/api.' },
            { group: ['**/commands/**', '**/queries/**'], message: 'events/projections/infra sit below commands and queries.' },
            { group: ['fastify', 'fastify-plugin', '@fastify/*'], message: 'Fastify belongs to src/api.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/infra/config.ts', 'test/**', 'bench/**', 'scripts/**', '*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  // The entry points read one switch before any configuration exists: DOTENV=off skips ./.env
  // (tests launch them with it, so a developer's .env never reaches a test process).
  {
    files: ['src/main.ts', 'src/cli/replay.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "MemberExpression[object.name='process'][property.name='env']:not(MemberExpression[property.name='DOTENV'] > MemberExpression.object)",
          message: 'Read configuration through src/infra/config.ts only (DOTENV, read before it, is the exception).',
        },
      ],
    },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
)
