import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { SignJWT, importPKCS8 } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EVENT_ID_PATTERN } from '../../src/events/envelope.js'
import { type LogCapture, TEST_ADMIN } from '../support/app.js'
import { bearer, sharedJwtSecret, tokenFor } from '../support/auth.js'
import { createSku } from '../support/fixtures.js'
import { listeningApp, socketClient, socketRefusal, wsClient, wsRefusal } from '../support/realtime.js'
import { createTestDatabase, redisNamespace, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'
import { eventually, sleep } from '../support/wait.js'

describe.skipIf(skipWithoutServers)('real time across two instances (FerretDB + Redis + real sockets)', () => {
  let database: TestDatabase
  let a: { app: FastifyInstance; url: string; logs: LogCapture }
  let b: { app: FastifyInstance; url: string; logs: LogCapture }
  let admin: string
  let rep: string
  let sku: string
  const { REDIS_STREAM: stream } = redisNamespace('realtime')

  beforeAll(async () => {
    database = await createTestDatabase('realtime')
    const env = {
      MONGODB_URI: database.uri,
      REDIS_URI: redisUri ?? '',
      REDIS_STREAM: stream,
      REDIS_KEY_PREFIX: `${stream}:`,
      JWT_SECRET: sharedJwtSecret(),
      LOG_LEVEL: 'error', // what a wrong answer logged is shown with it
    }
    a = await listeningApp({ ...env, INSTANCE_ID: 'instance-a' })
    b = await listeningApp({ ...env, INSTANCE_ID: 'instance-b' })
    admin = await tokenFor(a.app, 'admin', TEST_ADMIN.email)
    rep = await tokenFor(a.app, 'sales_rep')
    sku = (await createSku(a.app)).sku
  })
  afterAll(async () => {
    await Promise.all([a.app.close(), b.app.close()])
    const redis = new Redis(redisUri ?? '')
    await redis.del(stream)
    redis.disconnect()
    await database.drop()
  })

  const post = (on: { app: FastifyInstance }, i = 0) =>
    on.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: bearer(rep),
      payload: { customer: { name: `Live ${i}` }, items: [{ sku, quantity: 1 }] },
    })

  it('a client on B gets new_order for an order posted to A, within 1 s, exactly once, with the DESIGN payload', async () => {
    const client = await socketClient(b.url, { token: admin })
    try {
      const response = await post(a)
      const posted = Date.now()
      expect(response.statusCode).toBe(201)
      const order = response.json<{ order_id: string; total_amount: number; position: number }>()
      await client.waitFor('new_order', 1, 1000)
      const [received] = client.received.filter((r) => r.name === 'new_order')
      expect((received?.at ?? Infinity) - posted).toBeLessThanOrEqual(1000)
      expect(received?.payload).toEqual({
        event_id: expect.stringMatching(EVENT_ID_PATTERN) as string,
        type: 'order.created',
        data: expect.objectContaining({
          order_id: order.order_id,
          total_amount: order.total_amount,
          sales_rep: 'sales-rep@test.local',
        }) as object,
        metadata: expect.objectContaining({
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/) as string,
          source: 'instance-a',
        }) as object,
        position: order.position,
      })
      // The same event also arrives as an order_event; nothing twice (an absence: only a pause can show it).
      await client.waitFor('order_event', 1)
      await sleep(300)
      expect(client.events('new_order')).toHaveLength(1)
      expect(client.events('order_event')).toHaveLength(1)
    } finally {
      client.close()
    }
  })

  it('orders stored together on A are announced to the other instances in one message per batch, each event once, in order', async () => {
    const subscriber = new Redis(redisUri ?? '')
    const messages: { position: number }[][] = []
    try {
      subscriber.on('message', (_channel: string, message: string) =>
        messages.push(JSON.parse(message) as { position: number }[]),
      )
      await subscriber.subscribe(`${stream}:events-appended`)
      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => post(a, i)))
      expect(responses.map((r) => r.statusCode)).toEqual(responses.map(() => 201))
      const positions = responses.map((r) => r.json<{ position: number }>().position).sort((x, y) => x - y)
      const announced = () => messages.flat().map((e) => e.position)
      await eventually('every order announced', () => positions.every((p) => announced().includes(p)), 10_000)
      expect(announced()).toEqual([...new Set(announced())].sort((x, y) => x - y))
      expect(messages.length).toBeLessThan(positions.length)
    } finally {
      subscriber.disconnect()
    }
  })

  it('500 orders posted at once across both instances: every admin client gets 500 new_order, none twice, in position order; WebSocket sees the same', async () => {
    const clients = [await socketClient(a.url, { token: admin }), await socketClient(b.url, { token: admin, viaAuth: true })]
    const ws = await wsClient(b.url, { token: admin })
    try {
      const responses = await Promise.all(Array.from({ length: 500 }, (_, i) => post(i % 2 ? b : a, i)))
      const refused = responses.filter((r) => r.statusCode !== 201).map((r) => r.body)
      // A wrong answer comes with what the instances logged about it (its cause).
      const logged = [a, b].flatMap(({ logs }) => logs.lines.filter((line) => line.level === 'error' || line.level === 'fatal'))
      expect(refused, JSON.stringify(logged.slice(0, 3))).toEqual([])
      const posted = new Set(responses.map((r) => r.json<{ order_id: string }>().order_id))
      for (const client of [...clients, ws]) {
        await client.waitFor(client === ws ? 'order.created' : 'new_order', 500, 60_000)
        const received = client.events(client === ws ? 'order.created' : 'new_order')
        expect(received).toHaveLength(500)
        expect(new Set(received.map((e) => (e.data as { order_id: string }).order_id))).toEqual(posted)
        const positions = received.map((e) => e.position)
        expect(positions).toEqual([...positions].sort((x, y) => x - y))
      }
      // The plain WebSocket client received exactly the Socket.IO sequence (all event types).
      const sequence = (events: { event_id: string }[]) => events.map((e) => e.event_id)
      expect(sequence(ws.events('*'))).toEqual(
        sequence(clients[1]?.received.filter((r) => r.name !== 'new_order').map((r) => r.payload as { event_id: string }) ?? []),
      )
    } finally {
      for (const client of [...clients, ws]) client.close()
    }
  })

  it('a client reconnecting with after = its last position gets exactly what it missed, then live events', async () => {
    const first = await socketClient(a.url, { token: admin })
    await post(a, 1)
    await first.waitFor('order_event', 1)
    const last = first.events('order_event').at(-1)?.position ?? 0
    first.close()

    const missed = await Promise.all([post(a, 2), post(b, 3), post(a, 4)])
    const missedPositions = missed.map((r) => r.json<{ position: number }>().position).sort((x, y) => x - y)
    const again = await socketClient(b.url, { token: admin, after: last, viaAuth: true })
    const ws = await wsClient(a.url, { token: admin, after: last })
    try {
      await again.waitFor('order_event', 3)
      await ws.waitFor('order.created', 3)
      const live = await post(b, 5)
      await again.waitFor('order_event', 4)
      await ws.waitFor('order.created', 4)
      const expected = [...missedPositions, live.json<{ position: number }>().position]
      expect(again.events('order_event').map((e) => e.position)).toEqual(expected)
      expect(ws.events('order.created').map((e) => e.position)).toEqual(expected)
    } finally {
      again.close()
      ws.close()
    }
  })

  it('a position the stream no longer holds gets resync', async () => {
    const redis = new Redis(redisUri ?? '')
    try {
      const head = await a.app.eventStore.headPosition()
      await redis.xtrim(stream, 'MINID', `${head}-0`) // keep only the newest entry
      const client = await socketClient(a.url, { token: admin, after: 1 })
      const ws = await wsClient(b.url, { token: admin, after: 1 })
      await client.waitFor('resync', 1)
      await ws.waitFor('resync', 1)
      expect(client.received[0]?.name).toBe('resync')
      client.close()
      ws.close()
    } finally {
      redis.disconnect()
    }
  })

  it('refuses a sales rep, an expired token and no token on both transports', async () => {
    expect(await socketRefusal(a.url, rep)).toEqual({
      message: 'Only admins and auditors may follow the live feed',
      data: { code: 'AUTH.FORBIDDEN', status: 403 },
    })
    expect(await socketRefusal(a.url, undefined)).toMatchObject({ data: { code: 'AUTH.TOKEN_REQUIRED', status: 401 } })
    const now = Math.floor(Date.now() / 1000)
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256', kid: a.app.keyRing.signing.kid })
      .setSubject(TEST_ADMIN.email)
      .setIssuer('sales-order-service')
      .setAudience('sales-order-api')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(await importPKCS8(sharedJwtSecret(), 'RS256'))
    expect(await socketRefusal(b.url, expired)).toMatchObject({ data: { code: 'AUTH.TOKEN_EXPIRED', status: 401 } })
    expect(await wsRefusal(a.url, rep)).toBe(403)
    expect(await wsRefusal(a.url, expired)).toBe(401)
    expect(await wsRefusal(b.url, undefined)).toBe(401)
    const auditor = await tokenFor(a.app, 'auditor')
    expect(await socketRefusal(b.url, auditor)).toBeNull()
    expect(await wsRefusal(b.url, auditor)).toBeNull()
  })
})
