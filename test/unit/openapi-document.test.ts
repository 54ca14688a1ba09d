import type { FastifyInstance, InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLES, type Role } from '../../src/auth/abilities.js'
import { SERVICE_VERSION } from '../../src/infra/version.js'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { servedRoutes } from '../support/routes.js'

/*
 * The OpenAPI document says what the service really does. Every route the router serves is
 * an operation of /docs/json, and the answers its hooks give are found by asking the route
 * itself — no token, each role, a text body, a large body, an operator-like query key, a
 * spent rate limit — then looked up in the document: a route added without its
 * documentation, or documented with answers it cannot give, fails here.
 */

/**
 * Routes that are not operations: the documents themselves and Swagger UI (`/docs…`), and
 * wildcard routes, which serve files (Swagger UI's, the dashboard's `/assets/*`; the router
 * prints a wildcard without its prefix).
 */
const NOT_OPERATIONS = [/^[A-Z]+ \/docs(\/|\*|$)/, /\*$/]

type Method = NonNullable<InjectOptions['method']>
interface Responses {
  [status: string]: { $ref?: string; headers?: Record<string, unknown>; content?: Record<string, { schema?: unknown }> }
}
interface Operation {
  operationId?: string
  summary?: string
  tags?: string[]
  security?: Record<string, string[]>[]
  parameters?: { $ref?: string; name?: string; in?: string }[]
  requestBody?: { content: Record<string, { examples?: Record<string, unknown> }> }
  responses: Responses
}
interface Document {
  openapi: string
  info: { version: string; license?: { name: string; identifier?: string } }
  servers?: { url: string }[]
  tags?: { name: string; description?: string }[]
  security: Record<string, string[]>[]
  paths: Record<string, Record<string, Operation>>
  components: {
    responses: Responses
    schemas: Record<string, { examples?: unknown[] }>
    examples: Record<string, { value: { code: string; status: number } }>
  }
}

/** A concrete URL for a path template: the admin, WIDGET-1, ORD-00001, the orders projection. */
const concrete = (path: string) =>
  path.replace('{email}', TEST_ADMIN.email).replace('{sku}', 'WIDGET-1').replace('{id}', 'ORD-00001').replace('{name}', 'orders')

const operationsOf = (app: FastifyInstance) =>
  servedRoutes(app)
    .filter((route) => !NOT_OPERATIONS.some((pattern) => pattern.test(route)))
    .map((route) => {
      const [method = '', path = ''] = route.split(' ')
      return { route, method, path }
    })

let app: FastifyInstance
const tokens = {} as Record<Role, string>

beforeAll(async () => {
  ;({ app } = await buildTestApp())
  for (const role of ROLES) tokens[role] = await tokenFor(app, role)
})
afterAll(async () => {
  await app.close()
})

describe('the OpenAPI document covers every route with the answers it can give', () => {
  let doc: Document

  const operationOf = (method: string, path: string) => doc.paths[path]?.[method.toLowerCase()]
  const documented = (method: string, path: string) => Object.keys(operationOf(method, path)?.responses ?? {})
  /** The token travels as the document says: a bearer header, or the `token` query parameter. */
  const asCaller = (method: Method, path: string, token: string | undefined, extra: Partial<InjectOptions> = {}) => {
    const inQuery = operationOf(method, path)?.security?.some((requirement) => 'queryToken' in requirement) === true
    const url = concrete(path) + (inQuery && token ? `?token=${token}` : '')
    return app.inject({ method, url, ...extra, headers: { ...(!inQuery && token ? bearer(token) : {}), ...extra.headers } })
  }

  beforeAll(async () => {
    doc = (await app.inject({ url: '/docs/json' })).json<Document>()
  })

  it('says what it is: version from package.json, a licence, servers, a described tag for each operation tag', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info.version).toBe(SERVICE_VERSION)
    expect(doc.info.license).toEqual({ name: expect.any(String) as string, identifier: 'LicenseRef-Proprietary' })
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) as string }])
    const described = new Set((doc.tags ?? []).filter((tag) => tag.description).map((tag) => tag.name))
    for (const operations of Object.values(doc.paths)) {
      for (const op of Object.values(operations)) for (const tag of op.tags ?? []) expect(described).toContain(tag)
    }
  })

  it('lists every served route, each with an operationId, a summary and a tag', () => {
    const operations = operationsOf(app)
    expect(operations.length).toBeGreaterThanOrEqual(29)
    for (const { route, method, path } of operations) {
      const op = operationOf(method, path)
      expect(op, `${route} is not in the document`).toBeDefined()
      expect(op?.operationId, route).toMatch(/^[a-z][A-Za-z]+$/)
      expect(op?.summary, route).toBeTruthy()
      expect(op?.tags?.length, route).toBe(1)
    }
  })

  it('documents 401 where a request without a token is refused, and asks for a token exactly there', async () => {
    for (const { route, method, path } of operationsOf(app)) {
      const response = await asCaller(method, path, undefined)
      const security = operationOf(method, path)?.security ?? doc.security
      expect([route, security.length > 0]).toEqual([route, response.statusCode === 401])
      if (response.statusCode === 401) expect(documented(method, path), route).toContain('401')
    }
  })

  it('documents 403 exactly where some role is refused with 403', async () => {
    for (const { route, method, path } of operationsOf(app)) {
      const refused: Role[] = []
      for (const role of ROLES) if ((await asCaller(method, path, tokens[role])).statusCode === 403) refused.push(role)
      expect([route, documented(method, path).includes('403')]).toEqual([route, refused.length > 0])
    }
  })

  it('documents 415 and 413 exactly where a body is read (a text body, a body over 256 KiB)', async () => {
    for (const { route, method, path } of operationsOf(app)) {
      const text = await asCaller(method, path, tokens.admin, { payload: 'x', headers: { 'content-type': 'text/plain' } })
      const large = await asCaller(method, path, tokens.admin, {
        payload: JSON.stringify({ x: 'x'.repeat(300 * 1024) }),
        headers: { 'content-type': 'application/json' },
      })
      const has = documented(method, path)
      expect([route, has.includes('415'), has.includes('413')]).toEqual([
        route,
        text.statusCode === 415,
        large.statusCode === 413,
      ])
      expect([route, operationOf(method, path)?.requestBody !== undefined]).toEqual([route, text.statusCode === 415])
    }
  })

  it('documents 400 everywhere: an operator-like query key is refused on every route', async () => {
    for (const { route, method, path } of operationsOf(app)) {
      const response = await asCaller(method, path, tokens.admin, { query: { $gt: '1' } })
      expect([route, response.statusCode]).toEqual([route, 400])
      expect(documented(method, path), route).toContain('400')
    }
  })

  it('documents 429 with Retry-After where the API rate limit applies (every /api route)', async () => {
    const limited = await buildTestApp({ env: { API_RATE_LIMIT: '1/1h' } })
    try {
      await limited.app.inject({ method: 'GET', url: '/api/skus' }) // the address's one request this hour
      for (const { route, method, path } of operationsOf(limited.app)) {
        const response = await limited.app.inject({ method, url: concrete(path) })
        const has = documented(method, path).includes('429')
        expect([route, has]).toEqual([route, response.statusCode === 429])
        if (has) expect(response.headers['retry-after'], route).toBeDefined()
      }
    } finally {
      await limited.app.close()
    }
    expect(doc.components.responses.TooManyRequests?.headers).toHaveProperty('Retry-After')
  })

  it('types every problem answer application/problem+json with the one Problem schema, X-Request-Id on every HTTP answer', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        for (const [status, given] of Object.entries(op.responses)) {
          const response = given.$ref ? doc.components.responses[given.$ref.split('/').at(-1) ?? ''] : given
          const where = `${method} ${path} ${status}`
          // (101 Switching Protocols is the WebSocket library's own handshake answer)
          if (status !== '101') expect(response?.headers, where).toHaveProperty('X-Request-Id')
          if (Number(status) < 400) continue
          expect(Object.keys(response?.content ?? {}), where).toEqual(['application/problem+json'])
          expect(response?.content?.['application/problem+json']?.schema, where).toEqual({ $ref: '#/components/schemas/Problem' })
        }
      }
    }
  })

  it('documents the headers commands read and set, and where reads say their read-model position', () => {
    const parameters = (operationId: string) =>
      Object.values(doc.paths)
        .flatMap((operations) => Object.values(operations))
        .find((op) => op.operationId === operationId)
        ?.parameters?.flatMap((p) => (p.$ref ? [p.$ref] : []))
    expect(parameters('placeOrder')).toEqual(['#/components/parameters/Idempotency-Key'])
    expect(parameters('createSku')).toEqual(['#/components/parameters/Idempotency-Key'])
    for (const operationId of ['confirmOrder', 'shipOrder', 'deliverOrder', 'cancelOrder', 'updateSku', 'deactivateSku'])
      expect(parameters(operationId), operationId).toEqual([
        '#/components/parameters/If-Match',
        '#/components/parameters/Idempotency-Key',
      ])
    expect(operationOf('POST', '/api/orders/{id}/confirm')?.responses['412']).toBeDefined()
    expect(Object.keys(operationOf('POST', '/api/orders')?.responses['201']?.headers ?? {})).toEqual(
      expect.arrayContaining(['X-Request-Id', 'ETag', 'Location', 'Idempotent-Replayed', 'RateLimit-Remaining']),
    )
    for (const path of ['/api/orders', '/api/orders/{id}', '/api/skus', '/api/skus/{sku}', '/api/reports/summaries'])
      expect(operationOf('GET', path)?.responses['200']?.headers, path).toHaveProperty('X-Read-Model-Position')
  })

  it('documents text/csv exactly on the routes that answer ?format=csv with a CSV download', async () => {
    const query = { from: '2026-01-01', to: '2026-02-01', format: 'csv' }
    for (const { route, method, path } of operationsOf(app).filter((op) => op.method === 'GET' && op.path.startsWith('/api/'))) {
      const takesFormat = operationOf(method, path)?.parameters?.some((p) => p.name === 'format') === true
      const content = Object.keys(operationOf(method, path)?.responses['200']?.content ?? {})
      expect([route, content.includes('text/csv')]).toEqual([route, takesFormat])
      if (!takesFormat) continue
      const wanted = path === '/api/reports/summaries' ? query : { format: 'csv' }
      const response = await asCaller(method, path, tokens.admin, { query: wanted })
      expect([route, response.statusCode, response.headers['content-type']]).toEqual([
        route,
        200,
        'text/csv; charset=utf-8; header=present',
      ])
    }
  })

  it('shows examples of the main bodies: an order, a SKU, a report, a problem per status', () => {
    const exampleOf = (method: string, path: string, status: string) =>
      Object.values(
        (
          operationOf(method, path)?.responses[status]?.content?.['application/json'] as
            { examples?: Record<string, { value: unknown }> } | undefined
        )?.examples ?? {},
      )
    expect(exampleOf('POST', '/api/orders', '201')).toEqual([
      { value: expect.objectContaining({ order_id: 'ORD-00042' }) as unknown },
    ])
    expect(exampleOf('POST', '/api/skus', '201')).toEqual([{ value: expect.objectContaining({ sku: 'WIDGET-1' }) as unknown }])
    expect(exampleOf('GET', '/api/reports/summaries', '200')).toEqual([
      { value: expect.objectContaining({ granularity: 'day' }) as unknown },
    ])
    expect(Object.keys(operationOf('POST', '/api/orders')?.requestBody?.content['application/json']?.examples ?? {})).toEqual([
      'placeOrder',
    ])
    const problems = Object.values(doc.components.examples).map(({ value }) => `${value.status} ${value.code}`)
    expect(problems).toEqual(expect.arrayContaining(['409 ORDER.ILLEGAL_TRANSITION', '400 REQUEST.VALIDATION']))
  })

  it('serves the real-time feeds as an AsyncAPI 3 document next to it', async () => {
    const response = await app.inject({ url: '/docs/asyncapi.json' })
    expect(response.statusCode).toBe(200)
    const asyncApi = response.json<{
      asyncapi: string
      info: { version: string }
      channels: Record<string, { address: string; messages: Record<string, unknown> }>
    }>()
    expect(asyncApi.asyncapi).toBe('3.0.0')
    expect(asyncApi.info.version).toBe(SERVICE_VERSION)
    expect(Object.keys(asyncApi.channels.socketIoFeed?.messages ?? {}).sort()).toEqual(
      ['new_order', 'order_event', 'resync', 'session_revoked', 'sku_event', 'token_expired'].sort(),
    )
    expect(asyncApi.channels.webSocketFeed?.address).toBe('/api/events/ws')
  })
})

describe('validation messages name the allowed values of enumerations and unions', () => {
  it.each<[string, InjectOptions, string, string]>([
    [
      'a role',
      {
        method: 'POST',
        url: '/api/users',
        payload: { email: 'new@test.local', name: 'New', password: 'a-long-password', role: 'user' },
      },
      'body/role',
      'must be one of: admin, sales_rep, auditor',
    ],
    [
      'a granularity',
      { method: 'GET', url: '/api/reports/summaries?from=2026-01-01&to=2026-02-01&granularity=week' },
      'querystring/granularity',
      'must be one of: hour, day, month',
    ],
    [
      'a grouping',
      { method: 'GET', url: '/api/reports/summaries?from=2026-01-01&to=2026-02-01&group_by=customer' },
      'querystring/group_by',
      'must be one of: none, sales_rep, sku',
    ],
    ['a format', { method: 'GET', url: '/api/orders?format=xml' }, 'querystring/format', 'must be one of: json, csv'],
    [
      'an order status',
      { method: 'GET', url: '/api/orders?status=open' },
      'querystring/status',
      'must be one of: created, confirmed, shipped, delivered, cancelled',
    ],
    [
      'a projection name',
      { method: 'POST', url: '/api/admin/projections/invoices/rebuild', payload: {} },
      'params/name',
      'must be one of: orders, skus, summaries',
    ],
  ])('%s not among them → 400 listing them, once', async (_what, request, path, message) => {
    const response = await app.inject({ ...request, headers: bearer(tokens.admin) })
    expect(response.statusCode).toBe(400)
    expect(response.json<{ errors: unknown[] }>().errors).toEqual([{ path, message }])
  })
})
