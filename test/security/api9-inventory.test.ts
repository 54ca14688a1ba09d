import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVICE_VERSION } from '../../src/infra/version.js'
import { orderIn } from '../support/fixtures.js'
import { servedRoutes } from '../support/routes.js'
import { appWithCallers, type Call, type Caller, type Method, USERS, expectProblem, send } from './support.js'

/**
 * API9:2023 Improper Inventory Management. The OpenAPI document at /docs/json is the
 * inventory: it lists exactly the routes the service answers (the WebSocket feed included,
 * its token in the query), each operation declares the security it really has, and no other
 * version, debug or admin path exists.
 */

type Security = 'public' | 'bearer' | 'query-token'

/** The inventory: every operation, and what it needs. */
const INVENTORY: [Method, string, Security][] = [
  ['GET', '/', 'public'],
  ['GET', '/health', 'public'],
  ['GET', '/health/ready', 'public'],
  ['GET', '/.well-known/jwks.json', 'public'],
  ['POST', '/api/auth/token', 'public'],
  ['POST', '/api/users', 'bearer'],
  ['GET', '/api/users', 'bearer'],
  ['GET', '/api/users/{email}', 'bearer'],
  ['PATCH', '/api/users/{email}', 'bearer'],
  ['POST', '/api/skus', 'bearer'],
  ['GET', '/api/skus', 'bearer'],
  ['GET', '/api/skus/{sku}', 'bearer'],
  ['PATCH', '/api/skus/{sku}', 'bearer'],
  ['POST', '/api/skus/{sku}/deactivate', 'bearer'],
  ['POST', '/api/skus/{sku}/reactivate', 'bearer'],
  ['POST', '/api/orders', 'bearer'],
  ['GET', '/api/orders', 'bearer'],
  ['GET', '/api/orders/{id}', 'bearer'],
  ['GET', '/api/orders/{id}/history', 'bearer'],
  ['POST', '/api/orders/{id}/confirm', 'bearer'],
  ['POST', '/api/orders/{id}/ship', 'bearer'],
  ['POST', '/api/orders/{id}/deliver', 'bearer'],
  ['POST', '/api/orders/{id}/cancel', 'bearer'],
  ['GET', '/api/reports/summaries', 'bearer'],
  ['GET', '/api/admin/projections', 'bearer'],
  ['POST', '/api/admin/projections/{name}/rebuild', 'bearer'],
  ['GET', '/api/admin/jobs', 'bearer'],
  ['POST', '/api/admin/jobs/{name}/run', 'bearer'],
  ['GET', '/api/events/ws', 'query-token'],
]
const SECURITY_OF: Record<Security, unknown[]> = { public: [], bearer: [{ bearer: [] }], 'query-token': [{ queryToken: [] }] }

interface OpenApi {
  openapi: string
  info: { title: string; version: string }
  security?: unknown[]
  paths: Record<string, Record<string, { security?: unknown[] }>>
}

/** A concrete URL for a path template (fixtures: rep A, WIDGET-1, ORD-00001, the orders projection). */
const concrete = (path: string) =>
  path.replace('{email}', USERS.repA.email).replace('{sku}', 'WIDGET-1').replace('{id}', 'ORD-00001').replace('{name}', 'orders')

describe('API9 improper inventory management', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>
  let doc: OpenApi

  beforeAll(async () => {
    ;({ app, as } = await appWithCallers())
    expect((await orderIn(app, 'created', { skus: ['WIDGET-1'], salesRep: USERS.repA.email })).order_id).toBe('ORD-00001')
    const response = await send(app, { method: 'GET', url: '/docs/json' })
    expect(response.statusCode).toBe(200)
    doc = response.json<OpenApi>()
  })
  afterAll(async () => {
    await app.close()
  })

  const documented = () =>
    Object.entries(doc.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort()

  it('GET /docs/json (anonymous) → 200: OpenAPI 3.1.0, info.version from package.json', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info).toMatchObject({ title: 'Sales Order Service', version: SERVICE_VERSION })
  })

  it('the document lists exactly the inventory', () => {
    expect(documented()).toEqual(INVENTORY.map(([method, path]) => `${method} ${path}`).sort())
  })

  it('the router serves exactly the documented routes under /api', () => {
    const served = servedRoutes(app).filter((route) => route.split(' ')[1]?.startsWith('/api/'))
    const documentedApi = documented().filter((route) => route.split(' ')[1]?.startsWith('/api/'))
    expect(served.filter((route) => !documentedApi.includes(route))).toEqual([])
    expect(documentedApi.filter((route) => !served.includes(route))).toEqual([])
  })

  it('/docs/json lists no /metrics, and GET /metrics → 404 ROUTE.NOT_FOUND on the API port', async () => {
    expect(Object.keys(doc.paths).filter((path) => path.includes('metrics'))).toEqual([])
    expectProblem(await send(app, { method: 'GET', url: '/metrics' }), 404, 'ROUTE.NOT_FOUND')
  })

  it.each(INVENTORY)('%s %s declares its security in the document (%s)', (method, path, security) => {
    const operation = doc.paths[path]?.[method.toLowerCase()]
    expect(operation).toBeDefined()
    expect(operation?.security ?? doc.security ?? []).toEqual(SECURITY_OF[security])
  })

  describe('the document’s security is what the service does', () => {
    it.each(INVENTORY.filter(([, , security]) => security !== 'public'))(
      '%s %s without a token → 401 AUTH.TOKEN_REQUIRED',
      async (method, path) => {
        const response = await send(app, { method, url: concrete(path) })
        expectProblem(response, 401, 'AUTH.TOKEN_REQUIRED')
        expect(response.headers['www-authenticate']).toBe('Bearer realm="sales-orders"')
      },
    )

    it.each<[string, number, string | null, Call]>([
      ['GET /', 200, null, { method: 'GET', url: '/' }],
      ['GET /health', 200, null, { method: 'GET', url: '/health' }],
      ['GET /health/ready', 200, null, { method: 'GET', url: '/health/ready' }],
      ['GET /.well-known/jwks.json', 200, null, { method: 'GET', url: '/.well-known/jwks.json' }],
      ['POST /api/auth/token {}', 400, 'REQUEST.VALIDATION', { method: 'POST', url: '/api/auth/token', payload: {} }],
    ])('%s without a token → %i %s (public: no token asked for)', async (_name, status, code, call) => {
      const response = await send(app, call)
      if (code === null) expect(response.statusCode, response.body).toBe(status)
      else expectProblem(response, status, code)
    })
  })

  describe('nothing else exists: undocumented versions, debug and admin paths, methods → 404 ROUTE.NOT_FOUND (as admin)', () => {
    it.each<[Method, string]>([
      ['GET', '/api/v0/orders'],
      ['GET', '/api/v1/orders'],
      ['GET', '/api/v2/orders'],
      ['GET', '/api/v1/users'],
      ['GET', '/api/internal/users'],
      ['GET', '/api/admin/users'],
      ['GET', '/api/admin/jobs/reports.reconcile'],
      ['DELETE', '/api/admin/jobs/reports.reconcile/run'],
      ['GET', '/api/debug'],
      ['GET', '/api/metrics'],
      ['GET', '/api/health'],
      ['GET', '/api/events'],
      ['GET', '/api/docs'],
      ['DELETE', '/api/users/rep-a@corp.example'],
      ['PUT', '/api/users/rep-a@corp.example'],
      ['DELETE', '/api/orders/ORD-00001'],
      ['PUT', '/api/orders/ORD-00001'],
      ['PATCH', '/api/orders/ORD-00001'],
      ['DELETE', '/api/skus/WIDGET-1'],
      ['POST', '/api/orders/ORD-00001/reopen'],
    ])('%s %s', async (method, url) => {
      expectProblem(await send(app, { method, url }, as.admin), 404, 'ROUTE.NOT_FOUND')
    })
  })
})
