import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku, orderIn, placeOrder } from '../support/fixtures.js'

interface Bucket {
  start: string
  end: string
  sales_rep?: string
  sku?: string
  order_count: number
  items_sold: number
  total_amount: number
  cancelled_count: number
  cancelled_amount: number
  net_amount: number
  average_order_value: number
}

describe('GET /api/reports/summaries', () => {
  let app: FastifyInstance
  let auditor: Record<string, string>
  let position = 0
  const today = new Date().toISOString().slice(0, 10)
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    auditor = bearer(await tokenFor(app, 'auditor'))
    const cheap = (await createSku(app, { unit_price: 1000, tax_rate_bp: 1000 })).sku // 1100 with tax
    const dear = (await createSku(app, { unit_price: 5000, tax_rate_bp: 0 })).sku
    await placeOrder(app, { skus: [cheap], salesRep: 'ann@test.local', quantity: 2 }) // 2200
    await placeOrder(app, { skus: [cheap, dear], salesRep: 'bob@test.local' }) // 1100 + 5000
    position = (await orderIn(app, 'cancelled', { skus: [dear], salesRep: 'ann@test.local' })).position // 5000, cancelled
  })
  afterAll(async () => {
    await app.close()
  })

  const report = async (query: string) => {
    const response = await app.inject({ url: `/api/reports/summaries?${query}&min_position=${position}`, headers: auditor })
    return { status: response.statusCode, body: response.json<{ buckets: Bucket[]; errors?: { path: string }[] }>() }
  }

  it('sums a day, with net amount and average order value', async () => {
    const { status, body } = await report(`from=${today}&to=${tomorrow}&granularity=day`)
    expect(status).toBe(200)
    expect(body.buckets).toEqual([
      expect.objectContaining({
        start: `${today}T00:00:00.000+00:00`,
        end: `${tomorrow}T00:00:00.000+00:00`,
        order_count: 3,
        items_sold: 5,
        total_amount: 2200 + 6100 + 5000,
        cancelled_count: 1,
        cancelled_amount: 5000,
        net_amount: 2200 + 6100,
        average_order_value: Math.round(13_300 / 3),
      }),
    ])
  })

  it('groups by sales rep and by SKU', async () => {
    const byRep = (await report(`from=${today}&to=${tomorrow}&group_by=sales_rep`)).body.buckets
    expect(byRep.map((b) => [b.sales_rep, b.order_count, b.total_amount, b.cancelled_amount])).toEqual([
      ['ann@test.local', 2, 7200, 5000],
      ['bob@test.local', 1, 6100, 0],
    ])
    const bySku = (await report(`from=${today}&to=${tomorrow}&group_by=sku`)).body.buckets
    expect(bySku.map((b) => [b.order_count, b.items_sold, b.total_amount])).toEqual(
      expect.arrayContaining([
        [2, 3, 3300],
        [2, 2, 10_000],
      ]),
    )
  })

  it('hour buckets add up to the day, also in a +05:30 time zone', async () => {
    const hours = (await report(`from=${today}T00:00:00Z&to=${tomorrow}T00:00:00Z&granularity=hour&tz=Asia/Kolkata`)).body.buckets
    expect(hours.length).toBeGreaterThan(0)
    expect(hours.every((b) => b.start.endsWith('+05:30'))).toBe(true)
    expect(hours.reduce((sum, b) => sum + b.total_amount, 0)).toBe(13_300)
  })

  it.each([
    ['to=2026-02-01', 'querystring/from'],
    ['from=2026-02-01&to=2026-01-01', 'querystring/to'],
    ['from=2025-01-01&to=2026-02-01&granularity=hour', 'querystring/to'],
    ['from=2026-01-01&to=2026-02-01&tz=Mars/Olympus', 'querystring/tz'],
    ['from=2026-02-30&to=2026-03-02', 'querystring/from'],
    ['from=2026-01-01&to=2026-02-01&currency=XYZ', 'querystring/currency'],
    ['from=2026-01-01&to=2026-02-01&granularity=week', 'querystring/granularity'],
    ['from=2026-01-01&to=2026-02-01&group_by=colour', 'querystring/group_by'],
  ])('%s is a 400 naming %s', async (query, path) => {
    const { status, body } = await report(query)
    expect(status).toBe(400)
    expect(body.errors?.map((e) => e.path)).toContain(path)
  })

  it('is for admins and auditors only', async () => {
    const rep = bearer(await tokenFor(app, 'sales_rep'))
    expect((await app.inject({ url: `/api/reports/summaries?from=${today}&to=${tomorrow}`, headers: rep })).statusCode).toBe(403)
    const admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    expect((await app.inject({ url: `/api/reports/summaries?from=${today}&to=${tomorrow}`, headers: admin })).statusCode).toBe(
      200,
    )
  })
})
