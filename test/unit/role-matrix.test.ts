import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../../src/auth/abilities.js'
import { buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku, orderIn } from '../support/fixtures.js'

type Method = 'GET' | 'POST' | 'PATCH'

/** One row per /api route: who may call it. Every route the API has must be listed. */
interface RouteCase {
  method: Method
  /** The route as declared (OpenAPI path template). */
  route: string
  allowed: Role[]
  /** A fresh concrete request for each call (paths and bodies that succeed when allowed). */
  request(app: FastifyInstance, n: number): Promise<{ url: string; payload?: object }> | { url: string; payload?: object }
}

const ROLES: Role[] = ['admin', 'sales_rep', 'auditor']

/** Set up in beforeAll: an active SKU that orders can use. */
let sku = ''
const rep = 'sales-rep@test.local'

const routes: RouteCase[] = [
  {
    method: 'POST',
    route: '/api/users',
    allowed: ['admin'],
    request: (_app, n) => ({
      url: '/api/users',
      payload: { email: `new${n}@test.local`, name: 'New', password: 'a-long-password', role: 'auditor' },
    }),
  },
  { method: 'GET', route: '/api/users', allowed: ['admin'], request: () => ({ url: '/api/users' }) },
  { method: 'GET', route: '/api/users/{email}', allowed: ['admin'], request: () => ({ url: '/api/users/auditor@test.local' }) },
  {
    method: 'PATCH',
    route: '/api/users/{email}',
    allowed: ['admin'],
    request: () => ({ url: '/api/users/auditor@test.local', payload: { name: 'Renamed' } }),
  },
  {
    method: 'POST',
    route: '/api/skus',
    allowed: ['admin', 'sales_rep'],
    request: (_app, n) => ({
      url: '/api/skus',
      payload: { sku: `NEW-${n}`, name: 'New', unit_price: 100, currency: 'EUR', tax_rate_bp: 2000 },
    }),
  },
  {
    method: 'PATCH',
    route: '/api/skus/{sku}',
    allowed: ['admin'],
    request: (_app, n) => ({ url: `/api/skus/${sku}`, payload: { unit_price: 1000 + n } }),
  },
  {
    method: 'POST',
    route: '/api/skus/{sku}/deactivate',
    allowed: ['admin'],
    request: async (app) => ({ url: `/api/skus/${(await createSku(app)).sku}/deactivate`, payload: { reason: 'discontinued' } }),
  },
  {
    method: 'POST',
    route: '/api/skus/{sku}/reactivate',
    allowed: ['admin'],
    request: async (app) => {
      const code = (await createSku(app)).sku
      await app.inject({ method: 'POST', url: `/api/skus/${code}/deactivate`, headers: bearer(tokens.admin) })
      return { url: `/api/skus/${code}/reactivate` }
    },
  },
  {
    method: 'POST',
    route: '/api/orders',
    allowed: ['admin', 'sales_rep'],
    request: () => ({
      url: '/api/orders',
      payload: { customer: { name: 'ACME' }, items: [{ sku, quantity: 2 }], sales_rep: rep },
    }),
  },
  {
    method: 'POST',
    route: '/api/orders/{id}/confirm',
    allowed: ['admin'],
    request: async (app) => ({
      url: `/api/orders/${(await orderIn(app, 'created', { skus: [sku], salesRep: rep })).order_id}/confirm`,
    }),
  },
  {
    method: 'POST',
    route: '/api/orders/{id}/ship',
    allowed: ['admin'],
    request: async (app) => ({
      url: `/api/orders/${(await orderIn(app, 'confirmed', { skus: [sku], salesRep: rep })).order_id}/ship`,
      payload: { carrier: 'DHL', tracking_number: 'JD0001' },
    }),
  },
  {
    method: 'POST',
    route: '/api/orders/{id}/deliver',
    allowed: ['admin'],
    request: async (app) => ({
      url: `/api/orders/${(await orderIn(app, 'shipped', { skus: [sku], salesRep: rep })).order_id}/deliver`,
    }),
  },
  {
    // A sales rep may cancel its own orders while they are created (the order here is the rep's).
    method: 'POST',
    route: '/api/orders/{id}/cancel',
    allowed: ['admin', 'sales_rep'],
    request: async (app) => ({
      url: `/api/orders/${(await orderIn(app, 'created', { skus: [sku], salesRep: rep })).order_id}/cancel`,
      payload: { reason: 'customer changed their mind' },
    }),
  },
  {
    method: 'GET',
    route: '/api/orders',
    allowed: ['admin', 'sales_rep', 'auditor'],
    request: () => ({ url: '/api/orders?limit=5' }),
  },
  {
    // The rep's own order: every role may read it (another rep's would be a 404 for a rep).
    method: 'GET',
    route: '/api/orders/{id}',
    allowed: ['admin', 'sales_rep', 'auditor'],
    request: async (app) => {
      const order = await orderIn(app, 'created', { skus: [sku], salesRep: rep })
      return { url: `/api/orders/${order.order_id}?min_position=${order.position}` }
    },
  },
  {
    method: 'GET',
    route: '/api/orders/{id}/history',
    allowed: ['admin', 'sales_rep', 'auditor'],
    request: async (app) => ({
      url: `/api/orders/${(await orderIn(app, 'confirmed', { skus: [sku], salesRep: rep })).order_id}/history`,
    }),
  },
  {
    method: 'GET',
    route: '/api/skus',
    allowed: ['admin', 'sales_rep', 'auditor'],
    request: () => ({ url: '/api/skus?active=true' }),
  },
  {
    method: 'GET',
    route: '/api/skus/{sku}',
    allowed: ['admin', 'sales_rep', 'auditor'],
    request: async (app) => {
      const created = await createSku(app)
      return { url: `/api/skus/${created.sku}?min_position=${created.position}` }
    },
  },
  {
    method: 'GET',
    route: '/api/reports/summaries',
    allowed: ['admin', 'auditor'],
    request: () => ({ url: '/api/reports/summaries?from=2026-01-01&to=2026-02-01&granularity=day' }),
  },
  { method: 'GET', route: '/api/admin/projections', allowed: ['admin'], request: () => ({ url: '/api/admin/projections' }) },
  {
    method: 'POST',
    route: '/api/admin/projections/{name}/rebuild',
    allowed: ['admin'],
    request: () => ({ url: '/api/admin/projections/skus/rebuild' }),
  },
  { method: 'GET', route: '/api/admin/jobs', allowed: ['admin'], request: () => ({ url: '/api/admin/jobs' }) },
  {
    method: 'POST',
    route: '/api/admin/jobs/{name}/run',
    allowed: ['admin'],
    request: () => ({ url: '/api/admin/jobs/realtime.trim/run' }),
  },
]

/** Routes anyone may call without a token. */
/** Routes without a bearer token: the login, and the WebSocket feed (token in the query; its roles: test/int/realtime.test.ts). */
const PUBLIC_ROUTES = ['POST /api/auth/token', 'GET /api/events/ws']

const tokens = {} as Record<Role, string>

describe('role matrix: each role against each /api route', () => {
  let app: FastifyInstance
  let n = 0

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    for (const role of ROLES) tokens[role] = await tokenFor(app, role)
    sku = (await createSku(app)).sku
  })
  afterAll(async () => {
    await app.close()
  })

  it('lists every /api route the app has', async () => {
    const spec = app.swagger() as { paths: Record<string, Record<string, unknown>> }
    const declared = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .filter((route) => !PUBLIC_ROUTES.includes(route))
      .sort()
    expect(routes.map((r) => `${r.method} ${r.route}`).sort()).toEqual(declared)
  })

  for (const route of routes) {
    describe(`${route.method} ${route.route}`, () => {
      it('no token → 401', async () => {
        const { url, payload } = await route.request(app, ++n)
        const response = await app.inject({ method: route.method, url, ...(payload ? { payload } : {}) })
        expect(response.statusCode).toBe(401)
      })
      for (const role of ROLES) {
        const allowed = route.allowed.includes(role)
        it(`${role} → ${allowed ? '2xx' : '403'}`, async () => {
          const { url, payload } = await route.request(app, ++n)
          const response = await app.inject({
            method: route.method,
            url,
            headers: bearer(tokens[role]),
            ...(payload ? { payload } : {}),
          })
          if (allowed) expect(response.statusCode, response.body).toBeGreaterThanOrEqual(200)
          if (allowed) expect(response.statusCode, response.body).toBeLessThan(300)
          else expect([response.statusCode, response.json<{ code: string }>().code]).toEqual([403, 'AUTH.FORBIDDEN'])
        })
      }
    })
  }
})
