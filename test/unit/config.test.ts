import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/infra/config.js'
import { buildTestApp } from '../support/app.js'

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      mongodbUri: undefined,
      mongodbDatabase: 'sales_orders',
      redisUri: undefined,
      logLevel: 'info',
      metricsPort: 9100,
      apiRateLimit: { max: 1000, windowMs: 3_600_000 },
      loginRateLimit: { max: 10, windowMs: 60_000 },
      redisStream: 'sales:events',
      shutdownTimeoutMs: 10_000,
      jwt: { ttlSeconds: 3600, issuer: 'sales-order-service', audience: 'sales-order-api' },
      admin: undefined,
      corsOrigins: [],
      trustProxy: false,
      jobs: { reconcileCron: '5 * * * *', trimCron: '35 * * * *' },
      sentryDsn: undefined,
      dataDir: './data',
      demo: false,
    })
    expect(config.instanceId.length).toBeGreaterThan(0)
  })

  it('parses every documented form', () => {
    const config = loadConfig({
      PORT: '8080',
      MONGODB_URI: 'mongodb://a:1,b:2/orders?replicaSet=rs0&maxPoolSize=50',
      REDIS_URI: 'rediss://:secret@cache:6380/2',
      API_RATE_LIMIT: '100/15m',
      LOGIN_RATE_LIMIT: '5/s',
      JWT_TTL: '15m',
      ADMIN_EMAIL: 'Admin@Example.com',
      ADMIN_PASSWORD: 'correct horse battery',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      TRUST_PROXY: '10.0.0.0/8',
      JOBS_RECONCILE_CRON: '*/2 * * * * *',
      JOBS_TRIM_CRON: '@daily',
      SENTRY_DSN: 'https://0123abcd@glitchtip.example.com/42',
      DATA_DIR: '/var/lib/sales-orders',
      DEMO: '1',
    })
    expect(config).toMatchObject({
      port: 8080,
      mongodbDatabase: 'orders',
      apiRateLimit: { max: 100, windowMs: 900_000, text: '100/15m' },
      loginRateLimit: { max: 5, windowMs: 1000 },
      jwt: { ttlSeconds: 900 },
      admin: { email: 'admin@example.com', password: 'correct horse battery' },
      corsOrigins: ['https://a.example', 'https://b.example'],
      trustProxy: '10.0.0.0/8',
      jobs: { reconcileCron: '*/2 * * * * *', trimCron: '@daily' },
      sentryDsn: 'https://0123abcd@glitchtip.example.com/42',
      dataDir: '/var/lib/sales-orders',
      demo: true,
    })
    expect(loadConfig({ DATA_DIR: ':memory:', DEMO: 'false' })).toMatchObject({ dataDir: ':memory:', demo: false })
  })

  it.each([
    [{ PORT: 'abc' }, 'PORT', 'must be an integer'],
    [{ PORT: '70000' }, 'PORT', 'must be an integer from 0 to 65535'],
    [{ METRICS_PORT: '-1' }, 'METRICS_PORT', 'must be an integer'],
    [{ API_RATE_LIMIT: 'lots' }, 'API_RATE_LIMIT', 'must look like "1000/1h"'],
    [{ API_RATE_LIMIT: '0/1h' }, 'API_RATE_LIMIT', 'must look like'],
    [{ LOGIN_RATE_LIMIT: '10/1w' }, 'LOGIN_RATE_LIMIT', 'must look like'],
    [{ MONGODB_URI: 'http://localhost:27017' }, 'MONGODB_URI', 'must be a MongoDB connection string'],
    [{ MONGODB_URI: 'mongodb://' }, 'MONGODB_URI', 'must be a MongoDB connection string'],
    [{ REDIS_URI: 'localhost:6379' }, 'REDIS_URI', 'must be a Redis URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'must be one of'],
    [{ JWT_TTL: 'forever' }, 'JWT_TTL', 'must be a positive duration'],
    [{ SHUTDOWN_TIMEOUT_MS: '1.5' }, 'SHUTDOWN_TIMEOUT_MS', 'must be an integer'],
    [{ ADMIN_EMAIL: 'admin@example.com' }, 'ADMIN_PASSWORD', 'at least 12 characters'],
    [{ ADMIN_PASSWORD: 'long enough password' }, 'ADMIN_EMAIL', 'must be an e-mail'],
    [{ ADMIN_EMAIL: '\u202eadmin@corp.com', ADMIN_PASSWORD: 'long enough password' }, 'ADMIN_EMAIL', 'must be an e-mail'],
    [{ ADMIN_EMAIL: 'ａdmin@corp.com', ADMIN_PASSWORD: 'long enough password' }, 'ADMIN_EMAIL', 'must be an e-mail'],
    [{ INSTANCE_ID: 'has spaces' }, 'INSTANCE_ID', 'must be 1-64 characters'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY', 'must be true, false'],
    [{ JOBS_RECONCILE_CRON: 'hourly' }, 'JOBS_RECONCILE_CRON', 'must be a cron expression like "5 * * * *"'],
    [{ JOBS_RECONCILE_CRON: '61 * * * *' }, 'JOBS_RECONCILE_CRON', 'must be a cron expression'],
    [{ JOBS_TRIM_CRON: '* * * * * * *' }, 'JOBS_TRIM_CRON', 'must be a cron expression like "35 * * * *"'],
    [{ JOBS_TRIM_CRON: '0 0 31 2 *' }, 'JOBS_TRIM_CRON', 'must be a cron expression'],
    [{ SENTRY_DSN: 'sentry please' }, 'SENTRY_DSN', 'must be a Sentry DSN like https://<public key>@<host>/<project id>'],
    [{ SENTRY_DSN: 'https://sentry.example.com/1' }, 'SENTRY_DSN', 'must be a Sentry DSN'],
    [{ SENTRY_DSN: 'ftp://key@sentry.example.com/1' }, 'SENTRY_DSN', 'must be a Sentry DSN'],
    [{ SENTRY_DSN: 'https://key@sentry.example.com/' }, 'SENTRY_DSN', 'must be a Sentry DSN'],
    [{ DATA_DIR: ':memory' }, 'DATA_DIR', 'must be a directory path or :memory:'],
    [{ DEMO: 'yes' }, 'DEMO', 'must be one of 0, 1, false, true'],
  ])('%o is refused with a message naming %s', (env, variable, text) => {
    const error = failure(env)
    expect(error.variable).toBe(variable)
    expect(error.message).toContain(variable)
    expect(error.message).toContain(text)
  })

  it('accepts for ADMIN_EMAIL exactly what the API accepts, so the bootstrap admin can sign in', async () => {
    expect(loadConfig({ ADMIN_EMAIL: 'Admin@Localhost', ADMIN_PASSWORD: 'long enough password' }).admin?.email).toBe(
      'admin@localhost',
    )
    const { app } = await buildTestApp({ env: { ADMIN_EMAIL: 'Admin@Localhost', ADMIN_PASSWORD: 'long enough password' } })
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/token',
        payload: { email: 'admin@localhost', password: 'long enough password' },
      })
      expect(login.statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('does not echo a refused SENTRY_DSN, which may carry a key', () => {
    expect(failure({ SENTRY_DSN: 'https://public:very-secret@sentry.example.com/x' }).message).not.toContain('very-secret')
  })

  it('production refuses to start without MongoDB, Redis and a signing key', () => {
    expect(failure({ NODE_ENV: 'production' }).variable).toBe('MONGODB_URI')
    expect(failure({ NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/x' }).variable).toBe('REDIS_URI')
    expect(failure({ NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/x', REDIS_URI: 'redis://r' }).variable).toBe('JWT_SECRET')
  })
})
