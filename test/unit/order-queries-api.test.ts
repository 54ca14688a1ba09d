import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku, orderIn, placeOrder } from '../support/fixtures.js'
import { eventually } from '../support/wait.js'

interface OrderBody {
  order_id: string
  status: string
  sales_rep: string
  version: number
  position: number
  items: { sku: string }[]
}
interface Page {
  items: OrderBody[]
  next_cursor: string | null
}

/** Waits until the clock has moved past `since`, so consecutive events get distinct timestamps. */
async function tick(since: number): Promise<void> {
  await eventually(`the clock to pass ${since}`, () => Date.now() > since, 1_000, 1)
}

describe('orders API (queries)', () => {
  let app: FastifyInstance
  let admin: Record<string, string>
  let rep: Record<string, string>
  let auditor: Record<string, string>
  let skuA: string
  let skuB: string
  const REP = 'sales-rep@test.local'

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    rep = bearer(await tokenFor(app, 'sales_rep', REP))
    auditor = bearer(await tokenFor(app, 'auditor'))
    skuA = (await createSku(app)).sku
    skuB = (await createSku(app)).sku
  })
  afterAll(async () => {
    await app.close()
  })

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- names the expected body
  const get = async <T = unknown>(url: string, headers: Record<string, string>) => {
    const response = await app.inject({ url, headers })
    return { status: response.statusCode, body: response.json<T>(), headers: response.headers }
  }

  it('lists newest first with filters; a sales rep sees only its own orders, whatever it asks for', async () => {
    const mine = await orderIn(app, 'confirmed', { skus: [skuA], salesRep: REP })
    const theirs = await orderIn(app, 'created', { skus: [skuB], salesRep: 'other-rep@test.local' })
    const last = await placeOrder(app, { skus: [skuA, skuB], salesRep: REP })
    const at = `min_position=${last.position}`

    const all = await get<Page>(`/api/orders?${at}&limit=200`, admin)
    expect(all.status).toBe(200)
    expect(Number(all.headers['x-read-model-position'])).toBeGreaterThanOrEqual(last.position)
    const ids = all.body.items.map((o) => o.order_id)
    expect(ids.slice(0, 3)).toEqual([last.order_id, theirs.order_id, mine.order_id])

    const own = await get<Page>(`/api/orders?${at}&limit=200`, rep)
    expect(own.body.items.every((o) => o.sales_rep === REP)).toBe(true)
    expect(own.body.items.map((o) => o.order_id)).toContain(mine.order_id)
    expect((await get<Page>(`/api/orders?${at}&sales_rep=other-rep@test.local`, rep)).body.items).toEqual([])
    expect(
      (await get<Page>(`/api/orders?${at}&sales_rep=other-rep@test.local`, auditor)).body.items.map((o) => o.order_id),
    ).toEqual([theirs.order_id])

    const confirmed = await get<Page>(`/api/orders?${at}&status=confirmed&limit=200`, admin)
    expect(confirmed.body.items.every((o) => o.status === 'confirmed')).toBe(true)
    expect(confirmed.body.items.map((o) => o.order_id)).toContain(mine.order_id)
    const withB = await get<Page>(`/api/orders?${at}&sku=${skuB}&limit=200`, admin)
    expect(withB.body.items.map((o) => o.order_id).slice(0, 2)).toEqual([last.order_id, theirs.order_id])
    expect(withB.body.items.every((o) => o.items.some((i) => i.sku === skuB))).toBe(true)

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
    expect((await get<Page>(`/api/orders?${at}&from=${tomorrow}`, admin)).body.items).toEqual([])
    expect((await get<Page>(`/api/orders?${at}&to=${tomorrow}&limit=1`, admin)).body.items).toHaveLength(1)
  })

  it('refuses a malformed filter, cursor or limit with a 400 naming it', async () => {
    for (const [query, path] of [
      ['from=yesterday', 'querystring/from'],
      ['cursor=not-a-cursor', 'querystring/cursor'],
      ['limit=0', 'querystring/limit'],
      ['limit=201', 'querystring/limit'],
      ['status=lost', 'querystring/status'],
      ['colour=red', 'querystring/colour'],
    ]) {
      const response = await get<{ errors: { path: string }[] }>(`/api/orders?${query}`, admin)
      expect(response.status, query).toBe(400)
      expect(response.body.errors.map((e) => e.path)).toContain(path)
    }
  })

  it('walks every page of 10 000 orders (limit 50) while new orders arrive: none twice, none that existed missed', async () => {
    const sku = (await createSku(app)).sku
    let last = await placeOrder(app, { skus: [sku] })
    for (let i = 1; i < 10_000; i++) last = await placeOrder(app, { skus: [sku], salesRep: i % 2 ? REP : 'other-rep@test.local' })
    const existing = await get<Page>(`/api/orders?sku=${sku}&limit=1&min_position=${last.position}`, admin)
    expect(existing.body.items[0]?.order_id).toBe(last.order_id)

    const seen = new Set<string>()
    let cursor: string | null = null
    let pages = 0
    do {
      const page: { body: Page } = await get<Page>(`/api/orders?sku=${sku}&limit=50${cursor ? `&cursor=${cursor}` : ''}`, admin)
      for (const order of page.body.items) {
        expect(seen.has(order.order_id)).toBe(false)
        seen.add(order.order_id)
      }
      cursor = page.body.next_cursor
      pages++
      await placeOrder(app, { skus: [sku] }) // arrives while we page
    } while (cursor)
    expect(pages).toBe(200)
    expect(seen.size).toBe(10_000)
  })

  it('as_of folds the events up to a time; history lists them oldest first', async () => {
    const placed = await placeOrder(app, { skus: [skuA], salesRep: REP })
    const id = placed.order_id
    await tick(Date.parse(placed.created_at))
    const confirmed = await app.inject({ method: 'POST', url: `/api/orders/${id}/confirm`, headers: admin })
    await tick(Date.parse(confirmed.json<{ updated_at: string }>().updated_at))
    await app.inject({ method: 'POST', url: `/api/orders/${id}/cancel`, headers: admin, payload: { reason: 'out of stock' } })

    const history = await get<
      { type: string; version: number; position: number; timestamp: string; actor: string; data: unknown }[]
    >(`/api/orders/${id}/history`, rep)
    expect(history.status).toBe(200)
    expect(history.body.map((e) => [e.type, e.version, e.actor])).toEqual([
      ['order.created', 1, 'admin@test.local'],
      ['order.confirmed', 2, TEST_ADMIN.email],
      ['order.cancelled', 3, TEST_ADMIN.email],
    ])
    expect(history.body[2]?.data).toEqual({ order_id: id, reason: 'out of stock' })
    const positions = history.body.map((e) => e.position)
    expect(positions).toEqual([...positions].sort((a, b) => a - b))

    const [created, confirmedAt, cancelledAt] = history.body.map((e) => e.timestamp)
    const asOf = async (time: string) => get<OrderBody>(`/api/orders/${id}?as_of=${encodeURIComponent(time)}`, auditor)
    expect((await asOf(created ?? '')).body).toMatchObject({ status: 'created', version: 1 })
    expect((await asOf(confirmedAt ?? '')).body).toMatchObject({ status: 'confirmed', version: 2 })
    expect((await asOf(cancelledAt ?? '')).body).toMatchObject({ status: 'cancelled', version: 3 })
    expect((await asOf(new Date(Date.parse(created ?? '') - 1).toISOString())).status).toBe(404)
    expect((await asOf('not-a-time')).status).toBe(400)

    const otherRep = bearer(await tokenFor(app, 'sales_rep', 'nosy-rep@test.local'))
    expect((await get(`/api/orders/${id}/history`, otherRep)).status).toBe(404)
    expect((await get(`/api/orders/${id}?as_of=${encodeURIComponent(cancelledAt ?? '')}`, otherRep)).status).toBe(404)
  })

  it('GET /api/orders/:id: read-your-writes with min_position, ETag, and 404 for others’ orders', async () => {
    const order = await placeOrder(app, { skus: [skuA], salesRep: REP })
    const response = await get<OrderBody>(`/api/orders/${order.order_id}?min_position=${order.position}`, rep)
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ order_id: order.order_id, status: 'created', version: 1 })
    expect(response.headers.etag).toBe('"1"')
    expect(response.body).not.toHaveProperty('_id')
    expect(response.body).not.toHaveProperty('last_position')
    const stranger = bearer(await tokenFor(app, 'sales_rep', 'stranger@test.local'))
    expect((await get(`/api/orders/${order.order_id}`, stranger)).status).toBe(404)
    expect((await get('/api/orders/ORD-99999', admin)).status).toBe(404)

    // A position the read model cannot reach in time: an answer anyway, saying how far it got.
    const ahead = order.position + 1000
    const behind = await get<OrderBody>(`/api/orders/${order.order_id}?min_position=${ahead}`, rep)
    expect(behind.status).toBe(200)
    expect(Number(behind.headers['x-read-model-position'])).toBeLessThan(ahead)
  })
})
