import { request } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { eventually } from '../support/wait.js'
import { createTestDatabase, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'

describe.skipIf(skipWithoutServers)('the app on MongoDB and Redis', () => {
  let database: TestDatabase
  const apps: FastifyInstance[] = []
  const start = async (env: Record<string, string> = {}) => {
    const { app } = await buildTestApp({ env: { MONGODB_URI: database.uri, REDIS_URI: redisUri ?? '', ...env } })
    apps.push(app)
    return app
  }

  beforeAll(async () => {
    database = await createTestDatabase('app_servers')
  })
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
    await database.drop()
  })

  it('is ready when MongoDB and Redis answer, and says which it checked', async () => {
    const app = await start()
    const ready = await app.inject({ url: '/health/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready', checks: { mongodb: 'ok', redis: 'ok' }, degraded: [] })
  })

  it('creates the event store indexes at start-up, and a second start-up is harmless', async () => {
    await start()
    await start()
    const indexes = await database.db.collection('events').indexes()
    expect(indexes.filter((i) => i.unique === true).map((i) => i.name)).toEqual(
      expect.arrayContaining(['position_unique', 'stream_version_unique']),
    )
  })

  it('stays ready, flagged degraded, when only Redis does not answer (the API still serves)', async () => {
    const app = await start({ REDIS_URI: 'redis://127.0.0.1:1' })
    await eventually(
      'readiness to notice Redis is down',
      async () =>
        (await app.inject({ url: '/health/ready' })).json<{ degraded?: string[] }>().degraded?.includes('redis') === true,
      5000,
    )
    const ready = await app.inject({ url: '/health/ready' })
    expect([ready.statusCode, ready.json()]).toEqual([
      200,
      { status: 'ready', checks: { mongodb: 'ok', redis: 'down' }, degraded: ['redis'] },
    ])
    expect((await app.inject({ url: '/api/skus', headers: bearer(await tokenFor(app, 'auditor')) })).statusCode).toBe(200)
  })

  it('a request whose client left before a shutdown, failing on the closed MongoDB client after it, is not an error', async () => {
    // A load balancer gives up on a slow request, then the instance is stopped: the connection
    // is gone, so nothing waits for the handler, and MongoDB's client closes under it.
    let entered!: () => void
    const inHandler = new Promise<void>((resolve) => (entered = resolve))
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let finished!: (status: number) => void
    const handled = new Promise<number>((resolve) => (finished = resolve))
    const { app, logs } = await buildTestApp({
      env: { MONGODB_URI: database.uri, REDIS_URI: redisUri ?? '' },
      captureLogs: true,
      extend: async (instance) => {
        instance.addHook('onSend', async (req, reply) => {
          if (req.url === '/test/left') finished(reply.statusCode)
        })
        instance.get('/test/left', async () => {
          entered()
          await gate
          return { user: await instance.users.find('nobody@test.local') }
        })
      },
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const client = request({
      host: '127.0.0.1',
      port: typeof address === 'object' && address ? address.port : 0,
      path: '/test/left',
    })
    client.on('error', () => undefined)
    client.end()
    await inHandler
    client.destroy()
    await app.close()
    release()

    expect(await handled).toBe(503) // retryable, like any request that found MongoDB unreachable
    const startUp = ['no JWT_SECRET', 'the dashboard is not built']
    const warnings = logs.lines.filter(
      (line) => ['warn', 'error', 'fatal'].includes(String(line.level)) && !startUp.some((m) => String(line.msg).startsWith(m)),
    )
    expect(warnings.map((line) => line.msg)).toEqual([]) // neither "request failed" nor "mongodb is unavailable"
  })
})
