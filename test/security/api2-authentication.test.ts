import { generateKeyPairSync } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { SignJWT, importPKCS8 } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { bearer } from '../support/auth.js'
import { BEARER_CHALLENGE, type Call, type Caller, PASSWORD, USERS, callers, expectProblem, send } from './support.js'

/**
 * API2:2023 Broken Authentication. RS256 bearer tokens only, checked on every request
 * (signature by `kid`, algorithm, issuer, audience, expiry, claims, and the account behind
 * them); tokens issued before a password, role or access change stop working; passwords
 * cannot be guessed at speed.
 */

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>

const ISSUER = 'sales-order-service'
const AUDIENCE = 'sales-order-api'
/** Every token case is this request with the case's Authorization header. */
const LIST_ORDERS: Call = { method: 'GET', url: '/api/orders' }

const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString()

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
const login = (app: FastifyInstance, email: string, password: string, headers: Record<string, string> = {}) =>
  send(app, { method: 'POST', url: '/api/auth/token', headers, payload: { email, password } })

describe('API2 broken authentication', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>
  let kid: string
  let ourKey: SigningKey
  let ourKeyAsRs384: SigningKey
  let foreignKey: SigningKey
  let publicPem: string

  beforeAll(async () => {
    // Login throttling has its own cases (below, on apps of their own); here it must not interfere.
    ;({ app } = await buildTestApp({ env: { LOGIN_RATE_LIMIT: '1000/1m' } }))
    as = await callers(app)
    kid = app.keyRing.signing.kid
    ourKey = await importPKCS8(app.keyRing.signing.privateKeyPem, 'RS256')
    ourKeyAsRs384 = await importPKCS8(app.keyRing.signing.privateKeyPem, 'RS384')
    foreignKey = await importPKCS8(otherKey, 'RS256')
    publicPem = app.keyRing.verification.get(kid) ?? ''
  })
  afterAll(async () => {
    await app.close()
  })

  /** A token shaped like this service's, for rep A, with overridable claims, header and key. */
  function forge(
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    key: SigningKey | Uint8Array = ourKey,
  ) {
    const now = Math.floor(Date.now() / 1000)
    const payload = { sub: USERS.repA.email, role: 'sales_rep', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...claims }
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, ...header }).sign(key)
  }
  const secret = (text: string) => new TextEncoder().encode(text)
  const now = () => Math.floor(Date.now() / 1000)

  describe('GET /api/orders with a bad or missing token → 401 with the Bearer challenge', () => {
    /** GET /api/orders with `Authorization: Bearer <token>`. */
    const withToken = (token: string): Call => ({ ...LIST_ORDERS, headers: bearer(token) })
    const withHeader = (authorization: string): Call => ({ ...LIST_ORDERS, headers: { authorization } })
    const unsigned = (header: object) =>
      `${part(header)}.${part({ sub: USERS.repA.email, role: 'sales_rep', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 300 })}.`

    it.each<[string, string, () => Promise<Call> | Call]>([
      ['no Authorization header', 'AUTH.TOKEN_REQUIRED', () => LIST_ORDERS],
      [
        'a genuine token in the query string instead (?access_token=)',
        'AUTH.TOKEN_REQUIRED',
        () => ({ method: 'GET', url: `/api/orders?access_token=${(as.repA.authorization ?? '').replace(/^Bearer /, '')}` }),
      ],
      ['Authorization: Basic cmVwOnB3', 'AUTH.INVALID_TOKEN', () => withHeader('Basic cmVwOnB3')],
      ['Authorization: Bearer (no token)', 'AUTH.INVALID_TOKEN', () => withHeader('Bearer')],
      ['Authorization: Bearer a b', 'AUTH.INVALID_TOKEN', () => withHeader('Bearer a b')],
      ['Authorization: Bearer not.a.jwt', 'AUTH.INVALID_TOKEN', () => withHeader('Bearer not.a.jwt')],
      [
        'HS256 signed with a shared secret',
        'AUTH.INVALID_TOKEN',
        async () => withToken(await forge({}, { alg: 'HS256' }, secret('a-shared-secret-that-is-long-enough-for-hmac-256'))),
      ],
      [
        'HS256 "signed" with the service’s public key (key confusion)',
        'AUTH.INVALID_TOKEN',
        async () => withToken(await forge({}, { alg: 'HS256' }, secret(publicPem))),
      ],
      ['HS512', 'AUTH.INVALID_TOKEN', async () => withToken(await forge({}, { alg: 'HS512' }, secret('x'.repeat(64))))],
      [
        'RS384 signed with the service’s own key',
        'AUTH.INVALID_TOKEN',
        async () => withToken(await forge({}, { alg: 'RS384' }, ourKeyAsRs384)),
      ],
      ['alg "none" with our kid', 'AUTH.INVALID_TOKEN', () => withToken(unsigned({ alg: 'none', kid }))],
      ['alg "none" without a kid', 'AUTH.UNKNOWN_KEY', () => withToken(unsigned({ alg: 'none' }))],
      ['expired a minute ago', 'AUTH.TOKEN_EXPIRED', async () => withToken(await forge({ iat: now() - 3600, exp: now() - 60 }))],
      ['not valid for another hour (nbf)', 'AUTH.INVALID_TOKEN', async () => withToken(await forge({ nbf: now() + 3600 }))],
      ['issued by someone else (iss)', 'AUTH.INVALID_TOKEN', async () => withToken(await forge({ iss: 'someone-else' }))],
      ['meant for another API (aud)', 'AUTH.INVALID_TOKEN', async () => withToken(await forge({ aud: 'another-api' }))],
      ['without an expiry', 'AUTH.INVALID_TOKEN', async () => withToken(await forge({ exp: undefined }))],
      ['without a subject', 'AUTH.INVALID_TOKEN', async () => withToken(await forge({ sub: undefined }))],
      ['with an unknown role', 'AUTH.INVALID_TOKEN', async () => withToken(await forge({ role: 'superuser' }))],
      [
        'signed by a foreign key under an unknown kid',
        'AUTH.UNKNOWN_KEY',
        async () => withToken(await forge({}, { kid: 'not-our-key' }, foreignKey)),
      ],
      ['signed by a foreign key under our kid', 'AUTH.INVALID_TOKEN', async () => withToken(await forge({}, {}, foreignKey))],
      [
        'rep A’s token with its payload changed to role admin',
        'AUTH.INVALID_TOKEN',
        async () => {
          const [header, , signature] = (await forge()).split('.')
          const payload = part({ sub: USERS.repA.email, role: 'admin', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 300 })
          return withToken(`${header}.${payload}.${signature}`)
        },
      ],
      [
        'validly signed, for an account that does not exist',
        'AUTH.USER_DISABLED',
        async () => withToken(await forge({ sub: 'ghost@corp.example' })),
      ],
    ])('%s → 401 %s', async (_name, code, request) => {
      const response = await send(app, await request())
      expectProblem(response, 401, code)
      expect(response.headers['www-authenticate']).toBe(BEARER_CHALLENGE)
    })

    it('control: rep A’s genuine token → 200', async () => {
      expect((await send(app, LIST_ORDERS, as.repA)).statusCode).toBe(200)
    })
  })

  describe('POST /api/auth/token', () => {
    it('a wrong password → 401 AUTH.INVALID_CREDENTIALS, no token', async () => {
      const response = await login(app, USERS.repA.email, 'not-the-password-1')
      expectProblem(response, 401, 'AUTH.INVALID_CREDENTIALS')
      expect(response.body).not.toContain('access_token')
    })

    it('an unknown e-mail → 401 AUTH.INVALID_CREDENTIALS, the same problem as a wrong password', async () => {
      const unknown = await login(app, 'nobody@corp.example', 'not-the-password-1')
      const wrong = await login(app, USERS.repA.email, 'not-the-password-1')
      const strip = (problem: object) => ({ ...problem, instance: undefined })
      expect(strip(expectProblem(unknown, 401, 'AUTH.INVALID_CREDENTIALS'))).toEqual(strip(wrong.json()))
    })

    it('a disabled user’s correct password → 401 AUTH.INVALID_CREDENTIALS; its earlier token → 401 AUTH.USER_DISABLED', async () => {
      const email = 'leaver@corp.example'
      await app.users.create({ email, name: 'Leaver', password: PASSWORD, role: 'sales_rep' })
      const token = (await login(app, email, PASSWORD)).json<{ access_token: string }>().access_token
      const disable = await send(app, { method: 'PATCH', url: `/api/users/${email}`, payload: { disabled: true } }, as.admin)
      expect(disable.statusCode, disable.body).toBe(200)
      expectProblem(await login(app, email, PASSWORD), 401, 'AUTH.INVALID_CREDENTIALS')
      const refused = await send(app, LIST_ORDERS, bearer(token))
      expectProblem(refused, 401, 'AUTH.USER_DISABLED')
      expect(refused.headers['www-authenticate']).toBe(BEARER_CHALLENGE)
    })

    it('the token response is never cached (Cache-Control: no-store)', async () => {
      const response = await login(app, USERS.repA.email, PASSWORD)
      expect([response.statusCode, response.headers['cache-control']]).toEqual([200, 'no-store'])
    })
  })

  describe('account changes end earlier sessions', () => {
    /** A sales rep of its own for each case, and a token from a real login. */
    async function signedIn(email: string): Promise<string> {
      await app.users.create({ email, name: 'Session', password: PASSWORD, role: 'sales_rep' })
      const response = await login(app, email, PASSWORD)
      expect(response.statusCode, response.body).toBe(200)
      const token = response.json<{ access_token: string }>().access_token
      expect((await send(app, LIST_ORDERS, bearer(token))).statusCode).toBe(200)
      return token
    }
    const patch = async (email: string, payload: object) => {
      const response = await send(app, { method: 'PATCH', url: `/api/users/${email}`, payload }, as.admin)
      expect(response.statusCode, response.body).toBe(200)
    }
    const expectRevoked = async (token: string) => {
      const response = await send(app, LIST_ORDERS, bearer(token))
      expectProblem(response, 401, 'AUTH.TOKEN_REVOKED')
      expect(response.headers['www-authenticate']).toBe(BEARER_CHALLENGE)
    }

    it('PATCH {"password": …}: the earlier token → 401 AUTH.TOKEN_REVOKED; a token issued after → 200', async () => {
      const email = 'password-change@corp.example'
      const before = await signedIn(email)
      await patch(email, { password: 'a-brand-new-password' })
      await expectRevoked(before)
      expectProblem(await login(app, email, PASSWORD), 401, 'AUTH.INVALID_CREDENTIALS')
      const after = await login(app, email, 'a-brand-new-password')
      expect(after.statusCode, after.body).toBe(200)
      expect((await send(app, LIST_ORDERS, bearer(after.json<{ access_token: string }>().access_token))).statusCode).toBe(200)
    })

    it('PATCH {"disabled": true} then {"disabled": false}: the earlier token → 401 AUTH.TOKEN_REVOKED; a token issued after → 200', async () => {
      const email = 'disable-enable@corp.example'
      const before = await signedIn(email)
      await patch(email, { disabled: true })
      expectProblem(await send(app, LIST_ORDERS, bearer(before)), 401, 'AUTH.USER_DISABLED')
      await patch(email, { disabled: false })
      await expectRevoked(before)
      const after = await login(app, email, PASSWORD)
      expect(after.statusCode, after.body).toBe(200)
      expect((await send(app, LIST_ORDERS, bearer(after.json<{ access_token: string }>().access_token))).statusCode).toBe(200)
    })

    it('PATCH {"role": "auditor"} on a sales rep: the earlier token → 401 AUTH.TOKEN_REVOKED; a token issued after → 200', async () => {
      const email = 'role-change@corp.example'
      const before = await signedIn(email)
      await patch(email, { role: 'auditor' })
      await expectRevoked(before)
      const after = await login(app, email, PASSWORD)
      expect(after.statusCode, after.body).toBe(200)
      const token = after.json<{ access_token: string }>().access_token
      expect((await send(app, LIST_ORDERS, bearer(token))).statusCode).toBe(200)
      // The new token carries the new role: an auditor may read reports, which a sales rep may not.
      const report = await send(
        app,
        { method: 'GET', url: '/api/reports/summaries?from=2026-01-01&to=2026-02-01' },
        bearer(token),
      )
      expect(report.statusCode, report.body).toBe(200)
    })
  })
})

describe('API2 login throttling: failures per (e-mail, client IP)', () => {
  const EMAIL = 'target@corp.example'
  const WRONG = 'not-the-password-1'

  /** An app behind a trusted proxy (clients told apart by X-Forwarded-For) with the default 10 failures a minute. */
  async function withApp(env: Record<string, string>, run: (app: FastifyInstance) => Promise<void>) {
    const { app } = await buildTestApp({ env: { LOGIN_RATE_LIMIT: '10/1m', ...env } })
    try {
      await app.users.create({ email: EMAIL, name: 'Target', password: PASSWORD, role: 'sales_rep' })
      await run(app)
    } finally {
      await app.close()
    }
  }
  const from = (ip: string) => ({ 'x-forwarded-for': ip })

  it('TRUST_PROXY=true: 10 wrong passwords from 203.0.113.1 → 401 each; the right one from 203.0.113.2 → 200; an 11th from 203.0.113.1, even right → 429 AUTH.TOO_MANY_ATTEMPTS with Retry-After', async () => {
    await withApp({ TRUST_PROXY: 'true' }, async (app) => {
      for (let i = 1; i <= 10; i++) {
        expectProblem(await login(app, EMAIL, WRONG, from('203.0.113.1')), 401, 'AUTH.INVALID_CREDENTIALS')
      }
      const elsewhere = await login(app, EMAIL, PASSWORD, from('203.0.113.2'))
      expect(elsewhere.statusCode, elsewhere.body).toBe(200)
      const blocked = await login(app, EMAIL, PASSWORD, from('203.0.113.1'))
      expectProblem(blocked, 429, 'AUTH.TOO_MANY_ATTEMPTS')
      expect(blocked.body).not.toContain('access_token')
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    })
  })

  it('TRUST_PROXY=true: 9 failures, a success, 9 more failures from 203.0.113.1 → still 401, never 429 (a success resets the pair)', async () => {
    await withApp({ TRUST_PROXY: 'true' }, async (app) => {
      for (let i = 1; i <= 9; i++) {
        expectProblem(await login(app, EMAIL, WRONG, from('203.0.113.1')), 401, 'AUTH.INVALID_CREDENTIALS')
      }
      const success = await login(app, EMAIL, PASSWORD, from('203.0.113.1'))
      expect(success.statusCode, success.body).toBe(200)
      for (let i = 1; i <= 9; i++) {
        expectProblem(await login(app, EMAIL, WRONG, from('203.0.113.1')), 401, 'AUTH.INVALID_CREDENTIALS')
      }
    })
  })

  it('without TRUST_PROXY, X-Forwarded-For is ignored: after 10 failures "from 203.0.113.1", the right password "from 203.0.113.2" → 429 AUTH.TOO_MANY_ATTEMPTS', async () => {
    await withApp({}, async (app) => {
      for (let i = 1; i <= 10; i++) {
        expectProblem(await login(app, EMAIL, WRONG, from('203.0.113.1')), 401, 'AUTH.INVALID_CREDENTIALS')
      }
      const spoofed = await login(app, EMAIL, PASSWORD, from('203.0.113.2'))
      expectProblem(spoofed, 429, 'AUTH.TOO_MANY_ATTEMPTS')
      expect(Number(spoofed.headers['retry-after'])).toBeGreaterThan(0)
    })
  })
})
