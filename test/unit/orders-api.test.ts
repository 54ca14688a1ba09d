import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku, orderIn, raceOnLoad } from '../support/fixtures.js'

interface Problem {
  status: number
  code: string
  errors?: { path: string; message: string }[]
  current_status?: string
}

describe('orders API (commands)', () => {
  let app: FastifyInstance
  let admin: Record<string, string>
  let rep: Record<string, string>
  let otherRep: Record<string, string>
  let auditor: Record<string, string>
  let widget: string
  const REP = 'sales-rep@test.local'

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    rep = bearer(await tokenFor(app, 'sales_rep', REP))
    otherRep = bearer(await tokenFor(app, 'sales_rep', 'other-rep@test.local'))
    auditor = bearer(await tokenFor(app, 'auditor'))
    widget = (await createSku(app, { name: 'Widget', unit_price: 100_000, tax_rate_bp: 1800 })).sku
  })
  afterAll(async () => {
    await app.close()
  })

  const place = (headers: Record<string, string>, payload: object) =>
    app.inject({ method: 'POST', url: '/api/orders', headers, payload })
  const act = (id: string, action: string, headers: Record<string, string>, payload?: object) =>
    app.inject({ method: 'POST', url: `/api/orders/${id}/${action}`, headers, ...(payload ? { payload } : {}) })

  describe('POST /api/orders', () => {
    it('201 with the full order, Location and ETag; prices come from the catalogue', async () => {
      const response = await place(
        { ...rep, 'x-request-id': 'req-place-1' },
        {
          customer: { name: 'ACME Ltd', email: 'buyer@acme.example' },
          items: [{ sku: widget, quantity: 1 }],
          notes: 'leave at the gate',
        },
      )
      expect(response.statusCode).toBe(201)
      const order = response.json<{ order_id: string; position: number; created_at: string }>()
      expect(order).toEqual({
        order_id: expect.stringMatching(/^ORD-\d{5}$/) as string,
        sales_rep: REP,
        customer: { name: 'ACME Ltd', email: 'buyer@acme.example' },
        items: [
          {
            sku: widget,
            name: 'Widget',
            quantity: 1,
            unit_price: 100_000,
            tax_rate_bp: 1800,
            line_subtotal: 100_000,
            line_tax: 18_000,
            line_total: 118_000,
          },
        ],
        currency: 'INR',
        subtotal: 100_000,
        tax_amount: 18_000,
        total_amount: 118_000,
        notes: 'leave at the gate',
        status: 'created',
        version: 1,
        position: expect.any(Number) as number,
        created_at: expect.stringMatching(/Z$/) as string,
        updated_at: order.created_at,
      })
      expect(response.headers.location).toBe(`/api/orders/${order.order_id}`)
      expect(response.headers.etag).toBe('"1"')
      expect(response.headers['x-request-id']).toBe('req-place-1')

      const [event] = await app.eventStore.readStream(`order-${order.order_id}`)
      expect(event).toMatchObject({
        type: 'order.created',
        version: 1,
        position: order.position,
        metadata: { actor: REP, source: 'test-instance', correlation_id: 'req-place-1', timestamp: order.created_at },
      })
    })

    it('400 lists every invalid field, and nothing is written', async () => {
      const head = await app.eventStore.headPosition()
      const tooMany = Array.from({ length: 101 }, (_, i) => ({ sku: `SKU-${i}X`, quantity: 1 }))
      const response = await place(rep, {
        customer: { name: '' },
        items: [
          { sku: widget, quantity: 0 },
          { sku: widget, quantity: 1.5 },
          { sku: widget, quantity: 1, unit_price: 1 },
        ],
        currency: 'inr',
      })
      expect(response.statusCode).toBe(400)
      const body = response.json<Problem>()
      expect(body.code).toBe('REQUEST.VALIDATION')
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { path: 'body/customer/name', message: 'must not be empty or only spaces' },
          { path: 'body/items/0/quantity', message: 'must be >= 1' },
          { path: 'body/items/1/quantity', message: 'must be integer' },
          { path: 'body/items/2/unit_price', message: 'is not an allowed field' },
          { path: 'body/currency', message: expect.stringContaining('pattern') as string },
        ]),
      )
      expect(body.errors).toHaveLength(5)

      const many = await place(rep, { customer: { name: 'X' }, items: tooMany })
      expect([many.statusCode, many.json<Problem>().errors]).toEqual([
        400,
        [{ path: 'body/items', message: 'must not have more than 100 items' }],
      ])
      const none = await place(rep, {})
      expect(none.json<Problem>().errors).toEqual([
        { path: 'body/customer', message: 'is required' },
        { path: 'body/items', message: 'is required' },
      ])
      const twice = await place(rep, {
        customer: { name: 'X' },
        items: [
          { sku: widget, quantity: 1 },
          { sku: widget, quantity: 2 },
        ],
      })
      expect([twice.statusCode, twice.json<Problem>().code]).toEqual([400, 'ORDER.INVALID_ITEMS'])
      expect(await app.eventStore.headPosition()).toBe(head)
    })

    it('422 names every unknown or inactive SKU; mixed currencies, unknown currencies and huge amounts are refused', async () => {
      const retired = (await createSku(app)).sku
      await app.inject({ method: 'POST', url: `/api/skus/${retired}/deactivate`, headers: admin })
      const dollars = (await createSku(app, { currency: 'USD' })).sku
      const unavailable = await place(rep, {
        customer: { name: 'X' },
        items: [
          { sku: 'NO-SUCH-1', quantity: 1 },
          { sku: widget, quantity: 1 },
          { sku: retired, quantity: 1 },
        ],
      })
      expect(unavailable.statusCode).toBe(422)
      expect(unavailable.json<Problem>()).toMatchObject({
        code: 'ORDER.UNAVAILABLE_SKU',
        errors: [
          { path: 'body/items/0/sku', message: 'SKU NO-SUCH-1 does not exist' },
          { path: 'body/items/2/sku', message: `SKU ${retired} is inactive` },
        ],
      })
      const mixed = await place(rep, {
        customer: { name: 'X' },
        items: [
          { sku: widget, quantity: 1 },
          { sku: dollars, quantity: 1 },
        ],
      })
      expect([mixed.statusCode, mixed.json<Problem>().code]).toEqual([422, 'ORDER.MIXED_CURRENCIES'])
      const wrongCurrency = await place(rep, { customer: { name: 'X' }, items: [{ sku: widget, quantity: 1 }], currency: 'USD' })
      expect([wrongCurrency.statusCode, wrongCurrency.json<Problem>().code]).toEqual([422, 'ORDER.MIXED_CURRENCIES'])
      const notACurrency = await place(rep, { customer: { name: 'X' }, items: [{ sku: widget, quantity: 1 }], currency: 'XYZ' })
      expect([notACurrency.statusCode, notACurrency.json<Problem>().errors]).toEqual([
        400,
        [{ path: 'body/currency', message: 'is not an ISO 4217 currency code' }],
      ])
      const pricey = (await createSku(app, { unit_price: Number.MAX_SAFE_INTEGER - 1, tax_rate_bp: 0 })).sku
      const huge = await place(rep, { customer: { name: 'X' }, items: [{ sku: pricey, quantity: 2 }] })
      expect([huge.statusCode, huge.json<Problem>().code]).toEqual([422, 'ORDER.AMOUNT_TOO_LARGE'])
    })

    it('an admin must place an order for an enabled sales rep; a sales rep only for itself', async () => {
      const forRep = await place(admin, {
        customer: { name: 'X' },
        items: [{ sku: widget, quantity: 1 }],
        sales_rep: 'Sales-Rep@Test.local',
      })
      expect([forRep.statusCode, forRep.json<{ sales_rep: string }>().sales_rep]).toEqual([201, REP])
      const unnamed = await place(admin, { customer: { name: 'X' }, items: [{ sku: widget, quantity: 1 }] })
      expect([unnamed.statusCode, unnamed.json<Problem>().errors?.map((e) => e.path)]).toEqual([400, ['body/sales_rep']])
      const itself = await place(admin, {
        customer: { name: 'X' },
        items: [{ sku: widget, quantity: 1 }],
        sales_rep: TEST_ADMIN.email,
      })
      expect([itself.statusCode, itself.json<Problem>().code]).toEqual([422, 'ORDER.UNKNOWN_SALES_REP'])
      const ghost = await place(admin, {
        customer: { name: 'X' },
        items: [{ sku: widget, quantity: 1 }],
        sales_rep: 'ghost@test.local',
      })
      expect([ghost.statusCode, ghost.json<Problem>().code]).toEqual([422, 'ORDER.UNKNOWN_SALES_REP'])
      const impersonation = await place(rep, {
        customer: { name: 'X' },
        items: [{ sku: widget, quantity: 1 }],
        sales_rep: 'other-rep@test.local',
      })
      expect(impersonation.statusCode).toBe(403)
      const self = await place(rep, { customer: { name: 'X' }, items: [{ sku: widget, quantity: 1 }], sales_rep: REP })
      expect(self.statusCode).toBe(201)
    })

    it('a price change after an order leaves the order unchanged; new orders get the new price', async () => {
      const sku = (await createSku(app, { unit_price: 1000, tax_rate_bp: 1000 })).sku
      const before = (await place(rep, { customer: { name: 'X' }, items: [{ sku, quantity: 3 }] })).json<{
        order_id: string
        total_amount: number
      }>()
      expect(before.total_amount).toBe(3300)
      expect(
        (await app.inject({ method: 'PATCH', url: `/api/skus/${sku}`, headers: admin, payload: { unit_price: 2000 } }))
          .statusCode,
      ).toBe(200)
      const confirmed = await act(before.order_id, 'confirm', admin)
      expect(confirmed.json<{ total_amount: number; items: { unit_price: number }[] }>()).toMatchObject({
        total_amount: 3300,
        items: [{ unit_price: 1000 }],
      })
      const after = (await place(rep, { customer: { name: 'X' }, items: [{ sku, quantity: 3 }] })).json<{
        total_amount: number
      }>()
      expect(after.total_amount).toBe(6600)
    })
  })

  describe('lifecycle', () => {
    it('created → confirmed → shipped → delivered, each 200 with the new state and ETag', async () => {
      const { order_id } = await orderIn(app, 'created', { skus: [widget], salesRep: REP })
      const confirmed = await act(order_id, 'confirm', admin)
      expect([confirmed.statusCode, confirmed.headers.etag, confirmed.json<{ status: string }>().status]).toEqual([
        200,
        '"2"',
        'confirmed',
      ])
      const shipped = await act(order_id, 'ship', admin, { carrier: 'DHL', tracking_number: 'JD014600003' })
      expect(shipped.json()).toMatchObject({ status: 'shipped', version: 3, carrier: 'DHL', tracking_number: 'JD014600003' })
      const delivered = await act(order_id, 'deliver', admin)
      const body = delivered.json<Record<string, string>>()
      expect(body).toMatchObject({ status: 'delivered', version: 4 })
      for (const field of ['created_at', 'confirmed_at', 'shipped_at', 'delivered_at']) expect(body[field]).toMatch(/Z$/)
    })

    it.each([
      ['created', 'ship'],
      ['created', 'deliver'],
      ['confirmed', 'confirm'],
      ['confirmed', 'deliver'],
      ['shipped', 'confirm'],
      ['shipped', 'cancel'],
      ['delivered', 'ship'],
      ['delivered', 'cancel'],
      ['cancelled', 'confirm'],
      ['cancelled', 'cancel'],
    ] as const)('from %s, %s is a 409 ORDER.ILLEGAL_TRANSITION naming the current status', async (status, action) => {
      const { order_id, version } = await orderIn(app, status, { skus: [widget] })
      const response = await act(order_id, action, admin, action === 'cancel' ? { reason: 'no' } : undefined)
      expect(response.statusCode).toBe(409)
      expect(response.json<Problem>()).toMatchObject({ code: 'ORDER.ILLEGAL_TRANSITION', current_status: status })
      expect((await app.eventStore.readStream(`order-${order_id}`)).at(-1)?.version).toBe(version)
    })

    it('a sales rep cancels its own created orders only; others’ orders do not exist for it', async () => {
      const own = await orderIn(app, 'created', { skus: [widget], salesRep: REP })
      const cancelled = await act(own.order_id, 'cancel', rep, { reason: 'duplicate order' })
      expect(cancelled.json()).toMatchObject({ status: 'cancelled', cancel_reason: 'duplicate order' })
      const ownConfirmed = await orderIn(app, 'confirmed', { skus: [widget], salesRep: REP })
      const late = await act(ownConfirmed.order_id, 'cancel', rep, { reason: 'too late' })
      expect([late.statusCode, late.json<Problem>().code]).toEqual([403, 'AUTH.FORBIDDEN'])
      const someoneElses = await orderIn(app, 'created', { skus: [widget], salesRep: 'other-rep@test.local' })
      const hidden = await act(someoneElses.order_id, 'cancel', rep, { reason: 'not mine' })
      expect([hidden.statusCode, hidden.json<Problem>().code]).toEqual([404, 'ORDER.NOT_FOUND'])
      expect((await act(someoneElses.order_id, 'cancel', otherRep, { reason: 'mine' })).statusCode).toBe(200)
      expect((await act(own.order_id, 'confirm', rep)).statusCode).toBe(403)
      expect((await act(own.order_id, 'confirm', auditor)).statusCode).toBe(403)
    })

    it('404 for an unknown order, 400 for a malformed id or a cancel without reason', async () => {
      expect((await act('ORD-99999', 'confirm', admin)).json<Problem>()).toMatchObject({ status: 404, code: 'ORDER.NOT_FOUND' })
      expect((await act('order-1', 'confirm', admin)).statusCode).toBe(400)
      const { order_id } = await orderIn(app, 'created', { skus: [widget] })
      const noReason = await act(order_id, 'cancel', admin)
      expect(noReason.json<Problem>().errors).toEqual([{ path: 'body/reason', message: 'is required' }])
      expect((await act(order_id, 'confirm', admin, { note: 'x' })).statusCode).toBe(400)
    })

    it('If-Match: the current version proceeds, another one is a 412, a malformed one a 400', async () => {
      const { order_id } = await orderIn(app, 'created', { skus: [widget] })
      const stale = await act(order_id, 'confirm', { ...admin, 'if-match': '"7"' })
      expect(stale.json<Problem>()).toMatchObject({ status: 412, code: 'REQUEST.VERSION_MISMATCH', current_version: 1 })
      expect((await act(order_id, 'confirm', { ...admin, 'if-match': 'W/"x"' })).statusCode).toBe(400)
      const fresh = await act(order_id, 'confirm', { ...admin, 'if-match': '"1"' })
      expect([fresh.statusCode, fresh.headers.etag]).toEqual([200, '"2"'])
    })

    it('confirm and cancel racing on one order: exactly one wins, the other is a 409, the stream stays consistent', async () => {
      for (let round = 0; round < 5; round++) {
        const { order_id } = await orderIn(app, 'created', { skus: [widget] })
        const undo = raceOnLoad(app, `order-${order_id}`)
        const [confirm, cancel] = await Promise.all([
          act(order_id, 'confirm', admin),
          act(order_id, 'cancel', admin, { reason: 'race' }),
        ]).finally(undo)
        const statuses = [confirm.statusCode, cancel.statusCode].sort()
        expect(statuses).toEqual([200, 409])
        const events = await app.eventStore.readStream(`order-${order_id}`)
        expect(events.map((e) => e.version)).toEqual([1, 2])
        expect(events[1]?.type).toBe(confirm.statusCode === 200 ? 'order.confirmed' : 'order.cancelled')
        const loser = confirm.statusCode === 409 ? confirm : cancel
        expect(loser.json<Problem>()).toMatchObject({
          code: 'STREAM.CONCURRENT_CHANGE',
          current_status: confirm.statusCode === 200 ? 'confirmed' : 'cancelled',
        })
      }
    })

    it('without a race, a cancel after a confirm is simply the next legal step', async () => {
      const { order_id } = await orderIn(app, 'created', { skus: [widget] })
      expect((await act(order_id, 'confirm', admin)).statusCode).toBe(200)
      expect((await act(order_id, 'cancel', admin, { reason: 'changed plans' })).json()).toMatchObject({
        status: 'cancelled',
        version: 3,
      })
    })
  })

  describe('Idempotency-Key', () => {
    const body = () => ({ customer: { name: 'Retry Ltd' }, items: [{ sku: widget, quantity: 2 }] })

    it('ten identical requests at once: one order, ten identical 201 bodies', async () => {
      const head = await app.eventStore.headPosition()
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => place({ ...rep, 'idempotency-key': 'key-10x' }, body())),
      )
      expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(201))
      expect(new Set(responses.map((r) => r.body)).size).toBe(1)
      expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(9)
      expect(await app.eventStore.headPosition()).toBe(head + 1)
    })

    it('the same key with another body is a 422; keys are per user; failures are not remembered', async () => {
      const first = await place({ ...rep, 'idempotency-key': 'key-a' }, body())
      const other = await place({ ...rep, 'idempotency-key': 'key-a' }, { ...body(), notes: 'different' })
      expect([other.statusCode, other.json<Problem>().code]).toEqual([422, 'REQUEST.IDEMPOTENCY_KEY_REUSED'])
      const reordered = await place({ ...rep, 'idempotency-key': 'key-a' }, { items: body().items, customer: body().customer })
      expect(reordered.body).toBe(first.body)
      const anotherUser = await place({ ...otherRep, 'idempotency-key': 'key-a' }, body())
      expect(anotherUser.json<{ order_id: string }>().order_id).not.toBe(first.json<{ order_id: string }>().order_id)

      const late = `LATE-${process.pid}`
      const failed = await place(
        { ...rep, 'idempotency-key': 'key-b' },
        { customer: { name: 'X' }, items: [{ sku: late, quantity: 1 }] },
      )
      expect(failed.statusCode).toBe(422)
      await createSku(app, { sku: late })
      const retried = await place(
        { ...rep, 'idempotency-key': 'key-b' },
        { customer: { name: 'X' }, items: [{ sku: late, quantity: 1 }] },
      )
      expect(retried.statusCode).toBe(201)
      expect((await place(rep, body())).statusCode).toBe(201) // no key: a new order each time
      expect((await place({ ...rep, 'idempotency-key': 'bad key with spaces' }, body())).statusCode).toBe(400)
    })

    it('on lifecycle commands: a retry of a confirm that was stored (the 503 "outcome unknown" case) is its 200 again, not a 409', async () => {
      const { order_id } = await orderIn(app, 'created', { skus: [widget] })
      const keyed = { ...admin, 'idempotency-key': 'confirm-1' }
      const first = await act(order_id, 'confirm', keyed)
      expect([first.statusCode, first.headers.etag, first.headers['idempotent-replayed']]).toEqual([200, '"2"', undefined])
      const head = await app.eventStore.headPosition()
      const retry = await act(order_id, 'confirm', keyed)
      expect([retry.statusCode, retry.headers.etag, retry.headers['idempotent-replayed']]).toEqual([200, '"2"', 'true'])
      expect(retry.body).toBe(first.body)
      // Nothing written again; without the key the same request is the illegal transition it is.
      expect(await app.eventStore.headPosition()).toBe(head)
      expect((await act(order_id, 'confirm', admin)).statusCode).toBe(409)
      // Still the original after the order moved on, also with the If-Match the first one had.
      expect((await act(order_id, 'ship', admin, { carrier: 'DHL' })).statusCode).toBe(200)
      const late = await act(order_id, 'confirm', { ...keyed, 'if-match': '"1"' })
      expect([late.statusCode, late.body]).toEqual([200, first.body])
      // Keys are per URL: the same key confirms another order; with another body it is a 422.
      const other = await orderIn(app, 'created', { skus: [widget] })
      const second = await act(other.order_id, 'confirm', keyed)
      expect([second.statusCode, second.json<{ order_id: string }>().order_id]).toEqual([200, other.order_id])
      const cancelKey = { ...admin, 'idempotency-key': 'cancel-1' }
      expect((await act(other.order_id, 'cancel', cancelKey, { reason: 'customer called' })).statusCode).toBe(200)
      const reused = await act(other.order_id, 'cancel', cancelKey, { reason: 'another reason' })
      expect([reused.statusCode, reused.json<Problem>().code]).toEqual([422, 'REQUEST.IDEMPOTENCY_KEY_REUSED'])
    })
  })
})
