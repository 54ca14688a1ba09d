import jwt from '@fastify/jwt'
import { createDecoder, createVerifier } from 'fast-jwt'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import {
  type Action,
  type AppAbility,
  type Principal,
  ROLES,
  type Role,
  type SubjectType,
  type VerifiedToken,
  defineAbilityFor,
  noAbility,
} from '../../auth/abilities.js'
import { AuthenticationError, ForbiddenError } from '../../auth/errors.js'
import { type KeyRing, loadKeyRing } from '../../auth/keys.js'
import type { User } from '../../users/user.js'

/**
 * What a route needs, declared once in its `config.auth` (every `/api` route must say):
 * `'public'`, `'authenticated'`, or `{ can: [action, subject] }` — e.g.
 * `app.post('/api/orders', { config: { auth: { can: ['create', 'Order'] } } }, handler)`.
 * Instance conditions (a rep's own orders) are checked where the instance is known:
 * list filters via `accessFilter(request.ability, ...)`, commands via `request.ability.can`.
 */
export type AuthRequirement = 'public' | 'authenticated' | { can: [Action, SubjectType] }

export interface IssuedToken {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement
  }
  interface FastifyRequest {
    /** The verified caller, or null on public routes. */
    principal: Principal | null
    /** CASL abilities of the caller (no abilities when anonymous). */
    readonly ability: AppAbility
    authFailure: AuthenticationError | null
  }
  interface FastifyInstance {
    keyRing: KeyRing
    issueToken(user: User): Promise<IssuedToken>
    /** Verifies a token (signature, claims, key by `kid`) and that its account is enabled and unchanged. */
    verifyToken(token: string | undefined): Promise<VerifiedToken>
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; role: Role }
  }
}

const USER_CHECK_TTL_MS = 5000
const abilities = new WeakMap<FastifyRequest, AppAbility>()
/** Abilities depend only on (role, subject): built once per principal, not per request. */
const byPrincipal = new Map<string, AppAbility>()
function abilityOf(principal: { sub: string; role: Role }): AppAbility {
  const key = `${principal.role}\u0000${principal.sub}`
  let ability = byPrincipal.get(key)
  if (!ability) {
    if (byPrincipal.size > 10_000) byPrincipal.clear()
    ability = defineAbilityFor(principal)
    byPrincipal.set(key, ability)
  }
  return ability
}

/** RS256 tokens, the per-route auth requirement, and CASL abilities on every request. */
export default fp(
  async (app) => {
    const { jwt: settings } = app.config
    const keyRing = loadKeyRing(settings.secret, settings.publicKey)
    if (keyRing.ephemeral) {
      app.log.warn('no JWT_SECRET: signing tokens with a key generated at start; tokens die with this process')
    }
    app.decorate('keyRing', keyRing)

    await app.register(jwt, {
      secret: { private: keyRing.signing.privateKeyPem, public: keyRing.verification.get(keyRing.signing.kid) ?? '' },
      sign: {
        algorithm: 'RS256',
        kid: keyRing.signing.kid,
        iss: settings.issuer,
        aud: settings.audience,
        expiresIn: `${settings.ttlSeconds}s`,
      },
    })

    // Verification by the same engine (fast-jwt), one verifier per trusted key, built once:
    // the key is chosen by `kid`, the algorithm is fixed (RS256), never taken from the token.
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

    app.decorate('issueToken', async (user: User) => ({
      access_token: await Promise.resolve(app.jwt.sign({ sub: user.email, role: user.role })),
      token_type: 'Bearer' as const,
      expires_in: settings.ttlSeconds,
    }))

    // Tokens stay valid until they expire, but a disabled (or re-roled) user loses access
    // within USER_CHECK_TTL_MS: the account is looked up, with a short cache.
    const checked = new Map<string, { role: Role; disabled: boolean; at: number }>()
    async function currentAccount(email: string) {
      const cached = checked.get(email)
      if (cached && performance.now() - cached.at < USER_CHECK_TTL_MS) return cached
      const user = await app.users.find(email)
      const account = { role: user?.role ?? 'auditor', disabled: !user || user.disabled, at: performance.now() }
      if (checked.size > 10_000) checked.clear()
      checked.set(email, account)
      return account
    }
    app.users.onChange((email) => checked.delete(email))

    /** One verification for every transport (HTTP, Socket.IO, WebSocket). */
    async function verifyToken(token: string | undefined): Promise<VerifiedToken> {
      if (!token) throw new AuthenticationError('AUTH.TOKEN_REQUIRED', 'Send a token: Authorization: Bearer <token>')
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
      if (
        typeof sub !== 'string' ||
        typeof role !== 'string' ||
        !(ROLES as readonly string[]).includes(role) ||
        typeof exp !== 'number'
      ) {
        throw new AuthenticationError('AUTH.INVALID_TOKEN', 'The token lacks a valid subject, role or expiry')
      }
      const account = await currentAccount(sub)
      if (account.disabled) throw new AuthenticationError('AUTH.USER_DISABLED', 'This account is disabled or no longer exists')
      if (account.role !== role)
        throw new AuthenticationError('AUTH.STALE_TOKEN', 'The account’s role has changed; request a new token')
      return { sub, role: account.role, expiresAt: exp * 1000 }
    }
    app.decorate('verifyToken', verifyToken)

    app.decorateRequest('principal', null)
    app.decorateRequest('authFailure', null)
    app.decorateRequest('ability', {
      getter(this: FastifyRequest) {
        let ability = abilities.get(this)
        if (!ability) {
          ability = this.principal ? abilityOf(this.principal) : noAbility()
          abilities.set(this, ability)
        }
        return ability
      },
    })

    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/api/') && route.config?.auth === undefined) {
        throw new Error(`${String(route.method)} ${route.url} must declare config.auth`)
      }
    })

    // Verify first (so rate limits can key on the user), refuse later (preParsing), so
    // requests with bad tokens still count against their IP's limit.
    app.addHook('onRequest', async (request) => {
      const auth = request.routeOptions.config.auth
      if (auth === undefined || auth === 'public') return
      try {
        const { sub, role } = await verifyToken(bearerToken(request.headers.authorization))
        request.principal = { sub, role }
      } catch (error) {
        request.authFailure = toAuthenticationError(error)
      }
    })

    app.addHook('preParsing', async (request) => {
      const auth = request.routeOptions.config.auth
      if (auth === undefined || auth === 'public') return
      if (request.authFailure) throw request.authFailure
      if (!request.principal) throw new AuthenticationError('AUTH.TOKEN_REQUIRED', 'Send a token: Authorization: Bearer <token>')
      if (auth !== 'authenticated' && !request.ability.can(auth.can[0], auth.can[1])) {
        throw new ForbiddenError(`The ${request.principal.role} role may not ${auth.can[0]} ${auth.can[1]}`)
      }
    })
  },
  { name: 'auth', dependencies: ['config', 'users'] },
)

/** The token of `Authorization: Bearer <token>`; a malformed header is an invalid token. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw new AuthenticationError('AUTH.INVALID_TOKEN', 'The Authorization header must be "Bearer <token>"')
  return match[1]
}

function toAuthenticationError(error: unknown): AuthenticationError {
  if (error instanceof AuthenticationError) return error
  return (error as { code?: string }).code === 'FAST_JWT_EXPIRED'
    ? new AuthenticationError('AUTH.TOKEN_EXPIRED', 'The token has expired; request a new one')
    : new AuthenticationError('AUTH.INVALID_TOKEN', 'The token is not valid')
}
