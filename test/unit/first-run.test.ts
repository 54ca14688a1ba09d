import { describe, expect, it } from 'vitest'
import { startBanner } from '../../src/api/start-banner.js'
import { DEMO_SALES_REPS, DEMO_SKUS } from '../../src/cli/demo-data.js'
import { SERVICE_VERSION } from '../../src/infra/version.js'
import { buildTestApp } from '../support/app.js'
import { tokenFor } from '../support/auth.js'

const url = 'http://127.0.0.1:3000'
const DAY_MS = 86_400_000

describe('GET /', () => {
  it('names the service and its version, and where the docs, health and login are — JSON under the strict CSP', async () => {
    const { app } = await buildTestApp()
    try {
      const response = await app.inject({ url: '/' })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toMatch(/^application\/json/)
      expect(response.json()).toEqual({
        service: 'sales-order-service',
        version: SERVICE_VERSION,
        docs: '/docs',
        openapi: '/docs/json',
        health: '/health',
        token: '/api/auth/token',
      })
      const directives = String(response.headers['content-security-policy']).split(';')
      expect(directives).toContain("script-src 'self'") // no inline scripts
      expect(directives).toContain("default-src 'self'")
    } finally {
      await app.close()
    }
  })
})

describe('the start banner', () => {
  const storage = { kind: 'embedded' as const, dataDir: '/srv/data' }

  it('first start: URL, /docs, where the data is, the admin e-mail and password once, and a curl that gets a token', () => {
    const text = startBanner({
      version: '1.2.3',
      url,
      storage,
      admin: { email: 'admin@sales-orders.local', password: 'Secret_123', createdAt: new Date() },
    })
    expect(text).toContain('Sales Order Service 1.2.3 is listening — embedded, data kept in /srv/data')
    expect(text).toContain(`API docs   ${url}/docs`)
    expect(text).toMatch(/^ {2}e-mail {5}admin@sales-orders\.local$/m)
    expect(text).toMatch(/^ {2}password {3}Secret_123$/m)
    expect(text).toContain(
      `TOKEN=$(curl -s ${url}/api/auth/token -H 'content-type: application/json' -d '{"email":"admin@sales-orders.local","password":"Secret_123"}' | jq -r .access_token)`,
    )
  })

  it('later starts: when the password was printed, never the password', () => {
    const text = startBanner({
      version: '1.2.3',
      url,
      storage,
      admin: { email: 'admin@sales-orders.local', createdAt: new Date('2025-03-01T12:00:00.000Z') },
    })
    expect(text).toContain(
      'Admin admin@sales-orders.local: its password was printed by the first start, at 2025-03-01T12:00:00.000Z, in that terminal',
    )
    expect(text).toContain('ADMIN_EMAIL and ADMIN_PASSWORD')
    expect(text).not.toMatch(/password {3}/)
  })

  it('says when nothing is kept, and names the database on MongoDB', () => {
    const base = { version: '1.2.3', url, admin: undefined }
    expect(startBanner({ ...base, storage: { kind: 'embedded', dataDir: undefined } })).toContain(
      'embedded, in memory: nothing is kept when it stops (DATA_DIR=:memory:)',
    )
    expect(startBanner({ ...base, storage: { kind: 'mongodb', database: 'sales' } })).toContain('on MongoDB (database sales)')
  })
})

describe('DEMO=1', () => {
  it('loads SKUs in two currencies, sales reps, and 300 orders over the last 30 days in every state, through the commands', async () => {
    const { app } = await buildTestApp({ env: { DEMO: '1' } })
    try {
      const token = await tokenFor(app, 'admin')
      const headers = { authorization: `Bearer ${token}` }
      const skus = (await app.inject({ url: '/api/skus?limit=100', headers })).json<{ items: { currency: string }[] }>()
      expect(new Set(skus.items.map((s) => s.currency))).toEqual(new Set(['INR', 'USD']))
      expect(skus.items).toHaveLength(DEMO_SKUS.length)
      for (const rep of DEMO_SALES_REPS) {
        expect((await app.users.find(rep.email))?.role).toBe('sales_rep')
      }

      const { events } = await app.eventStore.readAll({ after: 0, limit: 10_000 })
      const created = events.filter((e) => e.type === 'order.created')
      expect(created).toHaveLength(300)
      const times = events.map((e) => Date.parse(e.metadata.timestamp))
      expect(times).toEqual([...times].sort((a, b) => a - b)) // a timeline, in position order
      expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.now() - 31 * DAY_MS)
      expect(Math.max(...times)).toBeLessThanOrEqual(Date.now())
      const types = new Set(events.map((e) => e.type))
      for (const type of ['order.confirmed', 'order.shipped', 'order.delivered', 'order.cancelled']) expect(types).toContain(type)
      const reps = new Set(created.map((e) => (e.data as { sales_rep: string }).sales_rep))
      expect(reps).toEqual(new Set(DEMO_SALES_REPS.map((r) => r.email)))
    } finally {
      await app.close()
    }
  })
})
