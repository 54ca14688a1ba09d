import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, ensureSalesRep, sharedJwtSecret, tokenFor } from '../support/auth.js'
import { createSku, orderIn, placeOrder, raceOnLoad } from '../support/fixtures.js'
import { createTestDatabase, redisNamespace, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'

describe.skipIf(skipWithoutServers)('orders on MongoDB (FerretDB)', () => {
  let database: TestDatabase
  const apps: FastifyInstance[] = []
  const start = async (instance: string) => {
    const { app } = await buildTestApp({
      env: { MONGODB_URI: database.uri, INSTANCE_ID: instance, JWT_SECRET: sharedJwtSecret(), API_RATE_LIMIT: '100000/1m' },
    })
    apps.push(app)
    return app
  }

  beforeAll(async () => {
    database = await createTestDatabase('orders')
  })
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
    await database.drop()
  })

  it('100 concurrent orders on a fresh database: ORD-00001 … ORD-00100, each stream at version 1, no error', async () => {
    const app = await start('a')
    const rep = bearer(await tokenFor(app, 'sales_rep'))
    const sku = (await createSku(app)).sku
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        app.inject({
          method: 'POST',
          url: '/api/orders',
          headers: rep,
          payload: { customer: { name: `Customer ${i}` }, items: [{ sku, quantity: 1 + (i % 5) }] },
        }),
      ),
    )
    expect(responses.map((r) => r.statusCode)).toEqual(Array(100).fill(201))
    const ids = responses.map((r) => r.json<{ order_id: string }>().order_id).sort()
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => `ORD-${String(i + 1).padStart(5, '0')}`))
    for (const id of ids) {
      const events = await app.eventStore.readStream(`order-${id}`)
      expect(events.map((e) => [e.type, e.version])).toEqual([['order.created', 1]])
    }
  })

  it('Idempotency-Key: ten identical requests at once make one order; another body is a 422; the replay survives a restart', async () => {
    const app = await start('b')
    const rep = bearer(await tokenFor(app, 'sales_rep'))
    const sku = (await createSku(app)).sku
    const body = { customer: { name: 'Idempotent Ltd' }, items: [{ sku, quantity: 3 }] }
    const headers = { ...rep, 'idempotency-key': 'int-key-1' }
    const head = await app.eventStore.headPosition()
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => app.inject({ method: 'POST', url: '/api/orders', headers, payload: body })),
    )
    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(201))
    expect(new Set(responses.map((r) => r.body)).size).toBe(1)
    expect(await app.eventStore.headPosition()).toBe(head + 1)

    const other = await app.inject({ method: 'POST', url: '/api/orders', headers, payload: { ...body, notes: 'changed' } })
    expect([other.statusCode, other.json<{ code: string }>().code]).toEqual([422, 'REQUEST.IDEMPOTENCY_KEY_REUSED'])

    await app.close()
    apps.splice(apps.indexOf(app), 1)
    const restarted = await start('b-restarted')
    const replay = await restarted.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...bearer(await tokenFor(restarted, 'sales_rep')), 'idempotency-key': 'int-key-1' },
      payload: body,
    })
    expect([replay.statusCode, replay.body]).toEqual([201, responses[0]?.body])
  })

  it('confirm and cancel racing on one order: exactly one wins, the other is a 409, the stream is consistent', async () => {
    const app = await start('c')
    const admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    const sku = (await createSku(app)).sku
    for (let round = 0; round < 3; round++) {
      const { order_id } = await orderIn(app, 'created', { skus: [sku] })
      const undo = raceOnLoad(app, `order-${order_id}`)
      const [confirm, cancel] = await Promise.all([
        app.inject({ method: 'POST', url: `/api/orders/${order_id}/confirm`, headers: admin }),
        app.inject({ method: 'POST', url: `/api/orders/${order_id}/cancel`, headers: admin, payload: { reason: 'race' } }),
      ]).finally(undo)
      expect([confirm.statusCode, cancel.statusCode].sort()).toEqual([200, 409])
      const events = await app.eventStore.readStream(`order-${order_id}`)
      expect(events.map((e) => e.version)).toEqual([1, 2])
      expect(events[1]?.type).toBe(confirm.statusCode === 200 ? 'order.confirmed' : 'order.cancelled')
    }
  })

  it('two instances placing orders at once never share an order number', async () => {
    const [a, b] = [await start('d1'), await start('d2')]
    const rep = bearer(await tokenFor(a, 'sales_rep'))
    const sku = (await createSku(a)).sku
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? b : a).inject({
          method: 'POST',
          url: '/api/orders',
          headers: rep,
          payload: { customer: { name: `C${i}` }, items: [{ sku, quantity: 1 }] },
        }),
      ),
    )
    expect(responses.map((r) => r.statusCode)).toEqual(Array(40).fill(201))
    const ids = responses.map((r) => r.json<{ order_id: string }>().order_id)
    expect(new Set(ids).size).toBe(40)
    const sources = new Set(
      await Promise.all(ids.map(async (id) => (await a.eventStore.readStream(`order-${id}`))[0]?.metadata.source)),
    )
    expect(sources).toEqual(new Set(['d1', 'd2']))
  })

  it('text FerretDB cannot store is a 400 naming the field, not a 500; other scripts and emoji come back as given', async () => {
    const app = await start('e')
    const admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    const rep = bearer(await tokenFor(app, 'sales_rep'))
    const sku = (await createSku(app)).sku
    const head = await app.eventStore.headPosition()
    const refused = await Promise.all([
      app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: rep,
        payload: { customer: { name: 'Nul\u0000Ltd' }, items: [{ sku, quantity: 1 }] },
      }),
      app.inject({
        method: 'POST',
        url: '/api/skus',
        headers: admin,
        payload: { sku: 'NUL-1', name: 'Half \ud83d', unit_price: 100, currency: 'INR', tax_rate_bp: 0 },
      }),
      app.inject({
        method: 'POST',
        url: '/api/users',
        headers: admin,
        payload: { email: 'nul@test.local', name: 'Nul\u0000', password: 'a-long-password', role: 'auditor' },
      }),
    ])
    expect(refused.map((r) => [r.statusCode, r.json<{ code: string }>().code])).toEqual(
      Array(3).fill([400, 'REQUEST.INVALID_TEXT']),
    )
    expect(refused.map((r) => r.json<{ errors: { path: string }[] }>().errors.map((e) => e.path))).toEqual([
      ['body/customer/name'],
      ['body/name'],
      ['body/name'],
    ])
    expect(await app.eventStore.headPosition()).toBe(head)
    expect(await app.users.find('nul@test.local')).toBeNull()

    const name = 'Ünïcode 株式会社 — 🚀 Ltd'
    const placed = await app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: rep,
      payload: { customer: { name }, items: [{ sku, quantity: 1 }] },
    })
    expect(placed.statusCode).toBe(201)
    const { order_id, position } = placed.json<{ order_id: string; position: number }>()
    expect((await app.eventStore.readStream(`order-${order_id}`))[0]?.data).toMatchObject({ customer: { name } })
    const read = await app.inject({ url: `/api/orders/${order_id}?min_position=${position}`, headers: rep })
    expect(read.json<{ customer: { name: string } }>().customer.name).toBe(name)
  })

  it('with Redis, a new deployment numbers its first order ORD-00001 after its catalogue, and a Redis that lost the counter goes on from the highest', async () => {
    const fresh = await createTestDatabase('order_numbers')
    const namespace = redisNamespace('order_numbers')
    const { app } = await buildTestApp({
      env: { MONGODB_URI: fresh.uri, REDIS_URI: redisUri ?? '', ...namespace, INSTANCE_ID: 'f', API_RATE_LIMIT: '100000/1m' },
    })
    const redis = new Redis(redisUri ?? '')
    try {
      const skus = [await createSku(app), await createSku(app), await createSku(app)].map((s) => s.sku)
      await ensureSalesRep(app)
      expect((await placeOrder(app, { skus })).order_id).toBe('ORD-00001')
      expect((await placeOrder(app, { skus })).order_id).toBe('ORD-00002')
      // Redis restarted empty: its counter is gone; the next number follows the highest in the store.
      expect(await redis.del(`${namespace.REDIS_KEY_PREFIX}sequence:order_number`)).toBe(1)
      expect((await placeOrder(app, { skus })).order_id).toBe('ORD-00003')
    } finally {
      redis.disconnect()
      await app.close()
      await fresh.drop()
    }
  })
})
