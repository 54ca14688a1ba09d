import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TEST_ADMIN } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku } from '../support/fixtures.js'
import { type PrivateRedis, listeningApp, privateRedis, socketClient } from '../support/realtime.js'
import { createTestDatabase, skipWithoutMongo, type TestDatabase } from '../support/servers.js'
import { eventually } from '../support/wait.js'

/** A Redis of the test's own (redis-server on a free port), so it can be stalled and restarted. */
describe.skipIf(skipWithoutMongo)('real time when Redis goes away', () => {
  let database: TestDatabase
  let redis: PrivateRedis
  let service: { app: FastifyInstance; url: string }
  let admin: string
  let sku: string

  beforeEach(async () => {
    database = await createTestDatabase('outage')
    redis = await privateRedis()
    service = await listeningApp({ MONGODB_URI: database.uri, REDIS_URI: redis.uri, INSTANCE_ID: 'outage' })
    admin = await tokenFor(service.app, 'admin', TEST_ADMIN.email)
    sku = (await createSku(service.app)).sku
  })
  afterEach(async () => {
    // The redis-server process goes whatever else fails.
    try {
      redis.resume()
      await service.app.close()
    } finally {
      await redis.stop()
      await database.drop()
    }
  })

  const post = (i: number) =>
    service.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: bearer(admin),
      payload: { customer: { name: `During ${i}` }, items: [{ sku, quantity: 1 }] },
    })

  it('Redis hangs while orders are posted: the API keeps accepting them, and clients get every one after Redis is back', async () => {
    const client = await socketClient(service.url, { token: admin })
    try {
      expect((await post(0)).statusCode).toBe(201)
      await client.waitFor('new_order', 1)

      redis.pause()
      const during = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i + 1)))
      expect(during.map((r) => r.statusCode)).toEqual(Array(10).fill(201))
      // Keep it down until the service itself reports Redis as failing.
      await eventually(
        'readiness to notice',
        async () => (await service.app.inject({ url: '/health/ready' })).statusCode === 503,
        15_000,
        25,
      )
      expect((await service.app.realtime.stats()).relay_lag).toBeGreaterThanOrEqual(10)
      expect(client.events('new_order')).toHaveLength(1)
      redis.resume()

      await client.waitFor('new_order', 11, 30_000)
      const received = client.events('new_order').map((e) => (e.data as { order_id: string }).order_id)
      for (const response of during) expect(received).toContain(response.json<{ order_id: string }>().order_id)
      expect(new Set(received).size).toBe(11)
    } finally {
      client.close()
    }
  })

  it('Redis restarts empty (data lost): clients are told to resync and still get what was committed meanwhile', async () => {
    const client = await socketClient(service.url, { token: admin })
    try {
      expect((await post(0)).statusCode).toBe(201)
      await client.waitFor('new_order', 1)

      await redis.restart()
      const during = await Promise.all(Array.from({ length: 5 }, (_, i) => post(i + 1)))
      expect(during.map((r) => r.statusCode)).toEqual(Array(5).fill(201))

      await client.waitFor('resync', 1, 30_000)
      await client.waitFor('new_order', 6, 30_000)
      const ids = client.events('new_order').map((e) => (e.data as { order_id: string }).order_id)
      expect(new Set(ids).size).toBe(6)
      for (const response of during) expect(ids).toContain(response.json<{ order_id: string }>().order_id)
    } finally {
      client.close()
    }
  })
})
