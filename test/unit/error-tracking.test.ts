import { describe, expect, it, vi } from 'vitest'
import { scrubEvent, scrubText } from '../../src/infra/error-scrubbing.js'
import { createErrorTracker, noErrorTracker } from '../../src/infra/error-tracking.js'
import { buildTestApp } from '../support/app.js'

// Every module of the Sentry client, watched: each records that it was loaded, then loads for real.
const loaded = vi.hoisted(() => new Set<string>())
vi.mock('@sentry/core', async (importOriginal) => {
  loaded.add('@sentry/core')
  return importOriginal()
})
vi.mock('@sentry/core/server', async (importOriginal) => {
  loaded.add('@sentry/core/server')
  return importOriginal()
})
vi.mock('../../src/infra/sentry-error-tracker.js', async (importOriginal) => {
  loaded.add('sentry-error-tracker')
  return importOriginal()
})

describe('error tracking without SENTRY_DSN', () => {
  it('loads nothing: the app runs with the no-op tracker and no Sentry module is ever imported', async () => {
    const { app } = await buildTestApp({
      extend: async (instance) => {
        instance.get('/api/test/boom', { config: { auth: 'public' } }, async () => {
          throw new Error('boom')
        })
      },
    })
    try {
      expect(app.errorTracking).toBe(noErrorTracker)
      expect((await app.inject({ method: 'GET', url: '/api/test/boom' })).statusCode).toBe(500)
      app.reportError(new Error('a loop failed'), { source: 'projection' })
    } finally {
      await app.close()
    }
    expect([...loaded]).toEqual([])
  })

  it('(the watch works: with a DSN all of them are loaded)', async () => {
    const tracker = await createErrorTracker({ dsn: 'http://key@127.0.0.1:9/1', environment: 'test', instanceId: 'unit' })
    await tracker.close(100)
    expect(tracker.enabled).toBe(true)
    expect([...loaded].sort()).toEqual(['@sentry/core', '@sentry/core/server', 'sentry-error-tracker'])
  })
})

describe('scrubbing', () => {
  it.each([
    ['boom for alice@example.com', 'boom for [email]'],
    ['user Admin@Localhost and ｂob', 'user [email] and ｂob'],
    ['Authorization: Bearer abc.def-ghi', 'Authorization: Bearer [token]'],
    ['token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl leaked', 'token [token] leaked'],
    ['GET /api/events/ws?after=3&token=secret-value', 'GET /api/events/ws?after=3&token=[redacted]'],
    ['{"email":"x@y.z","password":"hunter2hunter2"}', '{"email":"[email]","password":"[redacted]"}'],
    ['password=hunter2 rest', 'password=[redacted] rest'],
    ['cannot reach mongodb://app:s3cret@db.internal:27017/sales', 'cannot reach mongodb://[redacted]@db.internal:27017/sales'],
    ['rediss://:s3cret@cache:6380/2 is down', 'rediss://[redacted]@cache:6380/2 is down'],
    ['order ORD-00001 of sku WIDGET-1 at position 42', 'order ORD-00001 of sku WIDGET-1 at position 42'],
  ])('%s → %s', (text, scrubbed) => {
    expect(scrubText(text)).toBe(scrubbed)
  })

  it('drops the request and user sections, redacts secret-named keys, keeps release and stack file names', () => {
    const event = {
      release: '0.1.0',
      request: { data: '{"note":"body"}', headers: { authorization: 'Bearer x' }, cookies: { session: 's' } },
      user: { email: 'alice@example.com', ip_address: '10.0.0.1' },
      extra: { Authorization: 'Bearer abc', apiKey: 'k', nested: { cookie: 'c', note: 'mail bob@example.com' } },
      exception: { values: [{ value: 'boom for alice@example.com', stacktrace: { frames: [{ filename: '/app/a@1/x.js' }] } }] },
    }
    expect(scrubEvent(event)).toEqual({
      release: '0.1.0',
      extra: { Authorization: '[redacted]', apiKey: '[redacted]', nested: { cookie: '[redacted]', note: 'mail [email]' } },
      exception: { values: [{ value: 'boom for [email]', stacktrace: { frames: [{ filename: '/app/a@1/x.js' }] } }] },
    })
  })
})
