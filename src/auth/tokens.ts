import { createDecoder, createSigner, createVerifier } from 'fast-jwt'
import { ROLES, type Principal, type Role } from './abilities.js'
import { AuthenticationError } from './errors.js'
import type { KeyRing } from './keys.js'
import { VerifiedTokenCache } from './verified-token-cache.js'

export interface IssuedToken {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
}

/** What a token says, once its signature and claims are checked. */
export interface TokenClaims extends Principal {
  /** Expiry, epoch seconds. */
  exp: number
  /** The user's token generation when it was issued (0 when the token has none). */
  gen: number
}

export interface TokenSettings {
  issuer: string
  audience: string
  ttlSeconds: number
}

export interface Tokens {
  issue(principal: Principal & { gen: number }): IssuedToken
  /** Checks signature (key by `kid`, RS256 only), issuer, audience, expiry and claims; throws `AuthenticationError`. */
  verify(token: string): TokenClaims
}

/** Verified tokens remembered (fast-jwt's default cache size). */
const VERIFIED_CACHE_SIZE = 1000
/** Clock skew allowed on `exp` and `nbf`. */
const CLOCK_TOLERANCE_MS = 5000
/** How long fast-jwt trusts a verification it cached (its default `cacheTTL`). */
const VERIFIED_TTL_MS = 600_000

/**
 * RS256 tokens with fast-jwt (the engine of @fastify/jwt), signing and verifying with one
 * library: the key is chosen by `kid` among the trusted keys, the algorithm is fixed and
 * never taken from the token, and one verifier per key is built once (with its cache).
 * A token seen and accepted before is answered from a cache keyed by its text, before
 * anything is decoded, within the window fast-jwt's own cache would trust it: until
 * `exp` (plus the clock tolerance), at most 10 minutes, not before `nbf`. Refusals are
 * not cached there; they always go through the verifier (which may cache them as before).
 */
export function createTokens(keyRing: KeyRing, settings: TokenSettings): Tokens {
  const sign = createSigner({
    key: keyRing.signing.privateKeyPem,
    algorithm: 'RS256',
    kid: keyRing.signing.kid,
    iss: settings.issuer,
    aud: settings.audience,
    expiresIn: settings.ttlSeconds * 1000, // fast-jwt counts milliseconds
  })
  const decodeHeader = createDecoder({ complete: true })
  const verifiers = new Map(
    [...keyRing.verification].map(([kid, key]) => [
      kid,
      createVerifier({
        key,
        algorithms: ['RS256'],
        allowedIss: settings.issuer,
        allowedAud: settings.audience,
        requiredClaims: ['sub', 'role', 'iat', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_MS,
        cache: true,
      }),
    ]),
  )
  const verified = new VerifiedTokenCache<TokenClaims>(VERIFIED_CACHE_SIZE)

  return {
    issue: ({ sub, role, gen }) => ({
      access_token: sign({ sub, role, gen }),
      token_type: 'Bearer',
      expires_in: settings.ttlSeconds,
    }),
    verify(token) {
      const now = Date.now()
      const cached = verified.get(token, now)
      if (cached) return cached
      let payload: { sub?: unknown; role?: unknown; exp?: unknown; nbf?: unknown; gen?: unknown }
      try {
        const kid = (decodeHeader(token) as { header?: { kid?: unknown } }).header?.kid
        const verify = typeof kid === 'string' ? verifiers.get(kid) : undefined
        if (!verify) throw new AuthenticationError('AUTH.UNKNOWN_KEY', 'The token was signed with an unknown key')
        payload = verify(token) as typeof payload
      } catch (error) {
        throw toAuthenticationError(error)
      }
      const { sub, role, exp, nbf, gen = 0 } = payload
      if (typeof sub !== 'string' || !isRole(role) || typeof exp !== 'number' || !Number.isSafeInteger(gen)) {
        throw new AuthenticationError('AUTH.INVALID_TOKEN', 'The token lacks a valid subject, role, expiry or generation')
      }
      const claims: TokenClaims = Object.freeze({ sub, role, exp, gen: gen as number })
      // The bounds of fast-jwt's own cache entry for this verification (its validators, inclusive).
      const notBefore = typeof nbf === 'number' ? nbf * 1000 - CLOCK_TOLERANCE_MS : 0
      const notAfter = Math.min(now + CLOCK_TOLERANCE_MS + VERIFIED_TTL_MS, exp * 1000 + CLOCK_TOLERANCE_MS)
      verified.set(token, claims, notBefore, notAfter)
      return claims
    },
  }
}

const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value)

export function toAuthenticationError(error: unknown): AuthenticationError {
  if (error instanceof AuthenticationError) return error
  return (error as { code?: string }).code === 'FAST_JWT_EXPIRED'
    ? new AuthenticationError('AUTH.TOKEN_EXPIRED', 'The token has expired; request a new one')
    : new AuthenticationError('AUTH.INVALID_TOKEN', 'The token is not valid')
}
