import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN } from '../support/app.js'
import { bearer, sharedJwtSecret, tokenFor } from '../support/auth.js'
import { listeningApp, socketClient, wsClient } from '../support/realtime.js'
import { createTestDatabase, redisNamespace, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'
import { eventually } from '../support/wait.js'

/** Acceptance: a change made through instance A ends the user's sessions on instance B within 5 s. */
describe.skipIf(skipWithoutServers)('session revocation across two instances (FerretDB + Redis + real sockets)', () => {
  let database: TestDatabase
  let a: { app: FastifyInstance; url: string }
  let b: { app: FastifyInstance; url: string }
  let admin: string

  beforeAll(async () => {
    database = await createTestDatabase('revocation')
    const namespace = redisNamespace('sessions')
    const env = {
      MONGODB_URI: database.uri,
      REDIS_URI: redisUri ?? '',
      ...namespace,
      JWT_SECRET: sharedJwtSecret(),
    }
    a = await listeningApp({ ...env, INSTANCE_ID: 'instance-a' })
    b = await listeningApp({ ...env, INSTANCE_ID: 'instance-b' })
    admin = await tokenFor(a.app, 'admin', TEST_ADMIN.email)
  })
  afterAll(async () => {
    await Promise.all([a.app.close(), b.app.close()])
    await database.drop()
  })

  it.each([
    ['disabled', { disabled: true }, 'AUTH.USER_DISABLED'],
    ['given a new password', { password: 'another-password-123' }, 'AUTH.TOKEN_REVOKED'],
    ['demoted to sales_rep', { role: 'sales_rep' }, 'AUTH.TOKEN_REVOKED'],
  ])('an auditor %s through A loses both sockets on B within 5 s, and its old token on both', async (_what, change, code) => {
    const email = `auditor-${Object.keys(change).join()}@test.local`
    const token = await tokenFor(a.app, 'auditor', email)
    // The account is looked up (and cached) on B before the change, as a live user's would be.
    expect((await b.app.inject({ url: '/api/orders', headers: bearer(token) })).statusCode).toBe(200)
    const socket = await socketClient(b.url, { token })
    const ws = await wsClient(b.url, { token })

    const changedAt = Date.now()
    const changed = await a.app.inject({ method: 'PATCH', url: `/api/users/${email}`, headers: bearer(admin), payload: change })
    expect(changed.statusCode).toBe(200)

    await socket.waitFor('session_revoked', 1, 5000)
    const closed = await ws.closed
    const elapsed = Date.now() - changedAt
    console.log(`revocation (${Object.keys(change).join()}): both sockets on B closed ${elapsed} ms after the change on A`)
    expect(elapsed).toBeLessThan(5000)
    const [revoked, ...more] = socket.events('session_revoked') as unknown as { code: string; reason: string }[]
    expect([revoked?.code, typeof revoked?.reason, more.length]).toEqual([code, 'string', 0])
    expect(closed).toEqual({ code: 4003, reason: code })
    await eventually(
      () => 'the Socket.IO client disconnected',
      () => socket.socket.disconnected,
      5000,
    )
    for (const instance of [a, b]) {
      const refused = await instance.app.inject({ url: '/api/orders', headers: bearer(token) })
      expect([refused.statusCode, refused.json<{ code: string }>().code]).toEqual([401, code])
    }
  })

  it('re-enabling does not bring back tokens issued before the disable', async () => {
    const email = 'auditor-reenabled@test.local'
    const token = await tokenFor(a.app, 'auditor', email)
    for (const disabled of [true, false]) {
      const changed = await a.app.inject({
        method: 'PATCH',
        url: `/api/users/${email}`,
        headers: bearer(admin),
        payload: { disabled },
      })
      expect(changed.statusCode).toBe(200)
    }
    for (const instance of [a, b]) {
      const refused = await instance.app.inject({ url: '/api/orders', headers: bearer(token) })
      expect([refused.statusCode, refused.json<{ code: string }>().code]).toEqual([401, 'AUTH.TOKEN_REVOKED'])
    }
    const fresh = await tokenFor(b.app, 'auditor', email)
    expect((await a.app.inject({ url: '/api/orders', headers: bearer(fresh) })).statusCode).toBe(200)
  })
})
