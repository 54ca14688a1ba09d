import { generateKeyPairSync } from 'node:crypto'
import { SignJWT, importPKCS8 } from 'jose'
import { describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'

describe('API rate limit (in-process store)', () => {
  it('keys anonymous callers by client IP and ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    const { app } = await buildTestApp({ env: { API_RATE_LIMIT: '2/1m' } })
    try {
      const call = (forwardedFor: string) => app.inject({ url: '/api/users', headers: { 'x-forwarded-for': forwardedFor } })
      expect([
        (await call('1.1.1.1')).statusCode,
        (await call('2.2.2.2')).statusCode,
        (await call('3.3.3.3')).statusCode,
      ]).toEqual([401, 401, 429])
    } finally {
      await app.close()
    }
    const { app: behindProxy } = await buildTestApp({ env: { API_RATE_LIMIT: '2/1m', TRUST_PROXY: 'true' } })
    try {
      const call = (forwardedFor: string) =>
        behindProxy.inject({ url: '/api/users', headers: { 'x-forwarded-for': forwardedFor } })
      expect([
        (await call('1.1.1.1')).statusCode,
        (await call('2.2.2.2')).statusCode,
        (await call('3.3.3.3')).statusCode,
      ]).toEqual([401, 401, 401])
    } finally {
      await behindProxy.close()
    }
  })

  it('keys authenticated callers by user, and leaves health checks alone', async () => {
    const { app } = await buildTestApp({ env: { API_RATE_LIMIT: '2/1m' } })
    try {
      const admin = await tokenFor(app, 'admin', TEST_ADMIN.email)
      const auditor = await tokenFor(app, 'auditor')
      const statuses = [
        (await app.inject({ url: '/api/users', headers: bearer(admin) })).statusCode,
        (await app.inject({ url: '/api/users', headers: bearer(admin) })).statusCode,
        (await app.inject({ url: '/api/users', headers: bearer(auditor) })).statusCode,
        (await app.inject({ url: '/api/users', headers: bearer(admin) })).statusCode,
      ]
      expect(statuses).toEqual([200, 200, 403, 429])
      for (let i = 0; i < 5; i++) expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })
})

describe('login throttle (in-process counters)', () => {
  it('holds one IP to 5 × LOGIN_RATE_LIMIT failures across e-mails, and one account to 20 × across IPs', async () => {
    const { app } = await buildTestApp({ env: { LOGIN_RATE_LIMIT: '1/1m', API_RATE_LIMIT: '1000/1m' } })
    try {
      const attempt = (email: string, ip: string, password = 'a-wrong-guess') =>
        app.inject({ method: 'POST', url: '/api/auth/token', payload: { email, password }, remoteAddress: ip })
      for (let i = 0; i < 5; i++) expect((await attempt(`u${i}@test.local`, '10.9.0.1')).statusCode).toBe(401)
      const perIp = await attempt(TEST_ADMIN.email, '10.9.0.1', TEST_ADMIN.password)
      expect([perIp.statusCode, perIp.json<{ limit: string }>().limit, perIp.headers['ratelimit-limit']]).toEqual([
        429,
        'ip',
        '5',
      ])

      // 20 failures for one account from 20 addresses (1 each, within their pair limit): the account is held.
      for (let ip = 0; ip < 20; ip++) {
        expect((await attempt('target@test.local', `10.8.0.${ip}`)).statusCode).toBe(401)
      }
      const perAccount = await attempt('target@test.local', '10.7.0.1')
      expect([perAccount.statusCode, perAccount.json<{ limit: string }>().limit]).toEqual([429, 'email'])
    } finally {
      await app.close()
    }
  })
})

describe('key rotation', () => {
  it('accepts tokens of the previous key listed in JWT_PUBLIC_KEY, and publishes both keys', async () => {
    const pem = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) =>
      key.export({ format: 'pem', type: 'pkcs8' }).toString()
    const previous = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const current = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const { app: old } = await buildTestApp({ env: { JWT_SECRET: pem(previous.privateKey) } })
    const oldToken = await tokenFor(old, 'admin', TEST_ADMIN.email)
    const oldKid = old.keyRing.signing.kid
    await old.close()

    const { app } = await buildTestApp({
      env: {
        JWT_SECRET: pem(current.privateKey),
        JWT_PUBLIC_KEY: previous.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      },
    })
    try {
      expect(app.keyRing.signing.kid).not.toBe(oldKid)
      const jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: { kid: string }[] }>()
      expect(jwks.keys.map((k) => k.kid)).toEqual([app.keyRing.signing.kid, oldKid])
      expect((await app.inject({ url: '/api/users', headers: bearer(oldToken) })).statusCode).toBe(200)
      // New tokens are signed with the current key only.
      const fresh = await tokenFor(app, 'admin', TEST_ADMIN.email)
      expect(JSON.parse(Buffer.from(fresh.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({
        kid: app.keyRing.signing.kid,
      })
      // A token claiming the old kid but signed with another key is still refused.
      const forged = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'RS256', kid: oldKid })
        .setSubject(TEST_ADMIN.email)
        .setIssuer('sales-order-service')
        .setAudience('sales-order-api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(await importPKCS8(pem(current.privateKey), 'RS256'))
      expect((await app.inject({ url: '/api/users', headers: bearer(forged) })).statusCode).toBe(401)
    } finally {
      await app.close()
    }
  })

  it('refuses to start with a key that is not RSA or too short', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    await expect(buildTestApp({ env: { JWT_SECRET: ec } })).rejects.toThrow(
      'Invalid configuration: JWT_SECRET must be an RSA key',
    )
    await expect(buildTestApp({ env: { JWT_SECRET: '/no/such/file.pem' } })).rejects.toThrow(
      'JWT_SECRET must be PEM text or the path of a PEM file',
    )
  })
})
