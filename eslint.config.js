// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const folder = (name) => ({ group: [`**/${name}/**`, `**/${name}`], message: `this layer may not depend on src/${name}` })
const library = (...names) => ({ group: names, message: 'this layer may not use this I/O library' })
const FASTIFY = { group: ['fastify', 'fastify-plugin', '@fastify/*'], message: 'only src/api uses the HTTP framework' }
const IO = library('mongodb', 'ioredis', 'socket.io', 'socket.io-*', '@socket.io/*', 'redlock', 'node-cron', 'pino')
const FILES = library('node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process')
const ABOVE_EVENTS = [
  'api',
  'commands',
  'queries',
  'projections',
  'consumers',
  'realtime',
  'jobs',
  'storage',
  'cli',
  'users',
  'auth',
]

/** One entry per layer: its files, and what they may not import. */
const LAYERS = [
  {
    name: 'domain: deciders are pure (no I/O, no clock, no framework)',
    files: ['src/commands/order/**', 'src/commands/sku/**', 'src/commands/decider.ts', 'src/commands/errors.ts'],
    forbidden: [...['infra', ...ABOVE_EVENTS].map(folder), FASTIFY, IO, FILES],
  },
  {
    name: 'commands: through the event store port only',
    files: ['src/commands/*.ts'],
    ignores: ['src/commands/decider.ts', 'src/commands/errors.ts'],
    forbidden: [...['api', 'queries', 'realtime', 'jobs', 'storage', 'cli', 'consumers'].map(folder), FASTIFY, IO, FILES],
  },
  {
    name: 'queries: read models and the event store, no framework',
    files: ['src/queries/**'],
    forbidden: [...['api', 'commands', 'realtime', 'jobs', 'storage', 'cli', 'consumers'].map(folder), FASTIFY, IO, FILES],
  },
  {
    name: 'events: the store and its ports',
    files: ['src/events/**'],
    ignores: ['src/events/mongo-*.ts', 'src/events/redis-*.ts', 'src/events/file-*.ts'],
    forbidden: [...ABOVE_EVENTS.map(folder), FASTIFY, IO, FILES],
  },
  {
    name: 'projections and consumers: read models and the runtime that builds them',
    files: ['src/projections/**', 'src/consumers/**'],
    ignores: ['src/**/mongo-*.ts'],
    forbidden: [
      ...['api', 'commands', 'queries', 'realtime', 'jobs', 'storage', 'cli', 'users', 'auth'].map(folder),
      FASTIFY,
      IO,
    ],
  },
  {
    name: 'MongoDB and Redis adapters: the library and the port they implement',
    files: ['src/**/mongo-*.ts', 'src/events/redis-*.ts'],
    ignores: ['src/api/**'],
    forbidden: [...['api', 'commands', 'queries', 'realtime', 'jobs', 'storage', 'cli'].map(folder), FASTIFY],
  },
  {
    name: 'the file adapter of the event log: node:fs and the port it serves',
    files: ['src/events/file-*.ts'],
    forbidden: [...ABOVE_EVENTS.map(folder), FASTIFY, IO],
  },
  {
    name: 'infra and shared: the bottom, depending on nothing of ours above them',
    files: ['src/infra/**', 'src/shared/**'],
    ignores: ['src/**/mongo-*.ts'],
    forbidden: [...['events', ...ABOVE_EVENTS].map(folder), FASTIFY],
  },
  {
    name: 'auth and users: no framework',
    files: ['src/auth/**', 'src/users/**'],
    ignores: ['src/**/mongo-*.ts'],
    forbidden: [
      ...['api', 'commands', 'queries', 'projections', 'consumers', 'realtime', 'jobs', 'storage', 'cli'].map(folder),
      FASTIFY,
    ],
  },
  {
    name: 'realtime: the feed, no framework',
    files: ['src/realtime/**'],
    forbidden: [...['api', 'commands', 'queries', 'jobs', 'storage', 'cli'].map(folder), FASTIFY],
  },
  {
    name: 'jobs: scheduled work over the read models, the store and the feed, no framework',
    files: ['src/jobs/**'],
    ignores: ['src/**/mongo-*.ts'],
    forbidden: [...['api', 'commands', 'queries', 'storage', 'cli', 'users', 'auth'].map(folder), FASTIFY],
  },
  {
    name: 'storage and cli: composition without the HTTP shell',
    files: ['src/storage/**', 'src/cli/**'],
    forbidden: [folder('api'), FASTIFY],
  },
]

function layerRules() {
  return LAYERS.map(({ name, files, ignores, forbidden }) => ({
    name: `layer ${name}`,
    files,
    ...(ignores ? { ignores } : {}),
    rules: { 'no-restricted-imports': ['error', { patterns: forbidden }] },
  }))
}

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
  // Layering (DESIGN §2, src/README.md): each file belongs to exactly one layer below (the
  // globs do not overlap, so one `no-restricted-imports` applies per file). A layer may import
  // only from layers beneath it, and only the libraries its job needs.
  ...layerRules(),
  {
    name: 'web: the dashboard runs in the browser and reaches the service through its public API only',
    files: ['web/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../src/**', '../../../src/**', '../../../../src/**'],
              message: 'the dashboard uses the public API, not src/',
            },
            FASTIFY,
            library('mongodb', 'ioredis', 'socket.io', '@socket.io/*', 'redlock', 'node-cron', 'pino'),
            FILES,
          ],
        },
      ],
    },
  },
  {
    files: ['src/infra/config.ts', 'src/infra/dotenv.ts', 'test/**', 'bench/**', 'scripts/**', '*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
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
