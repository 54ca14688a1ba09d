import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REDIS_BACK_OFF_MS } from '../../src/infra/redis-back-off.js'
import { type LogCapture, TEST_ADMIN, buildTestApp } from '../support/app.js'
import { type PrivateRedis, privateRedis } from '../support/realtime.js'
import { skipWithoutRedis } from '../support/servers.js'
import { eventually, sleep } from '../support/wait.js'

const THROTTLE_DOWN = 'failed sign-ins are counted on this instance alone while Redis is unavailable'

/** Two instances sharing a Redis of the test's own (redis-server on a free port), which the test stalls. */
describe.skipIf(skipWithoutRedis)('failed sign-ins while Redis stalls', () => {
  let redis: PrivateRedis
  let a: { app: FastifyInstance; logs: LogCapture }
  let b: { app: FastifyInstance; logs: LogCapture }

  beforeAll(async () => {
    redis = await privateRedis()
    const env = { REDIS_URI: redis.uri, LOGIN_RATE_LIMIT: '3/1m', API_RATE_LIMIT: '1000/1m' }
    a = await buildTestApp({ env: { ...env, INSTANCE_ID: 'a' }, captureLogs: true })
    b = await buildTestApp({ env: { ...env, INSTANCE_ID: 'b' }, captureLogs: true })
  })
  afterAll(async () => {
    // The redis-server process goes whatever else fails.
    try {
      redis.resume()
      await Promise.all([a.app.close(), b.app.close()])
    } finally {
      await redis.stop()
    }
  })

  const attempt = (app: FastifyInstance, ip: string, password = 'a-wrong-guess') =>
    app.inject({ method: 'POST', url: '/api/auth/token', payload: { email: TEST_ADMIN.email, password }, remoteAddress: ip })
  const statuses = async (app: FastifyInstance, ip: string, count: number) => {
    const result: number[] = []
    for (let i = 0; i < count; i++) result.push((await attempt(app, ip)).statusCode)
    return result
  }
  const ready = async (app: FastifyInstance) => (await app.inject({ url: '/health/ready' })).json<{ degraded?: string[] }>()

  it('are still limited, on each instance, and the right password still signs in; shared again once Redis is back', async () => {
    // Redis up: the budget (3 per e-mail and address) is shared by both instances.
    expect([...(await statuses(a.app, '10.9.0.1', 2)), ...(await statuses(b.app, '10.9.0.1', 1))]).toEqual([401, 401, 401])
    expect((await attempt(a.app, '10.9.0.1', TEST_ADMIN.password)).statusCode).toBe(429)

    redis.pause()
    // Before readiness has noticed (the first command times out) and after: the guesses from a
    // new address are counted on the instance, so the 4th is refused, not let through.
    expect(await statuses(a.app, '10.9.0.2', 4)).toEqual([401, 401, 401, 429])
    const refused = await attempt(a.app, '10.9.0.2', TEST_ADMIN.password)
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({ code: 'AUTH.TOO_MANY_ATTEMPTS', limit: 'email_ip' })
    await eventually('instance b to report Redis down', async () => (await ready(b.app)).degraded?.includes('redis') === true)
    // Each instance counts alone: b has its own budget for that address; elsewhere the admin signs in.
    expect(await statuses(b.app, '10.9.0.2', 4)).toEqual([401, 401, 401, 429])
    expect((await attempt(b.app, '10.9.0.3', TEST_ADMIN.password)).statusCode).toBe(200)
    // The fall-back is logged once per instance, not once per attempt.
    expect(a.logs.lines.filter((line) => line.msg === THROTTLE_DOWN)).toHaveLength(1)

    redis.resume()
    await eventually('instance a to report Redis up', async () => (await ready(a.app)).degraded?.length === 0)
    await sleep(REDIS_BACK_OFF_MS) // a leaves Redis alone this long after its command timed out
    // Back in Redis: the counts kept there before the stall still hold, and are shared again.
    expect((await attempt(b.app, '10.9.0.1', TEST_ADMIN.password)).statusCode).toBe(429)
    expect([...(await statuses(a.app, '10.9.0.4', 2)), ...(await statuses(b.app, '10.9.0.4', 1))]).toEqual([401, 401, 401])
    expect((await attempt(a.app, '10.9.0.4', TEST_ADMIN.password)).statusCode).toBe(429)
    expect(a.logs.lines.some((line) => line.msg === 'failed sign-ins are counted in Redis again')).toBe(true)
  }, 60_000)
})
