import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
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
