import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN } from '../support/app.js'
import { tokenFor } from '../support/auth.js'
import { createSku, placeOrder } from '../support/fixtures.js'
import { listeningApp, socketClient, wsClient } from '../support/realtime.js'
import { eventually } from '../support/wait.js'

describe('real time, embedded (in-process feed, real sockets)', () => {
  let service: { app: FastifyInstance; url: string }
  let admin: string

  beforeAll(async () => {
    service = await listeningApp({ REDIS_STREAM_MAXLEN: '100' })
    admin = await tokenFor(service.app, 'admin', TEST_ADMIN.email)
  })
  afterAll(async () => {
    await service.app.close()
  })

  it('delivers sku_event, new_order and order_event in position order on both transports', async () => {
    const socket = await socketClient(service.url, { token: admin })
    const ws = await wsClient(service.url, { token: admin })
    try {
      const sku = await createSku(service.app)
      const order = await placeOrder(service.app, { skus: [sku.sku] })
      await socket.waitFor('new_order', 1)
      await ws.waitFor('order.created', 1)
      expect(socket.received.map((r) => [r.name, (r.payload as { position: number }).position])).toEqual([
        ['sku_event', sku.position],
        ['new_order', order.position],
        ['order_event', order.position],
      ])
      expect(ws.events('*').map((e) => [e.type, e.position])).toEqual([
        ['sku.created', sku.position],
        ['order.created', order.position],
      ])
      expect((await service.app.realtime.stats()).clients).toBe(2)
    } finally {
      socket.close()
      ws.close()
    }
  })

  it('replays after a position; a position trimmed away (the feed keeps REDIS_STREAM_MAXLEN) gets resync', async () => {
    const sku = await createSku(service.app)
    const first = await placeOrder(service.app, { skus: [sku.sku] })
    const second = await placeOrder(service.app, { skus: [sku.sku] })
    const resumed = await socketClient(service.url, { token: admin, after: first.position, viaAuth: true })
    await resumed.waitFor('new_order', 1)
    expect(resumed.events('new_order').map((e) => e.position)).toEqual([second.position])
    resumed.close()

    for (let i = 0; i < 120; i++) await placeOrder(service.app, { skus: [sku.sku] })
    const late = await wsClient(service.url, { token: admin, after: first.position })
    await late.waitFor('resync', 1)
    late.close()
  })

  it('keeps a client whose token lives 30 days connected (JWT_TTL past the 24.8-day timer limit)', async () => {
    const { app, url } = await listeningApp({ JWT_TTL: '30d' })
    try {
      const client = await socketClient(url, { token: await tokenFor(app, 'auditor') })
      await new Promise((resolve) => setTimeout(resolve, 3000))
      expect(client.socket.connected).toBe(true)
      const sku = await createSku(app)
      await client.waitFor('sku_event', 1)
      expect(client.events('sku_event').map((e) => e.position)).toEqual([sku.position])
      expect(client.received.map((r) => r.name)).not.toContain('token_expired')
      client.close()
    } finally {
      await app.close()
    }
  })

  it.each([
    ['disabled', { disabled: true }, 'AUTH.USER_DISABLED'],
    ['demoted', { role: 'sales_rep' }, 'AUTH.TOKEN_REVOKED'],
    ['given a new password', { password: 'a-brand-new-password' }, 'AUTH.TOKEN_REVOKED'],
  ])('ends both live sessions of an auditor %s, with the reason', async (_what, change, code) => {
    const email = `auditor-${Object.keys(change).join()}@test.local`
    const token = await tokenFor(service.app, 'auditor', email)
    const socket = await socketClient(service.url, { token })
    const ws = await wsClient(service.url, { token })
    const changed = await service.app.inject({
      method: 'PATCH',
      url: `/api/users/${email}`,
      headers: { authorization: `Bearer ${admin}` },
      payload: change,
    })
    expect(changed.statusCode).toBe(200)
    await socket.waitFor('session_revoked', 1, 5000)
    const [revoked, ...more] = socket.events('session_revoked') as unknown as { code: string; reason: string }[]
    expect([revoked?.code, typeof revoked?.reason, more.length]).toEqual([code, 'string', 0])
    expect(await ws.closed).toEqual({ code: 4003, reason: code })
    expect(ws.received.at(-1)).toMatchObject({ name: 'session_revoked', payload: { type: 'session_revoked', code } })
    await eventually(
      () => 'the Socket.IO client disconnected',
      () => socket.socket.disconnected,
      5000,
    )
    const refused = await service.app.inject({ url: '/api/orders', headers: { authorization: `Bearer ${token}` } })
    expect([refused.statusCode, refused.json<{ code: string }>().code]).toEqual([401, code])
  })

  it('ends a live session within 5 s even when no change notification arrives (periodic fresh check)', async () => {
    const email = 'auditor-unannounced@test.local'
    const socket = await socketClient(service.url, { token: await tokenFor(service.app, 'auditor', email) })
    // Changed behind the service's back (another tool, a lost pub/sub message): no notification.
    await service.app.storage.users.update(email, { disabled: true }, { revokeTokens: true })
    const changedAt = Date.now()
    await socket.waitFor('session_revoked', 1, 5000)
    expect(Date.now() - changedAt).toBeLessThan(5000)
    expect(socket.events('session_revoked')).toMatchObject([{ code: 'AUTH.USER_DISABLED' }])
  })

  it('closes a socket when its token expires', async () => {
    const { app, url } = await listeningApp({ JWT_TTL: '2s' })
    try {
      const client = await socketClient(url, { token: await tokenFor(app, 'auditor') })
      await client.waitFor('token_expired', 1, 10_000)
      await new Promise<void>((resolve) => {
        if (client.socket.disconnected) resolve()
        else
          client.socket.once('disconnect', () => {
            resolve()
          })
      })
    } finally {
      await app.close()
    }
  })
})
