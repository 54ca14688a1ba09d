import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { buildApp } from '../../src/api/app.js'
import type { StorageOptions } from '../../src/storage/open-storage.js'
import { type Config, loadConfig } from '../../src/infra/config.js'
import { createLogger } from '../../src/infra/logger.js'
import { Writable } from 'node:stream'
import { assertTestDatabase } from './servers.js'

/**
 * A configuration for tests: embedded defaults, silent logs, overridable by env-style values.
 * Refuses a MONGODB_URI whose database is not a test one.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  if (env.MONGODB_URI !== undefined) assertTestDatabase(env.MONGODB_URI, 'to build an app')
  // METRICS_PORT 0: every app gets a metrics listener of its own on a free port; DATA_DIR :memory:
  // keeps nothing (a test that wants a data directory passes one of its own).
  return loadConfig({
    LOG_LEVEL: 'silent',
    INSTANCE_ID: 'test-instance',
    METRICS_PORT: '0',
    DATA_DIR: ':memory:',
    ...TEST_ADMIN_ENV,
    ...env,
  })
}

export const TEST_ADMIN = { email: 'admin@test.local', password: 'admin-password-for-tests' }
const TEST_ADMIN_ENV = { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password }

/** Every log line an app wrote, parsed. */
export interface LogCapture {
  lines: Record<string, unknown>[]
  text(): string
}

/** Builds the app on the embedded default (unless `env` says otherwise), optionally capturing logs. */
export async function buildTestApp(
  options: { env?: Record<string, string>; extend?: FastifyPluginAsync; captureLogs?: boolean; storage?: StorageOptions } = {},
): Promise<{ app: FastifyInstance; logs: LogCapture }> {
  const config = testConfig({ ...(options.captureLogs ? { LOG_LEVEL: 'trace' } : {}), ...options.env })
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  const logger = createLogger(config, sink)
  const app = await buildApp({
    config,
    logger,
    announce: (message) => chunks.push(`${JSON.stringify({ announce: message })}\n`),
    ...(options.extend ? { extend: options.extend } : {}),
    ...(options.storage ? { storage: options.storage } : {}),
  })
  await app.ready()
  const logs: LogCapture = {
    get lines() {
      return chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    },
    text: () => chunks.join(''),
  }
  return { app, logs }
}
