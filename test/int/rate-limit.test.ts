import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, sharedJwtSecret, tokenFor } from '../support/auth.js'
import { createTestDatabase, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'

describe.skipIf(skipWithoutServers)('rate limits shared by two instances through Redis', () => {
  let database: TestDatabase
  let a: FastifyInstance
  let b: FastifyInstance

  beforeAll(async () => {
    database = await createTestDatabase('rate_limit')
    const env = {
      MONGODB_URI: database.uri,
      REDIS_URI: redisUri ?? '',
      REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
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

  it('limits login attempts per e-mail and per client IP, across instances', async () => {
    const attempt = (app: FastifyInstance, email: string, ip: string, password = 'a-guess') =>
      app.inject({ method: 'POST', url: '/api/auth/token', payload: { email, password }, remoteAddress: ip })

    // One e-mail guessed from four addresses: the 4th attempt is refused.
    const perEmail = [
      await attempt(a, 'target@test.local', '10.0.1.1'),
      await attempt(b, 'target@test.local', '10.0.1.2'),
      await attempt(a, 'target@test.local', '10.0.1.3'),
      await attempt(b, 'target@test.local', '10.0.1.4'),
    ]
    expect(perEmail.map((r) => r.statusCode)).toEqual([401, 401, 401, 429])
    const limited = perEmail[3]
    expect(limited?.json()).toMatchObject({ status: 429, code: 'AUTH.TOO_MANY_ATTEMPTS' })
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0)

    // One address trying four e-mails: the 4th attempt is refused, even with a right password.
    const perIp = [
      await attempt(a, 'one@test.local', '10.0.2.1'),
      await attempt(b, 'two@test.local', '10.0.2.1'),
      await attempt(a, 'three@test.local', '10.0.2.1'),
      await attempt(b, TEST_ADMIN.email, '10.0.2.1', TEST_ADMIN.password),
    ]
    expect(perIp.map((r) => r.statusCode)).toEqual([401, 401, 401, 429])

    // Other e-mails from other addresses are unaffected.
    expect((await attempt(a, TEST_ADMIN.email, '10.0.3.1', TEST_ADMIN.password)).statusCode).toBe(200)
  })
})
