import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthenticationError } from '../../src/auth/errors.js'
import { loadKeyRing } from '../../src/auth/keys.js'
import { createTokens } from '../../src/auth/tokens.js'
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.js'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0) // a whole second: exp is exactly T0 + ttl

function codeOf(attempt: () => unknown): string | undefined {
  try {
    attempt()
    return undefined
  } catch (error) {
    return error instanceof AuthenticationError ? error.code : String(error)
  }
}

describe('verified token cache', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const cache = new VerifiedTokenCache<string>(2)
    cache.set('a', 'A', 0, Infinity)
    cache.set('b', 'B', 0, Infinity)
    expect(cache.get('a', 1)).toBe('A') // a is now the most recently used
    cache.set('c', 'C', 0, Infinity)
    expect(cache.size).toBe(2)
    expect([cache.get('a', 1), cache.get('b', 1), cache.get('c', 1)]).toEqual(['A', undefined, 'C'])
  })

  it('answers only within an entry’s window (both ends included), and forgets it outside', () => {
    const cache = new VerifiedTokenCache<string>(10)
    cache.set('t', 'T', 100, 200)
    expect([cache.get('t', 100), cache.get('t', 200)]).toEqual(['T', 'T'])
    expect(cache.get('t', 201)).toBeUndefined()
    expect(cache.size).toBe(0)
    cache.set('early', 'E', 100, 200)
    expect(cache.get('early', 99)).toBeUndefined()
  })
})

describe('token verification with the cache', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('refuses a token that expired while cached, as AUTH.TOKEN_EXPIRED, from the tolerance on', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    const tokens = createTokens(loadKeyRing(undefined, undefined), { issuer: 'iss', audience: 'aud', ttlSeconds: 60 })
    const { access_token: token } = tokens.issue({ sub: 'rep@test.local', role: 'sales_rep', gen: 0 })
    const first = tokens.verify(token)
    expect(first).toEqual({ sub: 'rep@test.local', role: 'sales_rep', exp: T0 / 1000 + 60, gen: 0 })
    expect(tokens.verify(token)).toBe(first) // answered from the cache

    vi.setSystemTime(T0 + 60_000 + 5000) // exp plus the 5 s tolerance: still valid, as fast-jwt says
    expect(tokens.verify(token)).toEqual(first)
    vi.setSystemTime(T0 + 60_000 + 5001)
    expect(codeOf(() => tokens.verify(token))).toBe('AUTH.TOKEN_EXPIRED')
    expect(codeOf(() => tokens.verify(token))).toBe('AUTH.TOKEN_EXPIRED')
  })

  it('does not cache refusals: a tampered copy of a cached token is still refused', () => {
    const tokens = createTokens(loadKeyRing(undefined, undefined), { issuer: 'iss', audience: 'aud', ttlSeconds: 60 })
    const { access_token: token } = tokens.issue({ sub: 'rep@test.local', role: 'sales_rep', gen: 0 })
    tokens.verify(token)
    const [header, payload, signature = ''] = token.split('.')
    const tampered = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    expect(codeOf(() => tokens.verify(tampered))).toBe('AUTH.INVALID_TOKEN')
    expect(codeOf(() => tokens.verify(tampered))).toBe('AUTH.INVALID_TOKEN')
    expect(codeOf(() => tokens.verify(token))).toBeUndefined()
  })

  it('answers 401 AUTH.TOKEN_EXPIRED over HTTP for a token accepted before it expired', async () => {
    const { app } = await buildTestApp()
    try {
      const admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
      expect((await app.inject({ url: '/api/users', headers: admin })).statusCode).toBe(200)
      expect((await app.inject({ url: '/api/users', headers: admin })).statusCode).toBe(200)
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + app.config.jwt.ttlSeconds * 1000 + 6000)
      const response = await app.inject({ url: '/api/users', headers: admin })
      expect([response.statusCode, response.json<{ code: string }>().code]).toEqual([401, 'AUTH.TOKEN_EXPIRED'])
    } finally {
      vi.useRealTimers()
      await app.close()
    }
  })
})
