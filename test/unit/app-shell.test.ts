import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src/shared/errors.js'
import { type LogCapture, buildTestApp } from '../support/app.js'

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8'

describe('app shell', () => {
  let app: FastifyInstance
  afterEach(async () => {
    await app.close()
  })

  it('GET /health and /health/ready answer 200 on the embedded default', async () => {
    ;({ app } = await buildTestApp())
    const health = await app.inject({ url: '/health' })
    expect(health.statusCode).toBe(200)
    expect(health.json()).toEqual({ status: 'ok' })
    const ready = await app.inject({ url: '/health/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'ready' })
  })

  it('a readiness check that fails while the app closes (its connection closed under it) logs no outage', async () => {
    let logs: LogCapture
    ;({ app, logs } = await buildTestApp({ captureLogs: true }))
    let fail: (error: Error) => void = () => undefined
    const started = new Promise<void>((resolve) => {
      app.readiness.add(
        'redis',
        () =>
          new Promise<void>((_, reject) => {
            fail = reject
            resolve()
          }),
        { critical: false },
      )
    })
    await started // the next round of checks is under way
    const closing = app.close()
    while (!app.readiness.shuttingDown) await new Promise((resolve) => setImmediate(resolve))
    fail(new Error("Stream isn't writeable and enableOfflineQueue options is false"))
    await closing
    expect(logs.text()).not.toContain('is unavailable')
  })

  it('an unknown route is a 404 problem with the request id echoed', async () => {
    ;({ app } = await buildTestApp())
    const response = await app.inject({ url: '/api/nothing?x=1', headers: { 'x-request-id': 'req-123' } })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toBe(PROBLEM_TYPE)
    expect(response.headers['x-request-id']).toBe('req-123')
    expect(response.json()).toEqual({
      type: 'urn:problem:route-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No route GET /api/nothing',
      instance: '/api/nothing',
      code: 'ROUTE.NOT_FOUND',
    })
  })

  it('a request id that does not look like one is replaced', async () => {
    ;({ app } = await buildTestApp())
    const response = await app.inject({ url: '/health', headers: { 'x-request-id': 'bad id with spaces <script>' } })
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  describe('errors become RFC 9457 problems', () => {
    const Body = Type.Object(
      { name: Type.String({ minLength: 1 }), quantity: Type.Integer({ minimum: 1 }) },
      { additionalProperties: false },
    )
    const routes = async (instance: FastifyInstance) => {
      instance.post('/test/echo', { schema: { body: Body } }, (request) => request.body)
      instance.get('/test/domain-error', () => {
        throw new AppError('conflict', 'THING.CONFLICT', 'The thing conflicts', { extensions: { current_status: 'shipped' } })
      })
      instance.get('/test/crash', () => {
        throw new Error('secret internal detail at /srv/app.js:42')
      })
    }

    it('400 lists every failing field, including unknown ones', async () => {
      ;({ app } = await buildTestApp({ extend: routes }))
      const response = await app.inject({ method: 'POST', url: '/test/echo', payload: { quantity: 1.5, extra: true } })
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toBe(PROBLEM_TYPE)
      const body = response.json<{ code: string; errors: unknown[] }>()
      expect(body.code).toBe('REQUEST.VALIDATION')
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { path: 'body/name', message: 'is required' },
          { path: 'body/extra', message: 'is not an allowed field' },
          { path: 'body/quantity', message: 'must be integer' },
        ]),
      )
      expect(body.errors).toHaveLength(3)
    })

    it('415 for a body that is not JSON, 400 for malformed JSON, 413 for a body too large', async () => {
      ;({ app } = await buildTestApp({ extend: routes }))
      const text = await app.inject({
        method: 'POST',
        url: '/test/echo',
        headers: { 'content-type': 'text/plain' },
        payload: 'hi',
      })
      expect([text.statusCode, text.json<{ code: string }>().code]).toEqual([415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE'])
      const malformed = await app.inject({
        method: 'POST',
        url: '/test/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"name": ',
      })
      expect([malformed.statusCode, malformed.json<{ code: string }>().code]).toEqual([400, 'REQUEST.MALFORMED_JSON'])
      const large = await app.inject({
        method: 'POST',
        url: '/test/echo',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'x'.repeat(300 * 1024), quantity: 1 }),
      })
      expect([large.statusCode, large.json<{ code: string }>().code]).toEqual([413, 'REQUEST.BODY_TOO_LARGE'])
    })

    it('a domain error keeps its code and extensions', async () => {
      ;({ app } = await buildTestApp({ extend: routes }))
      const response = await app.inject({ url: '/test/domain-error' })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toMatchObject({ code: 'THING.CONFLICT', detail: 'The thing conflicts', current_status: 'shipped' })
    })

    it('an unexpected error is a 500 without internal details, logged with its stack', async () => {
      let logs
      ;({ app, logs } = await buildTestApp({ extend: routes, captureLogs: true }))
      const response = await app.inject({ url: '/test/crash', headers: { 'x-request-id': 'crash-1' } })
      expect(response.statusCode).toBe(500)
      expect(response.body).not.toContain('secret internal detail')
      expect(response.body).not.toContain('.js:')
      expect(response.json()).toMatchObject({ code: 'INTERNAL', status: 500 })
      const logged = logs.lines.find((l) => l.msg === 'request failed')
      expect(logged).toMatchObject({ req_id: 'crash-1', level: 'error' })
      expect(JSON.stringify(logged)).toContain('secret internal detail')
    })
  })

  it('logs one line per request with request id, route, status and duration', async () => {
    let logs
    ;({ app, logs } = await buildTestApp({ captureLogs: true }))
    await app.inject({ url: '/health', headers: { 'x-request-id': 'log-1', authorization: 'Bearer secret-token' } })
    const lines = logs.lines.filter((l) => l.req_id === 'log-1')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ msg: 'request', method: 'GET', route: '/health', status: 200, instance: 'test-instance' })
    expect(typeof lines[0]?.ms).toBe('number')
    expect(logs.text()).not.toContain('secret-token')
  })

  it('once shutdown begins, readiness and new API requests are 503 while in-flight requests finish', async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    ;({ app } = await buildTestApp({
      extend: async (instance) => {
        instance.get('/test/slow', async () => {
          await gate
          return { done: true }
        })
      },
    }))
    const slow = app.inject({ url: '/test/slow' })
    await new Promise((resolve) => setImmediate(resolve))
    app.readiness.beginShutdown()

    const ready = await app.inject({ url: '/health/ready' })
    expect([ready.statusCode, ready.json<{ code: string }>().code]).toEqual([503, 'SERVICE.SHUTTING_DOWN'])
    const fresh = await app.inject({ url: '/test/slow' })
    expect([fresh.statusCode, fresh.headers.connection]).toEqual([503, 'close'])
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200)

    const closing = app.close()
    release()
    const response = await slow
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ done: true })
    await closing
  })
})
