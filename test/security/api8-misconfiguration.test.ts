import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { createSku } from '../support/fixtures.js'
import {
  type Call,
  type Caller,
  SECURITY_HEADERS,
  callers,
  expectProblem,
  orderBody,
  securityHeadersOf,
  send,
} from './support.js'

/**
 * API8:2023 Security Misconfiguration. Every response — success, problem, unmatched route,
 * malformed URL, crash — carries the security headers and a request id, and no
 * `X-Powered-By`; /api responses are never cached; errors are problem documents that never
 * show internals; CORS is off unless configured; bodies are JSON only; e-mail addresses
 * follow one rule everywhere.
 */
const SECRET = 'secret-marker-7f3a'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('API8 security misconfiguration', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>

  beforeAll(async () => {
    ;({ app } = await buildTestApp({
      // A handler that crashes with internals in its message (outside /api, so it needs no auth).
      extend: async (instance) => {
        instance.get('/crash-for-test', () => {
          throw new Error(`${SECRET} at /work/main/src/api/app.ts:42 mongodb://user:pw@db`)
        })
      },
    }))
    as = await callers(app)
    await createSku(app, { sku: 'WIDGET-1' })
  })
  afterAll(async () => {
    await app.close()
  })

  describe('every response: security headers, X-Request-Id, no X-Powered-By or Server; /api ones Cache-Control: no-store', () => {
    it.each<[string, Caller, number, string | null, Call]>([
      ['GET /api/skus', 'auditor', 200, null, { method: 'GET', url: '/api/skus' }],
      ['POST /api/orders', 'repA', 201, null, { method: 'POST', url: '/api/orders', payload: orderBody('WIDGET-1') }],
      ['GET /api/users without a token', 'anonymous', 401, 'AUTH.TOKEN_REQUIRED', { method: 'GET', url: '/api/users' }],
      ['GET /api/users as a sales rep', 'repA', 403, 'AUTH.FORBIDDEN', { method: 'GET', url: '/api/users' }],
      ['GET /api/orders/ORD-99999', 'admin', 404, 'ORDER.NOT_FOUND', { method: 'GET', url: '/api/orders/ORD-99999' }],
      ['GET /api/no-such-thing', 'admin', 404, 'ROUTE.NOT_FOUND', { method: 'GET', url: '/api/no-such-thing' }],
      ['POST /api/orders {}', 'repA', 400, 'REQUEST.VALIDATION', { method: 'POST', url: '/api/orders', payload: {} }],
      [
        'POST /api/orders as text/plain',
        'repA',
        415,
        'REQUEST.UNSUPPORTED_MEDIA_TYPE',
        { method: 'POST', url: '/api/orders', headers: { 'content-type': 'text/plain' }, payload: 'hi' },
      ],
      [
        'GET /api/users/%ZZ (malformed percent-encoding)',
        'admin',
        400,
        'REQUEST.BAD_URL',
        { method: 'GET', url: '/api/users/%ZZ' },
      ],
      [
        'GET /api/orders/<500 characters>',
        'admin',
        414,
        'REQUEST.URI_TOO_LONG',
        { method: 'GET', url: `/api/orders/${'A'.repeat(500)}` },
      ],
      ['GET /health', 'anonymous', 200, null, { method: 'GET', url: '/health' }],
      ['GET /no/such/route', 'anonymous', 404, 'ROUTE.NOT_FOUND', { method: 'GET', url: '/no/such/route' }],
      ['GET /crash-for-test (a handler that throws)', 'anonymous', 500, 'INTERNAL', { method: 'GET', url: '/crash-for-test' }],
    ])('%s as %s → %i %s', async (_name, caller, status, code, call) => {
      const response = await send(app, call, as[caller])
      if (code === null) expect(response.statusCode, response.body).toBe(status)
      else expectProblem(response, status, code)
      expect(securityHeadersOf(response)).toEqual(SECURITY_HEADERS)
      expect(response.headers['x-request-id']).toMatch(UUID)
      expect(response.headers.server).toBeUndefined()
      if (call.url.startsWith('/api/')) expect(response.headers['cache-control']).toBe('no-store')
    })

    it('a 429 too: GET /api/skus twice with API_RATE_LIMIT=1/1m → 429 RATE_LIMITED with the headers and Cache-Control: no-store', async () => {
      const { app: limited } = await buildTestApp({ env: { API_RATE_LIMIT: '1/1m' } })
      try {
        await limited.inject({ url: '/api/skus' })
        const response = await limited.inject({ url: '/api/skus' })
        expectProblem(response, 429, 'RATE_LIMITED')
        expect(securityHeadersOf(response)).toEqual(SECURITY_HEADERS)
        expect(response.headers['cache-control']).toBe('no-store')
        expect(response.headers['x-request-id']).toMatch(UUID)
      } finally {
        await limited.close()
      }
    })
  })

  describe('errors never show internals', () => {
    const leaks = (body: string) =>
      [SECRET, '/work/', 'src/', 'node_modules', 'mongodb://', /\n\s+at /, /Error:/].filter((s) =>
        typeof s === 'string' ? body.includes(s) : s.test(body),
      )

    it('GET /crash-for-test (throws with a path and a connection string) → 500 INTERNAL with a generic detail', async () => {
      const response = await send(app, { method: 'GET', url: '/crash-for-test' })
      const problem = expectProblem(response, 500, 'INTERNAL')
      expect(problem.detail).toBe('An unexpected error occurred; it has been logged with this request id')
      expect(leaks(response.body)).toEqual([])
    })

    it.each<[string, Caller, number, string, Call]>([
      ['GET /api/nope', 'admin', 404, 'ROUTE.NOT_FOUND', { method: 'GET', url: '/api/nope' }],
      [
        'POST /api/orders with {"a": (truncated JSON)',
        'repA',
        400,
        'REQUEST.MALFORMED_JSON',
        { method: 'POST', url: '/api/orders', headers: { 'content-type': 'application/json' }, payload: '{"a":' },
      ],
      [
        'POST /api/auth/token with a JSON string for a body',
        'anonymous',
        400,
        'REQUEST.VALIDATION',
        { method: 'POST', url: '/api/auth/token', headers: { 'content-type': 'application/json' }, payload: '"x"' },
      ],
      [
        'GET /api/orders?from=yesterday',
        'admin',
        400,
        'REQUEST.VALIDATION',
        { method: 'GET', url: '/api/orders?from=yesterday' },
      ],
      [
        'GET /api/orders?cursor=%00%FF',
        'admin',
        400,
        'REQUEST.INVALID_CURSOR',
        { method: 'GET', url: '/api/orders?cursor=%00%FF' },
      ],
    ])('%s as %s → %i %s, no stack or parser internals', async (_name, caller, status, code, call) => {
      const response = await send(app, call, as[caller])
      expectProblem(response, status, code)
      expect(leaks(response.body)).toEqual([])
      expect(response.body).not.toMatch(/Unexpected|SyntaxError|position \d/)
    })

    it.each<[string, string]>([
      ['markup: <script>alert(1)</script>', '<script>alert(1)</script>'],
      ['200 characters', 'x'.repeat(200)],
    ])('GET /api/skus with X-Request-Id of %s → a generated id, never the given one', async (_name, given) => {
      const response = await send(app, { method: 'GET', url: '/api/skus', headers: { 'x-request-id': given } }, as.auditor)
      expect(response.headers['x-request-id']).toMatch(UUID)
    })

    it('GET /.well-known/jwks.json → 200 with public key members only (no d, p, q, dp, dq, qi)', async () => {
      const response = await send(app, { method: 'GET', url: '/.well-known/jwks.json' })
      expect(response.statusCode).toBe(200)
      for (const key of response.json<{ keys: Record<string, unknown>[] }>().keys) {
        expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use'])
      }
    })
  })

  describe('CORS is off unless configured', () => {
    it('OPTIONS /api/orders preflight from https://evil.example → 404 ROUTE.NOT_FOUND, no Access-Control-* headers', async () => {
      const response = await send(app, {
        method: 'OPTIONS',
        url: '/api/orders',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      })
      expectProblem(response, 404, 'ROUTE.NOT_FOUND')
      expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
    })

    it('GET /api/skus with Origin: https://evil.example → 200 without Access-Control-* headers', async () => {
      const response = await send(
        app,
        { method: 'GET', url: '/api/skus', headers: { origin: 'https://evil.example' } },
        as.auditor,
      )
      expect(response.statusCode).toBe(200)
      expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
    })

    it('with CORS_ORIGINS=https://dashboard.example: a preflight from https://evil.example gets no Access-Control-Allow-Origin', async () => {
      const { app: cors } = await buildTestApp({ env: { CORS_ORIGINS: 'https://dashboard.example' } })
      try {
        const preflight = (origin: string) =>
          cors.inject({
            method: 'OPTIONS',
            url: '/api/orders',
            headers: { origin, 'access-control-request-method': 'POST' },
          })
        expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined()
        expect((await preflight('https://dashboard.example')).headers['access-control-allow-origin']).toBe(
          'https://dashboard.example',
        )
      } finally {
        await cors.close()
      }
    })
  })

  describe('bodies are JSON only → 415 REQUEST.UNSUPPORTED_MEDIA_TYPE', () => {
    it.each<[string, string]>([
      ['text/plain', '{"email":"a@corp.example","password":"x"}'],
      ['application/x-www-form-urlencoded', 'email=a%40corp.example&password=x'],
      ['multipart/form-data; boundary=X', '--X\r\nContent-Disposition: form-data; name="email"\r\n\r\na@corp.example\r\n--X--'],
      ['application/xml', '<credentials><email>a@corp.example</email></credentials>'],
    ])('POST /api/auth/token as %s → 415', async (type, payload) => {
      const response = await send(app, { method: 'POST', url: '/api/auth/token', headers: { 'content-type': type }, payload })
      expectProblem(response, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE')
    })

    it('TRACE /api/orders → 404 ROUTE.NOT_FOUND (no TRACE anywhere)', async () => {
      expectProblem(await send(app, { method: 'TRACE', url: '/api/orders' }, as.admin), 404, 'ROUTE.NOT_FOUND')
    })
  })

  describe('one e-mail rule for user creation and login', () => {
    // [what, e-mail, code]: text no store keeps as given is refused before any field rule.
    const BAD_EMAILS: [string, string, string][] = [
      ['a lone surrogate', 'lone2@corp.com\ud800', 'REQUEST.INVALID_TEXT'],
      ['a NUL', 'a\u0000b@corp.com', 'REQUEST.INVALID_TEXT'],
      ['a bidi override', '\u202eadmin@corp.com', 'REQUEST.VALIDATION'],
      ['a zero-width space', 'ad\u200bmin@corp.com', 'REQUEST.VALIDATION'],
      ['angle brackets', '<a>@corp.com', 'REQUEST.VALIDATION'],
      ['a full-width letter', '\uff41dmin@corp.com', 'REQUEST.VALIDATION'],
    ]

    it.each(BAD_EMAILS)('POST /api/users with %s in the e-mail → 400 %s; no user is created', async (_name, email, code) => {
      const count = await app.users.count()
      const response = await send(
        app,
        { method: 'POST', url: '/api/users', payload: { email, name: 'Spoof', password: 'a-long-password', role: 'admin' } },
        as.admin,
      )
      const problem = expectProblem(response, 400, code)
      expect(problem.errors?.map((e) => e.path)).toEqual(['body/email'])
      expect(await app.users.find(email)).toBeNull()
      expect(await app.users.count()).toBe(count)
    })

    it.each(BAD_EMAILS)('POST /api/auth/token with %s in the e-mail → 400 %s', async (_name, email, code) => {
      const response = await send(app, {
        method: 'POST',
        url: '/api/auth/token',
        payload: { email, password: 'a-long-password' },
      })
      const problem = expectProblem(response, 400, code)
      expect(problem.errors?.map((e) => e.path)).toEqual(['body/email'])
    })

    it('admin@localhost (a single-label domain) → POST /api/users 201, then POST /api/auth/token 200', async () => {
      const created = await send(
        app,
        {
          method: 'POST',
          url: '/api/users',
          payload: { email: 'admin@localhost', name: 'Local', password: 'a-long-password', role: 'auditor' },
        },
        as.admin,
      )
      expect(created.statusCode, created.body).toBe(201)
      const login = await send(app, {
        method: 'POST',
        url: '/api/auth/token',
        payload: { email: 'admin@localhost', password: 'a-long-password' },
      })
      expect(login.statusCode, login.body).toBe(200)
    })
  })
})
