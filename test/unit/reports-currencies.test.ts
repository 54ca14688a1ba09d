import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku, placeOrder } from '../support/fixtures.js'
import { eventually } from '../support/wait.js'

interface Figures {
  currency: string
  order_count: number
  total_amount: number
  average_order_value: number
}
interface Report {
  currency?: string
  buckets: (Figures & { start: string; end: string })[]
  totals: Figures[]
}

/** Reports as a finance user reads them: one currency per row, any instant as a bound. */
describe('reports: currencies kept apart, exact at any instant', () => {
  let app: FastifyInstance
  let auditor: Record<string, string>
  let position = 0
  let usdAt = ''
  const day = new Date().toISOString().slice(0, 10)
  const nextDay = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    auditor = bearer(await tokenFor(app, 'auditor'))
    const inr = (await createSku(app, { unit_price: 1_332_809, tax_rate_bp: 0 })).sku
    const usd = (await createSku(app, { unit_price: 1_000, currency: 'USD', tax_rate_bp: 0 })).sku
    await placeOrder(app, { skus: [inr] })
    const dollar = await placeOrder(app, { skus: [usd] })
    usdAt = dollar.created_at
    // The next order a few milliseconds later, so that one millisecond after the first falls between them.
    await eventually('the clock to move on', () => Date.now() > Date.parse(usdAt) + 2, 1_000, 1)
    position = (await placeOrder(app, { skus: [usd], quantity: 2 })).position
  })
  afterAll(async () => {
    await app.close()
  })

  const report = async (query: string): Promise<Report> => {
    const response = await app.inject({ url: `/api/reports/summaries?${query}&min_position=${position}`, headers: auditor })
    expect(response.statusCode, response.body).toBe(200)
    return response.json<Report>()
  }

  it('a USD order never changes an INR total: a bucket and a total per currency, each with its own average', async () => {
    const { buckets, totals } = await report(`from=${day}&to=${nextDay}`)
    expect(buckets.map((b) => [b.currency, b.order_count, b.total_amount, b.average_order_value])).toEqual([
      ['INR', 1, 1_332_809, 1_332_809],
      ['USD', 2, 3_000, 1_500],
    ])
    expect(totals.map((t) => [t.currency, t.order_count, t.total_amount])).toEqual([
      ['INR', 1, 1_332_809],
      ['USD', 2, 3_000],
    ])
  })

  it('?currency=USD keeps to that currency', async () => {
    const usd = await report(`from=${day}&to=${nextDay}&currency=USD`)
    expect(usd.currency).toBe('USD')
    expect(usd.buckets.map((b) => b.currency)).toEqual(['USD'])
    expect(usd.totals.map((t) => [t.currency, t.total_amount])).toEqual([['USD', 3_000]])
  })

  it('bounds at any millisecond: an order at `from` counts, one at `to` does not', async () => {
    const at = Date.parse(usdAt)
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString())
    const from = await report(`from=${iso(at)}&to=${nextDay}&currency=USD`)
    expect(from.totals[0]?.order_count).toBe(2)
    const after = await report(`from=${iso(at + 1)}&to=${nextDay}&currency=USD`)
    expect(after.totals[0]?.order_count).toBe(1)
    const until = await report(`from=${day}&to=${iso(at)}&currency=USD`)
    expect(until.totals).toEqual([])
    const through = await report(`from=${day}&to=${iso(at + 1)}&currency=USD`)
    expect(through.totals.map((t) => t.order_count)).toEqual([1])
    expect(through.buckets[0]?.end).toBe(new Date(at + 1).toISOString().replace('Z', '+00:00'))
  })
})
