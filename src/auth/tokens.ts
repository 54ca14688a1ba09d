import { createDecoder, createSigner, createVerifier } from 'fast-jwt'
import { ROLES, type Principal, type Role } from './abilities.js'
import { AuthenticationError } from './errors.js'
import type { KeyRing } from './keys.js'

export interface IssuedToken {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
}

/** What a token says, once its signature and claims are checked. */
export interface TokenClaims extends Principal {
  /** Expiry, epoch seconds. */
  exp: number
}

export interface TokenSettings {
  issuer: string
  audience: string
  ttlSeconds: number
}

export interface Tokens {
  issue(principal: Principal): IssuedToken
  /** Checks signature (key by `kid`, RS256 only), issuer, audience, expiry and claims; throws `AuthenticationError`. */
  verify(token: string): TokenClaims
}

/**
 * RS256 tokens with fast-jwt (the engine of @fastify/jwt), signing and verifying with one
 * library: the key is chosen by `kid` among the trusted keys, the algorithm is fixed and
 * never taken from the token, and one verifier per key is built once (with its cache).
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
        clockTolerance: 5000,
        cache: true,
      }),
    ]),
  )

  return {
    issue: ({ sub, role }) => ({ access_token: sign({ sub, role }), token_type: 'Bearer', expires_in: settings.ttlSeconds }),
    verify(token) {
      let payload: { sub?: unknown; role?: unknown; exp?: unknown }
      try {
        const kid = (decodeHeader(token) as { header?: { kid?: unknown } }).header?.kid
        const verify = typeof kid === 'string' ? verifiers.get(kid) : undefined
        if (!verify) throw new AuthenticationError('AUTH.UNKNOWN_KEY', 'The token was signed with an unknown key')
        payload = verify(token) as typeof payload
      } catch (error) {
        throw toAuthenticationError(error)
      }
      const { sub, role, exp } = payload
      if (typeof sub !== 'string' || !isRole(role) || typeof exp !== 'number') {
        throw new AuthenticationError('AUTH.INVALID_TOKEN', 'The token lacks a valid subject, role or expiry')
      }
      return { sub, role, exp }
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
