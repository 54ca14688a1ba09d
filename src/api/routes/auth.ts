import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operation } from '../operation.js'
import Type from 'typebox'
import { AuthenticationError } from '../../auth/errors.js'
import { createLoginThrottle } from '../../auth/login-throttle.js'
import { RateLimitedError } from '../../shared/errors.js'
import { normalizeEmail } from '../../users/users.js'
import { Email, Problem } from '../schemas.js'

const Credentials = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
)
const Token = Type.Object({ access_token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.Integer() })

/** `POST /api/auth/token` (e-mail + password → RS256 token) and the JWKS document. */
const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { loginRateLimit, redisKeyPrefix } = app.config
  const throttle = createLoginThrottle({
    max: loginRateLimit.max,
    windowMs: loginRateLimit.windowMs,
    ...(app.redis ? { redis: app.redis } : {}),
    prefix: `${redisKeyPrefix}rl:login:`,
    onError: (error) => {
      app.log.warn({ err: error }, 'login throttle unavailable; attempt let through')
    },
  })

  app.post(
    '/api/auth/token',
    {
      ...operation('issueToken', 'public', {
        tags: ['auth'],
        summary: 'Exchange e-mail and password for an access token',
        body: Credentials,
        response: { 200: Token, 401: Problem, 429: Problem },
      }),
      // Password guessing is limited per e-mail and per client IP, on top of the API limit.
      preHandler: async (request, reply) => {
        const { limited, retryAfterSeconds } = await throttle.hit([
          `email:${normalizeEmail(request.body.email)}`,
          `ip:${request.ip}`,
        ])
        if (!limited) return
        void reply.header('retry-after', retryAfterSeconds)
        throw new RateLimitedError(retryAfterSeconds, 'AUTH.TOO_MANY_ATTEMPTS')
      },
    },
    async (request, reply) => {
      const user = await app.users.authenticate(request.body.email, request.body.password)
      if (!user) throw new AuthenticationError('AUTH.INVALID_CREDENTIALS', 'Wrong e-mail or password')
      void reply.header('cache-control', 'no-store')
      return app.issueToken(user)
    },
  )

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['auth'], operationId: 'getJwks', summary: 'Public keys that verify this service’s tokens' } },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300')
      return app.keyRing.jwks
    },
  )
}

export default authRoutes
