import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN } from '../support/app.js'
import { createSku, orderIn } from '../support/fixtures.js'
import { appWithCallers, type Call, type Caller, PASSWORD, USERS, expectProblem, orderBody, send } from './support.js'

/**
 * API6:2023 Unrestricted Access to Sensitive Business Flows. The order lifecycle only moves
 * forward along created → confirmed → shipped → delivered (cancel from created or
 * confirmed); a retried order is placed once; prices, SKUs and sales reps obey the
 * catalogue and the accounts; an admin cannot lock itself (and so everyone) out.
 *
 * Fixtures (all rep A's):
 *   ORD-00001 created   ORD-00002 confirmed   ORD-00003 shipped   ORD-00004 delivered   ORD-00005 cancelled
 *   SKUs WIDGET-1 (INR), RETIRED-1 (inactive), PRICEY-1 (unit price 2^53 − 2); gone@corp.example a disabled rep.
 */
describe('API6 unrestricted access to sensitive business flows', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>

  beforeAll(async () => {
    ;({ app, as } = await appWithCallers({ currency: 'INR' }))
    await createSku(app, { sku: 'RETIRED-1' })
    await app.skuCommands.change(
      { type: 'DeactivateSku', data: { sku: 'RETIRED-1', reason: 'discontinued' } },
      { actor: TEST_ADMIN.email, correlationId: 'fixture' },
    )
    await createSku(app, { sku: 'PRICEY-1', unit_price: Number.MAX_SAFE_INTEGER - 1, tax_rate_bp: 0 })
    await app.users.create({ email: 'gone@corp.example', name: 'Gone', password: PASSWORD, role: 'sales_rep' })
    await app.users.update('gone@corp.example', { disabled: true })
    const statuses = ['created', 'confirmed', 'shipped', 'delivered', 'cancelled'] as const
    const ids: string[] = []
    for (const status of statuses)
      ids.push((await orderIn(app, status, { skus: ['WIDGET-1'], salesRep: USERS.repA.email })).order_id)
    expect(ids).toEqual(['ORD-00001', 'ORD-00002', 'ORD-00003', 'ORD-00004', 'ORD-00005'])
  })
  afterAll(async () => {
    await app.close()
  })

  const versionOf = async (id: string) => (await app.eventStore.readStream(`order-${id}`)).at(-1)?.version

  describe('the lifecycle only moves forward: anything else → 409 ORDER.ILLEGAL_TRANSITION naming the current status', () => {
    const SHIP = { carrier: 'DHL', tracking_number: 'JD0001' }
    const CANCEL = { reason: 'try it' }
    it.each<[string, string, Call]>([
      ['ship before confirm', 'created', { method: 'POST', url: '/api/orders/ORD-00001/ship', payload: SHIP }],
      ['deliver before ship', 'created', { method: 'POST', url: '/api/orders/ORD-00001/deliver' }],
      ['confirm twice', 'confirmed', { method: 'POST', url: '/api/orders/ORD-00002/confirm' }],
      ['deliver a confirmed order', 'confirmed', { method: 'POST', url: '/api/orders/ORD-00002/deliver' }],
      ['confirm a shipped order', 'shipped', { method: 'POST', url: '/api/orders/ORD-00003/confirm' }],
      ['cancel a shipped order', 'shipped', { method: 'POST', url: '/api/orders/ORD-00003/cancel', payload: CANCEL }],
      ['ship a delivered order', 'delivered', { method: 'POST', url: '/api/orders/ORD-00004/ship', payload: SHIP }],
      ['deliver twice', 'delivered', { method: 'POST', url: '/api/orders/ORD-00004/deliver' }],
      ['cancel a delivered order', 'delivered', { method: 'POST', url: '/api/orders/ORD-00004/cancel', payload: CANCEL }],
      ['confirm a cancelled order', 'cancelled', { method: 'POST', url: '/api/orders/ORD-00005/confirm' }],
      ['ship a cancelled order', 'cancelled', { method: 'POST', url: '/api/orders/ORD-00005/ship', payload: SHIP }],
      ['cancel twice', 'cancelled', { method: 'POST', url: '/api/orders/ORD-00005/cancel', payload: CANCEL }],
    ])('%s (the order is %s) → 409', async (_name, current, call) => {
      const id = /ORD-\d+/.exec(call.url)?.[0] ?? ''
      const version = await versionOf(id)
      const problem = expectProblem(await send(app, call, as.admin), 409, 'ORDER.ILLEGAL_TRANSITION')
      expect(problem.current_status).toBe(current)
      expect(await versionOf(id)).toBe(version)
    })

    it('POST /api/orders/ORD-00001/confirm with If-Match: "7" (a version never seen) → 412 REQUEST.VERSION_MISMATCH', async () => {
      const response = await send(
        app,
        { method: 'POST', url: '/api/orders/ORD-00001/confirm', headers: { 'if-match': '"7"' } },
        as.admin,
      )
      expect(expectProblem(response, 412, 'REQUEST.VERSION_MISMATCH').current_version).toBe(1)
      expect(await versionOf('ORD-00001')).toBe(1)
    })

    it('POST /api/orders/ORD-00001/confirm with If-Match: W/"1" → 400 REQUEST.INVALID_IF_MATCH', async () => {
      const response = await send(
        app,
        { method: 'POST', url: '/api/orders/ORD-00001/confirm', headers: { 'if-match': 'W/"1"' } },
        as.admin,
      )
      expectProblem(response, 400, 'REQUEST.INVALID_IF_MATCH')
      expect(await versionOf('ORD-00001')).toBe(1)
    })
  })

  describe('orders obey the catalogue and the accounts', () => {
    it.each<[string, Caller, number, string, Call]>([
      [
        'an inactive SKU',
        'repA',
        422,
        'ORDER.UNAVAILABLE_SKU',
        { method: 'POST', url: '/api/orders', payload: orderBody('RETIRED-1') },
      ],
      [
        'an unknown SKU',
        'repA',
        422,
        'ORDER.UNAVAILABLE_SKU',
        { method: 'POST', url: '/api/orders', payload: orderBody('NO-SUCH-1') },
      ],
      [
        'a total beyond 2^53 − 1 (never rounded)',
        'repA',
        422,
        'ORDER.AMOUNT_TOO_LARGE',
        { method: 'POST', url: '/api/orders', payload: orderBody('PRICEY-1', 2) },
      ],
      [
        'a currency the SKUs are not priced in',
        'repA',
        422,
        'ORDER.MIXED_CURRENCIES',
        { method: 'POST', url: '/api/orders', payload: { ...orderBody('WIDGET-1'), currency: 'USD' } },
      ],
      [
        'the same SKU twice (split quantities)',
        'repA',
        400,
        'ORDER.INVALID_ITEMS',
        {
          method: 'POST',
          url: '/api/orders',
          payload: {
            customer: { name: 'X' },
            items: [
              { sku: 'WIDGET-1', quantity: 1 },
              { sku: 'WIDGET-1', quantity: 1 },
            ],
          },
        },
      ],
      [
        'an admin placing it for an auditor',
        'admin',
        422,
        'ORDER.UNKNOWN_SALES_REP',
        { method: 'POST', url: '/api/orders', payload: { ...orderBody('WIDGET-1'), sales_rep: USERS.auditor.email } },
      ],
      [
        'an admin placing it for a disabled rep',
        'admin',
        422,
        'ORDER.UNKNOWN_SALES_REP',
        { method: 'POST', url: '/api/orders', payload: { ...orderBody('WIDGET-1'), sales_rep: 'gone@corp.example' } },
      ],
    ])('POST /api/orders with %s as %s → %i %s, no order', async (_name, caller, status, code, call) => {
      const head = await app.eventStore.headPosition()
      expectProblem(await send(app, call, as[caller]), status, code)
      expect(await app.eventStore.headPosition()).toBe(head)
    })

    it.each<[string, number, string, Call]>([
      [
        'POST /api/skus/RETIRED-1/deactivate (already inactive)',
        409,
        'SKU.ILLEGAL_TRANSITION',
        { method: 'POST', url: '/api/skus/RETIRED-1/deactivate', payload: { reason: 'again' } },
      ],
      [
        'POST /api/skus WIDGET-1 (exists)',
        409,
        'SKU.EXISTS',
        {
          method: 'POST',
          url: '/api/skus',
          payload: { sku: 'WIDGET-1', name: 'Cheaper widget', unit_price: 1, currency: 'INR', tax_rate_bp: 0 },
        },
      ],
      [
        'POST /api/users Rep-A@Corp.Example (rep A exists, in another case)',
        409,
        'USER.EMAIL_TAKEN',
        {
          method: 'POST',
          url: '/api/users',
          payload: { email: 'Rep-A@Corp.Example', name: 'Twin', password: 'a-long-password', role: 'admin' },
        },
      ],
    ])('%s as admin → %i %s', async (_name, status, code, call) => {
      const head = await app.eventStore.headPosition()
      const rep = await app.users.find(USERS.repA.email)
      expectProblem(await send(app, call, as.admin), status, code)
      expect(await app.eventStore.headPosition()).toBe(head)
      expect(await app.users.find(USERS.repA.email)).toEqual(rep)
    })
  })

  describe('Idempotency-Key: a retried order is placed once', () => {
    const place = (key: string, payload: object): Call => ({
      method: 'POST',
      url: '/api/orders',
      headers: { 'idempotency-key': key },
      payload,
    })

    it('POST /api/orders twice with Idempotency-Key: order-2026-0001 → 201 twice, the same order, written once', async () => {
      const head = await app.eventStore.headPosition()
      const first = await send(app, place('order-2026-0001', orderBody('WIDGET-1', 3)), as.repA)
      const retry = await send(app, place('order-2026-0001', orderBody('WIDGET-1', 3)), as.repA)
      expect([first.statusCode, retry.statusCode]).toEqual([201, 201])
      expect(retry.body).toBe(first.body)
      expect(retry.headers['idempotent-replayed']).toBe('true')
      expect(await app.eventStore.headPosition()).toBe(head + 1)
    })

    it('the same key with another body → 422 REQUEST.IDEMPOTENCY_KEY_REUSED, nothing written', async () => {
      const first = await send(app, place('order-2026-0002', orderBody('WIDGET-1', 1)), as.repA)
      expect(first.statusCode).toBe(201)
      const head = await app.eventStore.headPosition()
      const other = await send(app, place('order-2026-0002', orderBody('WIDGET-1', 1000)), as.repA)
      expectProblem(other, 422, 'REQUEST.IDEMPOTENCY_KEY_REUSED')
      expect(await app.eventStore.headPosition()).toBe(head)
    })

    it('POST /api/skus with Idempotency-Key: sku-0001 twice → one SKU; with another body → 422 REQUEST.IDEMPOTENCY_KEY_REUSED', async () => {
      const sku = { sku: 'IDEM-1', name: 'Idempotent', unit_price: 500, currency: 'INR', tax_rate_bp: 500 }
      const call: Call = { method: 'POST', url: '/api/skus', headers: { 'idempotency-key': 'sku-0001' }, payload: sku }
      const head = await app.eventStore.headPosition()
      const first = await send(app, call, as.repA)
      const retry = await send(app, call, as.repA)
      expect([first.statusCode, retry.statusCode, retry.headers['idempotent-replayed']]).toEqual([201, 201, 'true'])
      expect(await app.eventStore.headPosition()).toBe(head + 1)
      expectProblem(
        await send(app, { ...call, payload: { ...sku, unit_price: 1 } }, as.repA),
        422,
        'REQUEST.IDEMPOTENCY_KEY_REUSED',
      )
      expect(await app.eventStore.headPosition()).toBe(head + 1)
    })
  })

  describe('an admin cannot lock itself out → 409 USER.SELF_LOCKOUT', () => {
    it.each<[string, Call]>([
      ['disable itself', { method: 'PATCH', url: '/api/users/admin@test.local', payload: { disabled: true } }],
      ['demote itself to auditor', { method: 'PATCH', url: '/api/users/admin@test.local', payload: { role: 'auditor' } }],
      ['demote itself to sales_rep', { method: 'PATCH', url: '/api/users/admin@test.local', payload: { role: 'sales_rep' } }],
      [
        'disable itself, spelled in capitals',
        { method: 'PATCH', url: '/api/users/ADMIN@TEST.LOCAL', payload: { disabled: true } },
      ],
      [
        'disable itself, @ percent-encoded',
        { method: 'PATCH', url: '/api/users/admin%40test.local', payload: { disabled: true } },
      ],
      [
        'disable itself along with a rename',
        { method: 'PATCH', url: '/api/users/admin@test.local', payload: { name: 'Still me', disabled: true } },
      ],
    ])('%s', async (_name, call) => {
      expectProblem(await send(app, call, as.admin), 409, 'USER.SELF_LOCKOUT')
      expect(await app.users.find(TEST_ADMIN.email)).toMatchObject({ role: 'admin', disabled: false, name: 'Administrator' })
      expect((await send(app, { method: 'GET', url: '/api/users' }, as.admin)).statusCode).toBe(200)
    })
  })
})
