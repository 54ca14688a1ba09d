import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orderIn } from '../support/fixtures.js'
import { appWithCallers, type Call, type Caller, USERS, expectProblem, orderBody, send } from './support.js'

/**
 * API1:2023 Broken Object Level Authorization. A sales rep's orders are its own: another
 * rep's order is a 404 to it (its existence is not disclosed), lists are narrowed to its own
 * orders by the query itself, and no filter, cursor or idempotency key widens that.
 *
 * Fixtures (a fresh app, so the numbers are fixed):
 *   ORD-00001  rep B, created     ORD-00002  rep B, confirmed     ORD-00003  rep A, created
 */
describe('API1 broken object level authorization', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>

  beforeAll(async () => {
    ;({ app, as } = await appWithCallers())
    const orders = [
      await orderIn(app, 'created', { skus: ['WIDGET-1'], salesRep: USERS.repB.email }),
      await orderIn(app, 'confirmed', { skus: ['WIDGET-1'], salesRep: USERS.repB.email }),
      await orderIn(app, 'created', { skus: ['WIDGET-1'], salesRep: USERS.repA.email }),
    ]
    expect(orders.map((o) => o.order_id)).toEqual(['ORD-00001', 'ORD-00002', 'ORD-00003'])
    // Every read below sees the read model caught up with the fixtures (no false 404s from lag).
    const caughtUp = await app.inject({ url: `/api/orders?min_position=${orders[2]!.position}`, headers: as.admin })
    expect(caughtUp.json<{ items: unknown[] }>().items).toHaveLength(3)
  })
  afterAll(async () => {
    await app.close()
  })

  describe("rep A on rep B's orders", () => {
    it.each<[string, number, string, Call]>([
      ['reads the order', 404, 'ORDER.NOT_FOUND', { method: 'GET', url: '/api/orders/ORD-00001' }],
      [
        'reads the order as of a time',
        404,
        'ORDER.NOT_FOUND',
        { method: 'GET', url: '/api/orders/ORD-00001?as_of=2100-01-01T00:00:00Z' },
      ],
      ['reads the order history', 404, 'ORDER.NOT_FOUND', { method: 'GET', url: '/api/orders/ORD-00001/history' }],
      ['reads the history of a confirmed order', 404, 'ORDER.NOT_FOUND', { method: 'GET', url: '/api/orders/ORD-00002/history' }],
      [
        'cancels a created order',
        404,
        'ORDER.NOT_FOUND',
        { method: 'POST', url: '/api/orders/ORD-00001/cancel', payload: { reason: 'not mine' } },
      ],
      [
        'cancels a confirmed order',
        404,
        'ORDER.NOT_FOUND',
        { method: 'POST', url: '/api/orders/ORD-00002/cancel', payload: { reason: 'not mine' } },
      ],
      ['confirms the order', 403, 'AUTH.FORBIDDEN', { method: 'POST', url: '/api/orders/ORD-00001/confirm' }],
      [
        'ships the order',
        403,
        'AUTH.FORBIDDEN',
        { method: 'POST', url: '/api/orders/ORD-00002/ship', payload: { carrier: 'DHL', tracking_number: 'JD0001' } },
      ],
      ['delivers the order', 403, 'AUTH.FORBIDDEN', { method: 'POST', url: '/api/orders/ORD-00002/deliver' }],
      [
        'cancels with If-Match of the version it guessed',
        404,
        'ORDER.NOT_FOUND',
        { method: 'POST', url: '/api/orders/ORD-00001/cancel', headers: { 'if-match': '"1"' }, payload: { reason: 'x' } },
      ],
    ])('%s → %i %s', async (_name, status, code, call) => {
      expectProblem(await send(app, call, as.repA), status, code)
    })

    it('the refusals changed nothing: rep B’s orders keep their events', async () => {
      expect((await app.eventStore.readStream('order-ORD-00001')).map((e) => e.type)).toEqual(['order.created'])
      expect((await app.eventStore.readStream('order-ORD-00002')).map((e) => e.type)).toEqual([
        'order.created',
        'order.confirmed',
      ])
    })

    it.each<[string, Call]>([
      ['GET /api/orders/ORD-00001', { method: 'GET', url: '/api/orders/ORD-00001' }],
      ['GET /api/orders/ORD-00001/history', { method: 'GET', url: '/api/orders/ORD-00001/history' }],
      ['GET /api/orders/ORD-00001?as_of=…', { method: 'GET', url: '/api/orders/ORD-00001?as_of=2100-01-01T00:00:00Z' }],
    ])('control: the owner (rep B) gets 200 for %s', async (_name, call) => {
      const response = await send(app, call, as.repB)
      expect(response.statusCode, response.body).toBe(200)
    })

    it.each<[string, Call, Call]>([
      ['GET /api/orders/:id', { method: 'GET', url: '/api/orders/ORD-00001' }, { method: 'GET', url: '/api/orders/ORD-99999' }],
      [
        'GET /api/orders/:id/history',
        { method: 'GET', url: '/api/orders/ORD-00001/history' },
        { method: 'GET', url: '/api/orders/ORD-99999/history' },
      ],
      [
        'POST /api/orders/:id/cancel',
        { method: 'POST', url: '/api/orders/ORD-00001/cancel', payload: { reason: 'probe' } },
        { method: 'POST', url: '/api/orders/ORD-99999/cancel', payload: { reason: 'probe' } },
      ],
    ])('%s: another rep’s order is indistinguishable from one that does not exist', async (_name, theirs, missing) => {
      const normalise = (body: string, id: string) => body.replaceAll(id, 'ORD-?????')
      const a = await send(app, theirs, as.repA)
      const b = await send(app, missing, as.repA)
      expectProblem(a, 404, 'ORDER.NOT_FOUND')
      expect(normalise(a.body, 'ORD-00001')).toBe(normalise(b.body, 'ORD-99999'))
    })
  })

  describe('lists show a rep its own orders only', () => {
    const page = (body: string) => JSON.parse(body) as { items: { order_id: string; sales_rep: string }[] }

    it.each<[string, string]>([
      ['no filter', '/api/orders'],
      ['filtered by status', '/api/orders?status=created'],
      ['filtered by SKU', '/api/orders?sku=WIDGET-1'],
      ['filtered by time', '/api/orders?from=2000-01-01&to=2100-01-01'],
      ['with the largest page', '/api/orders?limit=200'],
    ])('%s: GET %s → 200 with rep A’s orders only', async (_name, url) => {
      const response = await send(app, { method: 'GET', url }, as.repA)
      expect(response.statusCode, response.body).toBe(200)
      const { items } = page(response.body)
      expect(items.map((o) => o.order_id)).toContain('ORD-00003')
      expect(items.filter((o) => o.sales_rep !== USERS.repA.email)).toEqual([])
    })

    it('GET /api/orders?sales_rep=rep-b@corp.example → 200 with no items (a filter never widens the rep’s view)', async () => {
      const response = await send(app, { method: 'GET', url: '/api/orders?sales_rep=rep-b@corp.example' }, as.repA)
      expect([response.statusCode, page(response.body).items]).toEqual([200, []])
    })

    it('GET /api/orders?status=confirmed → 200 with no items (rep B’s confirmed order stays hidden)', async () => {
      const response = await send(app, { method: 'GET', url: '/api/orders?status=confirmed' }, as.repA)
      expect([response.statusCode, page(response.body).items]).toEqual([200, []])
    })

    it('GET /api/orders?limit=1&cursor=<an admin’s cursor> → 200 with rep A’s orders only', async () => {
      const adminPage = await send(app, { method: 'GET', url: '/api/orders?limit=1' }, as.admin)
      const cursor = adminPage.json<{ next_cursor: string | null }>().next_cursor
      expect(cursor).toEqual(expect.any(String))
      const response = await send(app, { method: 'GET', url: `/api/orders?limit=1&cursor=${cursor!}` }, as.repA)
      expect(response.statusCode, response.body).toBe(200)
      expect(page(response.body).items.filter((o) => o.sales_rep !== USERS.repA.email)).toEqual([])
    })

    it('control: the auditor’s list has every rep’s orders', async () => {
      const response = await send(app, { method: 'GET', url: '/api/orders' }, as.auditor)
      expect(page(response.body).items.map((o) => o.order_id)).toEqual(
        expect.arrayContaining(['ORD-00001', 'ORD-00002', 'ORD-00003']),
      )
    })
  })

  it('POST /api/orders with Idempotency-Key: shared-key-1 by rep B after rep A → a new order of rep B’s, never rep A’s replayed', async () => {
    const call: Call = {
      method: 'POST',
      url: '/api/orders',
      headers: { 'idempotency-key': 'shared-key-1' },
      payload: orderBody('WIDGET-1'),
    }
    const first = await send(app, call, as.repA)
    const second = await send(app, call, as.repB)
    expect([first.statusCode, second.statusCode]).toEqual([201, 201])
    const a = first.json<{ order_id: string; sales_rep: string }>()
    const b = second.json<{ order_id: string; sales_rep: string }>()
    expect(a.sales_rep).toBe(USERS.repA.email)
    expect(b.sales_rep).toBe(USERS.repB.email)
    expect(b.order_id).not.toBe(a.order_id)
    expect(second.headers['idempotent-replayed']).toBeUndefined()
  })
})
