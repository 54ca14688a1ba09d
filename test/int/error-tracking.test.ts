import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { startProcess } from '../support/process.js'
import { type SentryIngest, startSentryIngest } from '../support/sentry-ingest.js'
import { eventually } from '../support/wait.js'

// Needs no database: the embedded app reports to a local HTTP server standing in for Sentry.

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

describe('error tracking (SENTRY_DSN set)', () => {
  let ingest: SentryIngest
  let app: FastifyInstance
  let token: string

  beforeAll(async () => {
    ingest = await startSentryIngest()
    ;({ app } = await buildTestApp({
      env: { SENTRY_DSN: ingest.dsn },
      extend: async (instance) => {
        const boom = async () => {
          throw new Error('boom for alice@example.com')
        }
        instance.get('/api/test/boom', { config: { auth: 'authenticated' } }, boom)
        instance.post('/api/test/boom', { config: { auth: 'authenticated' } }, boom)
        instance.get('/api/test/outage', { config: { auth: 'authenticated' } }, async () => {
          throw Object.assign(new Error('connection refused'), { name: 'MongoNetworkError' })
        })
      },
    }))
    token = await tokenFor(app, 'sales_rep')
  })
  afterAll(async () => {
    await app.close()
    await ingest.close()
  })
  beforeEach(async () => {
    await app.errorTracking.flush(2000)
    ingest.envelopes.length = 0
  })

  it('a 500 sends one event tagged with request id, route, method, instance and release, without token or e-mail', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/test/boom', headers: bearer(token) })
    expect(response.statusCode).toBe(500)
    const requestId = response.headers['x-request-id']
    await eventually('the event to reach the ingest', () => ingest.events().length > 0, 5000)
    await app.errorTracking.flush(2000)

    expect(ingest.envelopes).toHaveLength(1)
    expect(ingest.envelopes[0]?.path.split('?')[0]).toBe('/api/1/envelope/')
    const events = ingest.events()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      level: 'error',
      release: version,
      environment: 'development',
      server_name: 'test-instance',
      tags: { request_id: requestId, route: '/api/test/boom', method: 'GET', instance: 'test-instance', source: 'http' },
      exception: { values: [{ type: 'Error', value: 'boom for [email]' }] },
    })
    const raw = ingest.envelopes[0]?.raw ?? ''
    expect(raw).not.toContain(token)
    expect(raw).not.toContain('alice@example.com')
    expect(raw).not.toContain('@test.local') // the caller is not named either
  })

  it('a 500 on a POST carries neither the body, the cookies, the query token nor the bearer token', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/test/boom?token=query-token-marker',
      headers: { ...bearer(token), cookie: 'session=cookie-marker', 'x-request-id': 'req-error-tracking-1' },
      payload: { note: 'body-marker', email: 'carol@example.com', password: 'password-marker' },
    })
    expect(response.statusCode).toBe(500)
    await eventually('the event to reach the ingest', () => ingest.events().length > 0, 5000)
    await app.errorTracking.flush(2000)

    expect(ingest.events()).toHaveLength(1)
    expect(ingest.events()[0]?.tags).toMatchObject({
      request_id: 'req-error-tracking-1',
      route: '/api/test/boom',
      method: 'POST',
    })
    const raw = ingest.envelopes.map((envelope) => envelope.raw).join('\n')
    for (const secret of [token, 'query-token-marker', 'cookie-marker', 'body-marker', 'carol@example.com', 'password-marker']) {
      expect(raw).not.toContain(secret)
    }
  })

  it('every 500 is reported, also the same failure twice in a row', async () => {
    const first = await app.inject({ method: 'GET', url: '/api/test/boom', headers: bearer(token) })
    const second = await app.inject({ method: 'GET', url: '/api/test/boom', headers: bearer(token) })
    await eventually('both events to reach the ingest', () => ingest.events().length >= 2, 5000)
    await app.errorTracking.flush(2000)
    expect(ingest.events().map((event) => event.tags?.request_id)).toEqual([
      first.headers['x-request-id'],
      second.headers['x-request-id'],
    ])
  })

  it('sends nothing for answers that are not bugs: 4xx, and 503s of an unavailable MongoDB', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/test/boom' })).statusCode).toBe(401)
    expect((await app.inject({ method: 'GET', url: '/api/nowhere', headers: bearer(token) })).statusCode).toBe(404)
    expect((await app.inject({ method: 'GET', url: '/api/test/outage', headers: bearer(token) })).statusCode).toBe(503)
    await app.errorTracking.flush(2000)
    expect(ingest.envelopes).toHaveLength(0)
  })

  it('a failing background loop is reported with its source, once however often it retries', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cause = new Error('E11000 duplicate key: { email: "dave@example.com" }')
      app.reportError(new Error('projection broke on an event of dave@example.com', { cause }), {
        source: 'projection',
        consumer: 'projection:orders#1',
      })
    }
    await eventually('the event to reach the ingest', () => ingest.events().length > 0, 5000)
    await app.errorTracking.flush(2000)

    expect(ingest.events()).toHaveLength(1)
    expect(ingest.events()[0]).toMatchObject({
      tags: { source: 'projection', consumer: 'projection:orders#1', instance: 'test-instance' },
      // the cause chain, innermost first
      exception: {
        values: [{ value: 'E11000 duplicate key: { email: "[email]" }' }, { value: 'projection broke on an event of [email]' }],
      },
    })
  })
})

describe('error tracking in a real process (SENTRY_DSN set)', () => {
  let ingest: SentryIngest
  beforeAll(async () => {
    ingest = await startSentryIngest()
  })
  afterAll(async () => {
    await ingest.close()
  })

  it('an uncaught exception is reported as fatal, then the process exits 1 as before', async () => {
    const service = startProcess('test/support/crashing-server.ts', { PORT: '0', SENTRY_DSN: ingest.dsn, INSTANCE_ID: 'crash-1' })
    const url = await service.url
    await fetch(`${url}/test/throw`)
    expect(await service.exited).toBe(1)
    expect(service.output()).toContain('Uncaught exception: Error: uncaught for erin@example.com')

    const event = ingest.events().find((e) => e.tags?.instance === 'crash-1')
    expect(event).toMatchObject({
      level: 'fatal',
      tags: { source: 'process', origin: 'uncaughtException' },
      exception: { values: [{ value: 'uncaught for [email]' }] },
    })
  })

  it('an unhandled rejection is reported', async () => {
    const service = startProcess('test/support/crashing-server.ts', { PORT: '0', SENTRY_DSN: ingest.dsn, INSTANCE_ID: 'crash-2' })
    const url = await service.url
    await fetch(`${url}/test/reject`)
    await eventually('the report to arrive', () => ingest.events().some((e) => e.tags?.instance === 'crash-2'), 10_000)
    expect(ingest.events().find((e) => e.tags?.instance === 'crash-2')).toMatchObject({
      tags: { source: 'process', origin: 'unhandledRejection' },
      exception: { values: [{ value: 'unhandled for [email]' }] },
    })
  })
})
