import { generateKeyPairSync } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { SignJWT, createLocalJWKSet, importPKCS8, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>

const ISSUER = 'sales-order-service'
const AUDIENCE = 'sales-order-api'

describe('token verification (tokens crafted with jose)', () => {
  let app: FastifyInstance
  let kid: string
  let privateKey: SigningKey
  let publicPem: string

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    kid = app.keyRing.signing.kid
    privateKey = await importPKCS8(app.keyRing.signing.privateKeyPem, 'RS256')
    publicPem = app.keyRing.verification.get(kid) ?? ''
    await tokenFor(app, 'sales_rep', 'rep@test.local')
  })
  afterAll(async () => {
    await app.close()
  })

  /** A token as this service would issue it, with overridable parts. */
  function token(
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    key: SigningKey | Uint8Array = privateKey,
  ) {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ sub: TEST_ADMIN.email, role: 'admin', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, ...header })
      .sign(key)
  }
  const call = (jwt: string) => app.inject({ url: '/api/users', headers: bearer(jwt) })
  async function expect401(jwt: string, code = 'AUTH.INVALID_TOKEN') {
    const response = await call(jwt)
    expect(response.statusCode).toBe(401)
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(response.headers['www-authenticate']).toBe('Bearer realm="sales-orders"')
    expect(response.json<{ code: string }>().code).toBe(code)
  }

  it('accepts a well-formed RS256 token', async () => {
    expect((await call(await token())).statusCode).toBe(200)
  })

  it('refuses a missing token and a malformed Authorization header', async () => {
    const none = await app.inject({ url: '/api/users' })
    expect([none.statusCode, none.json<{ code: string }>().code]).toEqual([401, 'AUTH.TOKEN_REQUIRED'])
    const basic = await app.inject({ url: '/api/users', headers: { authorization: 'Basic YTpi' } })
    expect(basic.statusCode).toBe(401)
    await expect401('not.a.jwt')
  })

  it('refuses HS256 and HS512 tokens, including HS256 signed with the public key', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-that-is-long-enough-for-hmac-256')
    await expect401(await token({}, { alg: 'HS256' }, secret))
    await expect401(await token({}, { alg: 'HS512' }, new TextEncoder().encode('x'.repeat(64))))
    await expect401(await token({}, { alg: 'HS256' }, new TextEncoder().encode(publicPem)))
  })

  it('refuses alg "none"', async () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    const payload = { sub: TEST_ADMIN.email, role: 'admin', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300 }
    await expect401(`${part({ alg: 'none', kid })}.${part(payload)}.`)
    await expect401(`${part({ alg: 'none' })}.${part(payload)}.`, 'AUTH.UNKNOWN_KEY')
  })

  it('refuses expired and not-yet-valid tokens', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expect401(await token({ iat: now - 3600, exp: now - 60 }), 'AUTH.TOKEN_EXPIRED')
    await expect401(await token({ nbf: now + 3600 }))
  })

  it('refuses a wrong issuer or audience', async () => {
    await expect401(await token({ iss: 'someone-else' }))
    await expect401(await token({ aud: 'another-api' }))
  })

  it('refuses an unknown kid, and a known kid on a token signed by another key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const otherKey = await importPKCS8(other.export({ format: 'pem', type: 'pkcs8' }).toString(), 'RS256')
    await expect401(await token({}, { kid: 'not-our-key' }, otherKey), 'AUTH.UNKNOWN_KEY')
    await expect401(await token({}, {}, otherKey))
  })

  it('refuses a tampered payload', async () => {
    const rep = await token({ sub: 'rep@test.local', role: 'sales_rep' })
    const [header, , signature] = rep.split('.')
    const forged = Buffer.from(
      JSON.stringify({ sub: 'rep@test.local', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 4e9, iat: 1 }),
    ).toString('base64url')
    await expect401(`${header}.${forged}.${signature}`)
  })

  it('refuses tokens without a subject or with an unknown role, and a role that no longer matches the account', async () => {
    await expect401(await token({ sub: undefined }))
    await expect401(await token({ role: 'superuser' }))
    await expect401(await token({ sub: 'rep@test.local', role: 'admin' }), 'AUTH.STALE_TOKEN')
  })

  it('refuses the token of a disabled or unknown user', async () => {
    const email = 'leaver@test.local'
    const leaver = await tokenFor(app, 'sales_rep', email)
    expect((await app.inject({ url: '/api/users', headers: bearer(leaver) })).statusCode).toBe(403) // valid, just not allowed
    await app.users.update(email, { disabled: true })
    const response = await app.inject({ url: '/api/users', headers: bearer(leaver) })
    expect([response.statusCode, response.json<{ code: string }>().code]).toEqual([401, 'AUTH.USER_DISABLED'])
    await expect401(await token({ sub: 'nobody@test.local', role: 'admin' }), 'AUTH.USER_DISABLED')
  })

  it('issues tokens that the published JWKS verifies', async () => {
    const login = await app.inject({ method: 'POST', url: '/api/auth/token', payload: TEST_ADMIN })
    expect(login.statusCode).toBe(200)
    expect(login.headers['cache-control']).toBe('no-store')
    const body = login.json<{ access_token: string; token_type: string; expires_in: number }>()
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 })

    const jwks = await app.inject({ url: '/.well-known/jwks.json' })
    expect(jwks.statusCode).toBe(200)
    const keys = jwks.json<{ keys: { kid: string; alg: string; use: string; kty: string }[] }>()
    expect(keys.keys).toEqual([expect.objectContaining({ kid, alg: 'RS256', use: 'sig', kty: 'RSA' })])

    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(keys as never), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256'],
    })
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid })
    expect(payload).toMatchObject({ sub: TEST_ADMIN.email, role: 'admin' })
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600)
  })

  it('gives the same 401 for an unknown e-mail and a wrong password', async () => {
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/auth/token',
      payload: { email: 'ghost@test.local', password: 'whatever-it-is' },
    })
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/auth/token',
      payload: { email: TEST_ADMIN.email, password: 'wrong-password-here' },
    })
    expect(unknown.statusCode).toBe(401)
    expect(wrong.statusCode).toBe(401)
    const strip = (body: Record<string, unknown>) => ({ ...body, instance: undefined })
    expect(strip(unknown.json())).toEqual(strip(wrong.json()))
    expect(unknown.json<{ code: string }>().code).toBe('AUTH.INVALID_CREDENTIALS')
  })
})
