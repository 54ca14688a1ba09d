import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { listeningApp } from '../support/realtime.js'
import { appWithCallers, callers, type Call, type Caller, expectProblem, orderBody, send } from './support.js'

/**
 * API4:2023 Unrestricted Resource Consumption. Bodies are capped (256 KiB) and so is their
 * nesting, before anything is parsed; every list, string, array and report range is
 * bounded; passwords are bounded before they are hashed; every /api route is rate limited
 * per user (per IP when anonymous) with RateLimit-* and Retry-After headers.
 */
const KIB = 1024
const JSON_TYPE = { 'content-type': 'application/json' }

/** `[[[…1…]]]`, `depth` arrays deep. */
const deepArrays = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`
/** An order whose customer is `depth` objects deep in all (the body itself counts as one). */
const deepOrder = (depth: number) =>
  `{"customer":${'{"a":'.repeat(depth - 2)}{"name":"X"}${'}'.repeat(depth - 2)},"items":[{"sku":"WIDGET-1","quantity":1}]}`

describe('API4 unrestricted resource consumption', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>

  beforeAll(async () => {
    ;({ app, as } = await appWithCallers())
  })
  afterAll(async () => {
    await app.close()
  })

  describe('request size and shape', () => {
    it.each<[string, Caller, number, string, Call]>([
      [
        'POST /api/orders with a 256 KiB + 1 body',
        'admin',
        413,
        'REQUEST.BODY_TOO_LARGE',
        {
          method: 'POST',
          url: '/api/orders',
          headers: JSON_TYPE,
          payload: JSON.stringify({ ...orderBody('WIDGET-1'), notes: 'x'.repeat(256 * KIB) }),
        },
      ],
      [
        'POST /api/auth/token (anonymous) with a 1 MiB body',
        'anonymous',
        413,
        'REQUEST.BODY_TOO_LARGE',
        {
          method: 'POST',
          url: '/api/auth/token',
          headers: JSON_TYPE,
          payload: JSON.stringify({ email: TEST_ADMIN.email, password: 'x'.repeat(1024 * KIB) }),
        },
      ],
      [
        'POST /api/auth/token (anonymous) with arrays nested 10 000 deep',
        'anonymous',
        400,
        'REQUEST.TOO_DEEP',
        { method: 'POST', url: '/api/auth/token', headers: JSON_TYPE, payload: deepArrays(10_000) },
      ],
      [
        'POST /api/auth/token (anonymous) with objects nested 10 000 deep',
        'anonymous',
        400,
        'REQUEST.TOO_DEEP',
        {
          method: 'POST',
          url: '/api/auth/token',
          headers: JSON_TYPE,
          payload: `{"email":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)},"password":"x"}`,
        },
      ],
      [
        'POST /api/orders with the customer nested 10 000 deep',
        'admin',
        400,
        'REQUEST.TOO_DEEP',
        { method: 'POST', url: '/api/orders', headers: JSON_TYPE, payload: deepOrder(10_000) },
      ],
      [
        'POST /api/orders with the customer nested 40 deep',
        'admin',
        400,
        'REQUEST.TOO_DEEP',
        { method: 'POST', url: '/api/orders', headers: JSON_TYPE, payload: deepOrder(40) },
      ],
      [
        'POST /api/orders with 101 items',
        'repA',
        400,
        'REQUEST.VALIDATION',
        {
          method: 'POST',
          url: '/api/orders',
          payload: { customer: { name: 'X' }, items: Array.from({ length: 101 }, (_, i) => ({ sku: `SKU-${i}X`, quantity: 1 })) },
        },
      ],
      [
        'POST /api/orders with a quantity of 10 001',
        'repA',
        400,
        'REQUEST.VALIDATION',
        { method: 'POST', url: '/api/orders', payload: orderBody('WIDGET-1', 10_001) },
      ],
      [
        'POST /api/orders with 2001 characters of notes',
        'repA',
        400,
        'REQUEST.VALIDATION',
        { method: 'POST', url: '/api/orders', payload: { ...orderBody('WIDGET-1'), notes: 'n'.repeat(2001) } },
      ],
      [
        'POST /api/auth/token with a 257-character password (never hashed)',
        'anonymous',
        400,
        'REQUEST.VALIDATION',
        { method: 'POST', url: '/api/auth/token', payload: { email: TEST_ADMIN.email, password: 'p'.repeat(257) } },
      ],
      [
        'POST /api/users with a 201-character name',
        'admin',
        400,
        'REQUEST.VALIDATION',
        {
          method: 'POST',
          url: '/api/users',
          payload: { email: 'long-name@corp.example', name: 'n'.repeat(201), password: 'a-long-password', role: 'auditor' },
        },
      ],
      [
        'POST /api/orders with a 256-character Idempotency-Key',
        'repA',
        400,
        'REQUEST.INVALID_IDEMPOTENCY_KEY',
        { method: 'POST', url: '/api/orders', headers: { 'idempotency-key': 'k'.repeat(256) }, payload: orderBody('WIDGET-1') },
      ],
    ])('%s as %s → %i %s', async (_name, caller, status, code, call) => {
      const head = await app.eventStore.headPosition()
      expectProblem(await send(app, call, as[caller]), status, code)
      expect(await app.eventStore.headPosition()).toBe(head)
    })

    it.each<[string, Call]>([
      ['a normal order (3 levels deep)', { method: 'POST', url: '/api/orders', payload: orderBody('WIDGET-1') }],
      [
        'an order whose notes hold 1000 brackets (text, not nesting)',
        { method: 'POST', url: '/api/orders', payload: { ...orderBody('WIDGET-1'), notes: '[{'.repeat(500) } },
      ],
      [
        'an order at the largest quantity (10 000)',
        {
          method: 'POST',
          url: '/api/orders',
          payload: { customer: { name: 'X' }, items: [{ sku: 'WIDGET-1', quantity: 10_000 }] },
        },
      ],
    ])('control: %s → 201', async (_name, call) => {
      const response = await send(app, call, as.repA)
      expect(response.statusCode, response.body).toBe(201)
    })
  })

  describe('pages and ranges', () => {
    it.each<[string, string, string, Caller, string]>([
      ['/api/orders?limit=201', 'REQUEST.VALIDATION', 'querystring/limit', 'admin', '/api/orders?limit=201'],
      ['/api/orders?limit=0', 'REQUEST.VALIDATION', 'querystring/limit', 'admin', '/api/orders?limit=0'],
      ['/api/users?limit=201', 'REQUEST.VALIDATION', 'querystring/limit', 'admin', '/api/users?limit=201'],
      ['/api/skus?limit=201', 'REQUEST.VALIDATION', 'querystring/limit', 'auditor', '/api/skus?limit=201'],
      [
        '/api/orders?cursor=<1025 characters>',
        'REQUEST.VALIDATION',
        'querystring/cursor',
        'admin',
        `/api/orders?cursor=${'c'.repeat(1025)}`,
      ],
      [
        '/api/reports/summaries over two years by the hour',
        'REPORT.INVALID_RANGE',
        'querystring/to',
        'auditor',
        '/api/reports/summaries?from=2020-01-01&to=2022-01-01&granularity=hour',
      ],
    ])('GET %s → 400 %s naming %s', async (_name, code, path, caller, url) => {
      const problem = expectProblem(await send(app, { method: 'GET', url }, as[caller]), 400, code)
      expect(problem.errors?.map((e) => e.path)).toEqual([path])
    })

    it('control: GET /api/orders?limit=200 → 200', async () => {
      expect((await send(app, { method: 'GET', url: '/api/orders?limit=200' }, as.admin)).statusCode).toBe(200)
    })
  })
})

describe('API4 rate limit: API_RATE_LIMIT=3/1m', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>
  const SKUS: Call = { method: 'GET', url: '/api/skus' }

  beforeAll(async () => {
    ;({ app } = await buildTestApp({ env: { API_RATE_LIMIT: '3/1m' } }))
    as = await callers(app)
  })
  afterAll(async () => {
    await app.close()
  })

  it('GET /api/skus as the auditor: 3 × 200 counting down RateLimit-Remaining, the 4th → 429 RATE_LIMITED with Retry-After and RateLimit-*', async () => {
    for (const remaining of ['2', '1', '0']) {
      const response = await send(app, SKUS, as.auditor)
      expect([response.statusCode, response.headers['ratelimit-limit'], response.headers['ratelimit-remaining']]).toEqual([
        200,
        '3',
        remaining,
      ])
    }
    const limited = await send(app, SKUS, as.auditor)
    const problem = expectProblem(limited, 429, 'RATE_LIMITED')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect(limited.headers['ratelimit-limit']).toBe('3')
    expect(limited.headers['ratelimit-remaining']).toBe('0')
    expect(Number(limited.headers['ratelimit-reset'])).toBeGreaterThan(0)
    expect(problem.retry_after).toBe(Number(limited.headers['retry-after']))
  })

  it('GET /api/skus as rep A meanwhile → 200 (limits are per user)', async () => {
    expect((await send(app, SKUS, as.repA)).statusCode).toBe(200)
  })

  it('GET /api/skus anonymously: 3 × 401, the 4th → 429 RATE_LIMITED (anonymous callers are limited per IP)', async () => {
    for (let i = 0; i < 3; i++) expectProblem(await send(app, SKUS), 401, 'AUTH.TOKEN_REQUIRED')
    const limited = await send(app, SKUS)
    expectProblem(limited, 429, 'RATE_LIMITED')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
  })
})

describe('API4 slow clients (a real listening server, raw sockets)', () => {
  let service: { app: FastifyInstance; url: string }

  beforeAll(async () => {
    service = await listeningApp({})
  })
  afterAll(async () => {
    await service.app.close()
  })

  /** Opens a socket, writes `sent`, then nothing: what came back and when the server closed it. */
  const trickle = (sent: string) =>
    new Promise<{ reply: string; closedAfterMs: number }>((resolve, reject) => {
      const started = Date.now()
      const socket = connect(Number(new URL(service.url).port), '127.0.0.1', () => socket.write(sent))
      let reply = ''
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => (reply += chunk))
      socket.on('error', reject)
      socket.on('close', () => {
        resolve({ reply, closedAfterMs: Date.now() - started })
      })
    })

  it('headers never finished → 408 and closed after 10 s; a body never finished → closed after 30 s (Node alone: 72 s and more)', async () => {
    const [headers, body] = await Promise.all([
      trickle('GET /api/skus HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer'),
      trickle('POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{'),
    ])
    expect(headers.reply).toMatch(/^HTTP\/1\.1 408 /)
    expect(headers.closedAfterMs).toBeGreaterThanOrEqual(10_000)
    expect(headers.closedAfterMs).toBeLessThan(15_000)
    // Refused (401) as soon as its headers arrived, but the socket was held for the body.
    expect(body.reply).toMatch(/^HTTP\/1\.1 401 /)
    expect(body.closedAfterMs).toBeGreaterThanOrEqual(30_000)
    expect(body.closedAfterMs).toBeLessThan(35_000)
  }, 60_000)
})
