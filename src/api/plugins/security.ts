import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { type FieldError, RateLimitedError, ValidationError } from '../../shared/errors.js'

/**
 * Input and abuse hardening: helmet headers, CORS only when CORS_ORIGINS is set, no
 * operator-like keys (`$…`, `a.b`) anywhere in a body or query, and rate limits per user
 * (per client IP when anonymous), shared across instances through Redis when configured.
 */
export default fp(
  async (app) => {
    const { corsOrigins, apiRateLimit, redisKeyPrefix } = app.config
    await app.register(helmet, { global: true })
    if (corsOrigins.length > 0) {
      await app.register(cors, {
        origin: corsOrigins,
        allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
        exposedHeaders: [
          'Location',
          'ETag',
          'X-Request-Id',
          'X-Read-Model-Position',
          'Retry-After',
          'RateLimit-Limit',
          'RateLimit-Remaining',
          'RateLimit-Reset',
        ],
      })
    }

    app.addHook('preValidation', async (request) => {
      // A command without a body (e.g. POST …/confirm) is an empty object, so it validates
      // like one: no special cases per route, and required fields are still named.
      if (request.body === undefined && (request.method === 'POST' || request.method === 'PATCH')) request.body = {}
      const errors = [...operatorKeys(request.body, 'body'), ...operatorKeys(request.query, 'querystring')]
      if (errors.length > 0)
        throw new ValidationError('REQUEST.FORBIDDEN_KEY', 'Keys may not start with "$" or contain "."', errors)
    })

    // A connection of its own that fails fast while Redis is down: limits are then skipped
    // (and logged) rather than holding every request up.
    const redis = app.redis?.duplicate({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      lazyConnect: true,
    })
    if (redis) {
      redis.on('error', () => undefined) // the shared connection already logs Redis errors
      await redis.connect().catch(() => undefined)
      app.addHook('onClose', async () => {
        redis.disconnect()
      })
    }
    await app.register(rateLimit, {
      global: true,
      max: apiRateLimit.max,
      timeWindow: apiRateLimit.windowMs,
      ...(redis ? { redis } : {}),
      nameSpace: `${redisKeyPrefix}rl:api:`,
      keyGenerator: (request) => rateLimitKey(request),
      allowList: (request) => !request.url.startsWith('/api/'),
      skipOnError: true,
      enableDraftSpec: true,
      errorResponseBuilder: (_request, context) => new RateLimitedError(Math.ceil(context.ttl / 1000)),
    })
  },
  { name: 'security', dependencies: ['config', 'redis', 'auth'] },
)

export function rateLimitKey(request: FastifyRequest): string {
  return request.principal ? `user:${request.principal.sub}` : `ip:${request.ip}`
}

/** Every key in the value that could reach a MongoDB query as an operator or a path. */
function operatorKeys(value: unknown, path: string): FieldError[] {
  if (value === null || typeof value !== 'object') return []
  const found: FieldError[] = []
  for (const [key, item] of Object.entries(value)) {
    const at = `${path}/${key}`
    if (key.startsWith('$') || key.includes('.')) found.push({ path: at, message: 'keys may not start with "$" or contain "."' })
    found.push(...operatorKeys(item, at))
  }
  return found
}
