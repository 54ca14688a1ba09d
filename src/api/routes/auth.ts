import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operation } from '../operation.js'
import Type from 'typebox'
import { AuthenticationError } from '../../auth/errors.js'
import { type LoginLimitScope, createLoginThrottle } from '../../auth/login-throttle.js'
import { RateLimitedError } from '../../shared/errors.js'
import { normalizeEmail } from '../../shared/email.js'
import { Email, Problem } from '../schemas.js'

const Credentials = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
)
const SCOPE_WORDS: Record<LoginLimitScope, string> = {
  email_ip: 'for this e-mail from this address',
  ip: 'from this address',
  email: 'for this e-mail',
}

const Token = Type.Object(
  {
    access_token: Type.String({ description: 'an RS256 JWT: send it as `Authorization: Bearer <access_token>`' }),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'seconds until it expires' }),
  },
  { title: 'Token' },
)
const Jwks = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        {
          kty: Type.String(),
          kid: Type.String(),
          alg: Type.String(),
          use: Type.String(),
          n: Type.String(),
          e: Type.String(),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { title: 'Jwks', description: 'RFC 7517 JSON Web Key Set: the RSA public keys (current and previous) that verify tokens' },
)

/** `POST /api/auth/token` (e-mail + password → RS256 token) and the JWKS document. */
const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { loginRateLimit, redisKeyPrefix } = app.config
  const throttle = createLoginThrottle({
    max: loginRateLimit.max,
    windowMs: loginRateLimit.windowMs,
    ...(app.redisFailFast ? { redis: app.redisFailFast } : {}),
    prefix: `${redisKeyPrefix}rl:login:`,
    redisDown: () => app.readiness.isDown('redis'),
    onUnavailable: (error) => {
      app.log.warn({ err: error }, 'failed sign-ins are counted on this instance alone while Redis is unavailable')
    },
    onRecovered: () => {
      app.log.info('failed sign-ins are counted in Redis again')
    },
  })

  app.post(
    '/api/auth/token',
    {
      ...operation(
        'issueToken',
        'public',
        {
          tags: ['auth'],
          summary: 'Exchange e-mail and password for an access token',
          body: Credentials,
          response: { 200: Token, 401: Problem, 429: Problem },
        },
        {
          problems: {
            401: 'Wrong e-mail or password, or a disabled account (`AUTH.INVALID_CREDENTIALS`)',
            429: 'Too many failed sign-ins for this e-mail, from this address, or both (`AUTH.TOO_MANY_ATTEMPTS`, `limit` says which), or the API limit (`RATE_LIMITED`)',
          },
        },
      ),
      // Failed logins are limited per (e-mail, IP), per IP and per e-mail, on top of the API limit.
      preHandler: async (request, reply) => {
        const check = await throttle.check(normalizeEmail(request.body.email), request.ip)
        if (!check.limited) return
        const { limit, retryAfterSeconds } = check
        app.metrics.rateLimitRejections.inc({ limit: `login_${limit.scope}` })
        void reply.headers({
          'retry-after': retryAfterSeconds,
          'ratelimit-policy': `${limit.max};w=${Math.round(limit.windowMs / 1000)}`,
          'ratelimit-limit': limit.max,
          'ratelimit-remaining': 0,
          'ratelimit-reset': retryAfterSeconds,
        })
        throw new RateLimitedError(retryAfterSeconds, 'AUTH.TOO_MANY_ATTEMPTS', {
          limit: limit.scope,
          detail: `Too many failed sign-ins ${SCOPE_WORDS[limit.scope]}; retry in ${retryAfterSeconds} s`,
        })
      },
    },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email)
      const user = await app.users.authenticate(email, request.body.password)
      if (!user) {
        await throttle.failed(email, request.ip)
        app.metrics.loginFailures.inc()
        throw new AuthenticationError('AUTH.INVALID_CREDENTIALS', 'Wrong e-mail or password')
      }
      await throttle.succeeded(email, request.ip)
      void reply.header('cache-control', 'no-store')
      return app.issueToken(user)
    },
  )

  app.get(
    '/.well-known/jwks.json',
    operation('getJwks', 'public', {
      tags: ['auth'],
      summary: 'Public keys that verify this service’s tokens',
      response: { 200: Jwks },
    }),
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300')
      return app.keyRing.jwks
    },
  )
}

export default authRoutes
