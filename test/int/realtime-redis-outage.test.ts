import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type LogCapture, TEST_ADMIN } from '../support/app.js'
import { TEST_SALES_REP, bearer, ensureSalesRep, tokenFor } from '../support/auth.js'
import { createSku } from '../support/fixtures.js'
import { type PrivateRedis, listeningApp, privateRedis, socketClient } from '../support/realtime.js'
import { createTestDatabase, skipWithoutMongo, type TestDatabase } from '../support/servers.js'
import { eventually } from '../support/wait.js'

/** A Redis of the test's own (redis-server on a free port), so it can be stalled and restarted. */
describe.skipIf(skipWithoutMongo)('real time when Redis goes away', () => {
  let database: TestDatabase
  let redis: PrivateRedis
  let service: { app: FastifyInstance; url: string; logs: LogCapture }
  let admin: string
  let sku: string

  beforeEach(async () => {
    database = await createTestDatabase('outage')
    redis = await privateRedis()
    service = await listeningApp(
      { MONGODB_URI: database.uri, REDIS_URI: redis.uri, INSTANCE_ID: 'outage' },
      { captureLogs: true },
    )
    admin = await tokenFor(service.app, 'admin', TEST_ADMIN.email)
    sku = (await createSku(service.app)).sku
    await ensureSalesRep(service.app)
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
      payload: { customer: { name: `During ${i}` }, items: [{ sku, quantity: 1 }], sales_rep: TEST_SALES_REP },
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
        'readiness to notice (ready, degraded)',
        async () => {
          const ready = await service.app.inject({ url: '/health/ready' })
          return ready.statusCode === 200 && ready.json<{ degraded: string[] }>().degraded.includes('redis')
        },
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

  it('Redis restarts empty (data lost): the stream gets its history back, and clients get every event once, without resync', async () => {
    const live = await socketClient(service.url, { token: admin })
    const resuming = await socketClient(service.url, { token: admin })
    try {
      const before = await Promise.all(Array.from({ length: 3 }, (_, i) => post(i)))
      expect(before.map((r) => r.statusCode)).toEqual(Array(3).fill(201))
      await resuming.waitFor('new_order', 3)
      const resumeFrom = Math.max(...resuming.events('new_order').map((e) => e.position))
      resuming.close() // this one is offline during the outage, and comes back with `after`
      const head = await service.app.eventStore.headPosition()

      await redis.restart()
      // Nothing is posted: the relay, idle, notices the empty stream and writes the history back.
      const direct = new Redis(redis.uri)
      try {
        const key = service.app.config.redisStream
        await eventually('the history in the emptied stream', async () => (await direct.xlen(key)) === head, 15_000)
        const entries = await direct.xrange(key, '-', '+')
        expect(entries.map(([id]) => id)).toEqual(Array.from({ length: head }, (_, i) => `${i + 1}-0`))
      } finally {
        direct.disconnect()
      }

      const during = await Promise.all(Array.from({ length: 5 }, (_, i) => post(i + 10)))
      expect(during.map((r) => r.statusCode)).toEqual(Array(5).fill(201))
      await live.waitFor('new_order', 8, 30_000)
      const back = await socketClient(service.url, { token: admin, after: resumeFrom })
      try {
        await back.waitFor('new_order', 5, 30_000)
        await new Promise((resolve) => setTimeout(resolve, 300)) // nothing more may come
        const missed = back.events('new_order').map((e) => (e.data as { order_id: string }).order_id)
        expect(missed.sort()).toEqual(during.map((r) => r.json<{ order_id: string }>().order_id).sort())
        expect(back.received.filter((r) => r.name === 'resync')).toEqual([])
      } finally {
        back.close()
      }
      const ids = live.events('new_order').map((e) => (e.data as { order_id: string }).order_id)
      expect(ids).toHaveLength(8)
      expect(new Set(ids).size).toBe(8)
      expect(live.received.filter((r) => r.name === 'resync')).toEqual([])
    } finally {
      live.close()
      resuming.close()
    }
  })

  it("a stream holding entries that are not this store's (higher ids from another database) is reported, emptied and refilled: no event goes missing", async () => {
    const client = await socketClient(service.url, { token: admin })
    const direct = new Redis(redis.uri)
    try {
      expect((await post(0)).statusCode).toBe(201)
      await client.waitFor('new_order', 1)
      const key = service.app.config.redisStream
      // Another deployment's stream (or a restored backup) lands on our key, ahead of our positions.
      await direct.del(key)
      for (let position = 1; position <= 40; position++) {
        const foreign = { event_id: `foreign-${position}`, type: 'order.created', data: { order_id: `X-${position}` }, position }
        await direct.xadd(key, `${position * 100}-0`, 'event', JSON.stringify(foreign))
      }
      const during = await Promise.all(Array.from({ length: 5 }, (_, i) => post(i + 1)))
      expect(during.map((r) => r.statusCode)).toEqual(Array(5).fill(201))

      const head = await service.app.eventStore.headPosition()
      await eventually('our events back in the stream', async () => (await direct.xlen(key)) === head, 15_000)
      const entries = await direct.xrange(key, '-', '+')
      expect(entries.map(([id]) => id)).toEqual(Array.from({ length: head }, (_, i) => `${i + 1}-0`))
      const { events } = await service.app.eventStore.readAll({ after: 0, limit: head })
      expect(entries.map(([, fields]) => (JSON.parse(fields[1] ?? '{}') as { event_id: string }).event_id)).toEqual(
        events.map((e) => e.event_id),
      )
      expect(service.logs.lines.some((line) => line.level === 'error' && String(line.msg).includes('not this event store'))).toBe(
        true,
      )

      // A client that resumes from before gets exactly our orders.
      const back = await socketClient(service.url, { token: admin, after: client.events('new_order')[0]?.position ?? 0 })
      try {
        await back.waitFor('new_order', 5, 30_000)
        const ids = back.events('new_order').map((e) => (e.data as { order_id: string }).order_id)
        expect(ids.sort()).toEqual(during.map((r) => r.json<{ order_id: string }>().order_id).sort())
      } finally {
        back.close()
      }
    } finally {
      client.close()
      direct.disconnect()
    }
  })
})
