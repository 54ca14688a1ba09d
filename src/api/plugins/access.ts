import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { type Action, type AppAbility, type Principal, type SubjectType, abilityCache, noAbility } from '../../auth/abilities.js'
import { AuthenticationError, ForbiddenError } from '../../auth/errors.js'

/**
 * What a route needs, declared once in its `config.auth` (every `/api` route must say):
 * `'public'`, `'authenticated'`, or `{ can: [action, subject] }` — e.g.
 * `app.post('/api/orders', { config: { auth: { can: ['create', 'Order'] } } }, handler)`.
 * Instance conditions (a rep's own orders) are checked where the instance is known:
 * list filters via `accessFilter(request.ability, ...)`, commands via `request.ability.can`.
 */
export type AuthRequirement = 'public' | 'authenticated' | { can: [Action, SubjectType] }

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
}

/** The per-route auth requirement: bearer tokens verified on every non-public route, CASL abilities on every request. */
export default fp(
  async (app) => {
    const abilityOf = abilityCache()
    const none = noAbility()

    app.decorateRequest('principal', null)
    app.decorateRequest('authFailure', null)
    app.decorateRequest('ability', {
      getter(this: FastifyRequest) {
        return this.principal ? abilityOf(this.principal) : none
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
        const { sub, role } = await app.verifyToken(bearerToken(request.headers.authorization))
        request.principal = { sub, role }
      } catch (error) {
        // Only a bad token is an authentication failure: a user store that cannot be reached
        // is an outage (503), never a reason for clients to throw a good token away.
        if (!(error instanceof AuthenticationError)) throw error
        request.authFailure = error
      }
    })

    app.addHook('preParsing', async (request) => {
      const auth = request.routeOptions.config.auth
      if (auth === undefined || auth === 'public') return
      if (request.authFailure) {
        if (REVOKED.has(request.authFailure.code)) app.metrics.revokedTokenRefusals.inc()
        throw request.authFailure
      }
      if (!request.principal) throw new AuthenticationError('AUTH.TOKEN_REQUIRED', 'Send a token: Authorization: Bearer <token>')
      if (auth !== 'authenticated' && !request.ability.can(auth.can[0], auth.can[1])) {
        throw new ForbiddenError(`The ${request.principal.role} role may not ${auth.can[0]} ${auth.can[1]}`)
      }
    })
  },
  { name: 'access', dependencies: ['tokens', 'metrics'] },
)

/** Refusals of a token that was valid until its account changed. */
const REVOKED = new Set(['AUTH.TOKEN_REVOKED', 'AUTH.USER_DISABLED'])

/** The token of `Authorization: Bearer <token>`; a malformed header is an invalid token. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw new AuthenticationError('AUTH.INVALID_TOKEN', 'The Authorization header must be "Bearer <token>"')
  return match[1]
}
