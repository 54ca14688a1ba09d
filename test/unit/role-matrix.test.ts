import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../../src/auth/abilities.js'
import { buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'

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
]

/** Routes anyone may call without a token. */
const PUBLIC_ROUTES = ['POST /api/auth/token']

describe('role matrix: each role against each /api route', () => {
  let app: FastifyInstance
  const tokens = {} as Record<Role, string>
  let n = 0

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    for (const role of ROLES) tokens[role] = await tokenFor(app, role)
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
