import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'

describe('input hardening', () => {
  let app: FastifyInstance
  let admin: string
  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    admin = await tokenFor(app, 'admin', TEST_ADMIN.email)
  })
  afterAll(async () => {
    await app.close()
  })

  it.each([
    [{ email: { $gt: '' }, password: { $gt: '' } }],
    [{ email: TEST_ADMIN.email, password: { $ne: 'x' } }],
    [{ email: TEST_ADMIN.email, password: TEST_ADMIN.password, $where: 'return true' }],
    [{ email: TEST_ADMIN.email, password: TEST_ADMIN.password, 'a.b': 1 }],
    [{ email: [TEST_ADMIN.email], password: TEST_ADMIN.password }],
  ])('login with %o is a 400 and never authenticates', async (payload) => {
    const response = await app.inject({ method: 'POST', url: '/api/auth/token', payload })
    expect(response.statusCode).toBe(400)
    expect(response.json<{ code: string }>().code).toMatch(/^REQUEST\.(FORBIDDEN_KEY|VALIDATION)$/)
    expect(response.body).not.toContain('access_token')
  })

  it('names each operator-like key, however deep', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(admin),
      payload: {
        email: 'x@test.local',
        name: { $ne: null },
        password: 'a-long-password',
        role: 'admin',
        meta: { 'a.b': { $where: 1 } },
      },
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({
      code: 'REQUEST.FORBIDDEN_KEY',
      errors: [
        { path: 'body/name/$ne', message: 'keys may not start with "$" or contain "."' },
        { path: 'body/meta/a.b', message: 'keys may not start with "$" or contain "."' },
        { path: 'body/meta/a.b/$where', message: 'keys may not start with "$" or contain "."' },
      ],
    })
    expect(await app.users.find('x@test.local')).toBeNull()
  })

  it('refuses operator-like query keys', async () => {
    const response = await app.inject({ url: '/api/users?$where=1&limit=5', headers: bearer(admin) })
    expect([response.statusCode, response.json<{ code: string }>().code]).toEqual([400, 'REQUEST.FORBIDDEN_KEY'])
  })

  it('refuses text no store keeps as given (U+0000, an unpaired surrogate) in bodies and query strings, naming each place', async () => {
    const body = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(admin),
      payload: { email: 'text@test.local', name: 'A\u0000B', password: 'a-long-password\udc00', role: 'auditor', ['k\u0000']: 1 },
    })
    expect(body.statusCode).toBe(400)
    expect(body.json()).toMatchObject({
      code: 'REQUEST.INVALID_TEXT',
      errors: [
        { path: 'body/name', message: 'holds U+0000 or an unpaired UTF-16 surrogate' },
        { path: 'body/password', message: 'holds U+0000 or an unpaired UTF-16 surrogate' },
        { path: 'body/k\u0000', message: 'its key holds U+0000 or an unpaired UTF-16 surrogate' },
      ],
    })
    expect(await app.users.find('text@test.local')).toBeNull()
    const query = await app.inject({ url: '/api/orders?customer=a%00b', headers: bearer(admin) })
    expect([query.statusCode, query.json<{ errors: unknown }>().errors]).toEqual([
      400,
      [{ path: 'querystring/customer', message: 'holds U+0000 or an unpaired UTF-16 surrogate' }],
    ])
    // A surrogate pair (an emoji) is text like any other.
    const emoji = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(admin),
      payload: { email: 'emoji@test.local', name: 'Émoji 🚀', password: 'a-long-password', role: 'auditor' },
    })
    expect([emoji.statusCode, emoji.json<{ name: string }>().name]).toEqual([201, 'Émoji 🚀'])
  })

  it.each(['', '   ', '\u00a0\u3000', '\t\n'])('refuses a name that is blank (%j), with the rule in words', async (name) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/skus',
      headers: bearer(admin),
      payload: { sku: 'BLANK-1', name, unit_price: 100, currency: 'INR', tax_rate_bp: 0 },
    })
    expect(response.statusCode).toBe(400)
    expect(response.json<{ errors: { path: string; message: string }[] }>().errors).toEqual([
      { path: 'body/name', message: 'must not be empty or only spaces' },
    ])
  })

  it('sets helmet headers and leaves CORS off unless configured', async () => {
    const response = await app.inject({ url: '/health', headers: { origin: 'https://evil.example' } })
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['content-security-policy']).toContain("default-src 'self'")
    expect(response.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('answers CORS for the configured origins only', async () => {
    const { app: corsApp } = await buildTestApp({ env: { CORS_ORIGINS: 'https://dashboard.example' } })
    try {
      const allowed = await corsApp.inject({ url: '/health', headers: { origin: 'https://dashboard.example' } })
      expect(allowed.headers['access-control-allow-origin']).toBe('https://dashboard.example')
      const other = await corsApp.inject({ url: '/health', headers: { origin: 'https://evil.example' } })
      expect(other.headers['access-control-allow-origin']).toBeUndefined()
    } finally {
      await corsApp.close()
    }
  })

  it('refuses unknown fields, and an admin may not lock itself out', async () => {
    const extra = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(admin),
      payload: { email: 'y@test.local', name: 'Y', password: 'a-long-password', role: 'admin', is_root: true },
    })
    expect(extra.statusCode).toBe(400)
    expect(extra.json<{ errors: unknown[] }>().errors).toEqual([{ path: 'body/is_root', message: 'is not an allowed field' }])
    const self = await app.inject({
      method: 'PATCH',
      url: `/api/users/${TEST_ADMIN.email}`,
      headers: bearer(admin),
      payload: { disabled: true },
    })
    expect([self.statusCode, self.json<{ code: string }>().code]).toEqual([409, 'USER.SELF_LOCKOUT'])
  })
})
