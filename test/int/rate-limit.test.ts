import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, sharedJwtSecret, tokenFor } from '../support/auth.js'
import { createTestDatabase, redisNamespace, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'

describe.skipIf(skipWithoutServers)('rate limits shared by two instances through Redis', () => {
  let database: TestDatabase
  let a: FastifyInstance
  let b: FastifyInstance

  beforeAll(async () => {
    database = await createTestDatabase('rate_limit')
    const env = {
      MONGODB_URI: database.uri,
      REDIS_URI: redisUri ?? '',
      ...redisNamespace('rate_limit'),
      API_RATE_LIMIT: '6/1m',
      LOGIN_RATE_LIMIT: '3/1m',
      JWT_SECRET: sharedJwtSecret(), // instances accept each other's tokens only with one key
    }
    ;({ app: a } = await buildTestApp({ env: { ...env, INSTANCE_ID: 'a' } }))
    ;({ app: b } = await buildTestApp({ env: { ...env, INSTANCE_ID: 'b' } }))
  })
  afterAll(async () => {
    await Promise.all([a.close(), b.close()])
    await database.drop()
  })

  it('counts one user’s requests on both instances; the 7th gets a 429 problem with Retry-After', async () => {
    const token = await tokenFor(a, 'admin', TEST_ADMIN.email)
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      const response = await (i % 2 === 0 ? a : b).inject({ url: '/api/users', headers: bearer(token) })
      statuses.push(response.statusCode)
      expect(response.headers['ratelimit-remaining']).toBe(String(5 - i))
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])

    const limited = await b.inject({ url: '/api/users', headers: bearer(token) })
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.headers['ratelimit-limit']).toBe('6')
    expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' })

    // Another user (and anonymous callers) have their own budgets.
    const other = await tokenFor(a, 'auditor')
    expect((await a.inject({ url: '/api/users', headers: bearer(other) })).statusCode).toBe(403)
  })

  it('limits failed logins per (e-mail, IP) across instances, without locking others out', async () => {
    const attempt = (app: FastifyInstance, email: string, ip: string, password = 'a-wrong-guess') =>
      app.inject({ method: 'POST', url: '/api/auth/token', payload: { email, password }, remoteAddress: ip })
    const statuses = async (attempts: Promise<{ statusCode: number }>[]) => (await Promise.all(attempts)).map((r) => r.statusCode)

    // Three failures for the admin from one address (LOGIN_RATE_LIMIT 3/1m), on both instances: the 4th is refused...
    const guesses = []
    for (let i = 0; i < 3; i++) guesses.push(await attempt(i % 2 === 0 ? a : b, TEST_ADMIN.email, '10.0.1.1'))
    expect(guesses.map((r) => r.statusCode)).toEqual([401, 401, 401])
    const limited = await attempt(b, TEST_ADMIN.email, '10.0.1.1', TEST_ADMIN.password)
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toMatchObject({ status: 429, code: 'AUTH.TOO_MANY_ATTEMPTS', limit: 'email_ip' })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect([limited.headers['ratelimit-limit'], limited.headers['ratelimit-remaining']]).toEqual(['3', '0'])
    // ...but the admin signing in from another address is not locked out.
    expect((await attempt(a, TEST_ADMIN.email, '10.0.1.2', TEST_ADMIN.password)).statusCode).toBe(200)

    // A success resets its pair: two failures, a success, two failures are all answered.
    const sequence = [
      attempt(a, TEST_ADMIN.email, '10.0.4.1'),
      attempt(b, TEST_ADMIN.email, '10.0.4.1'),
      attempt(a, TEST_ADMIN.email, '10.0.4.1', TEST_ADMIN.password),
    ]
    expect(await statuses(sequence)).toEqual([401, 401, 200])
    expect(await statuses([attempt(b, TEST_ADMIN.email, '10.0.4.1'), attempt(a, TEST_ADMIN.email, '10.0.4.1')])).toEqual([
      401, 401,
    ])
  })
})
