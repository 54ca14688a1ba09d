import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { RateLimitedError } from '../../shared/errors.js'

/**
 * API_RATE_LIMIT per user (per client IP when anonymous) on every `/api` route, shared
 * across instances through Redis when configured. A connection of its own fails fast
 * while Redis is down: limits are then skipped (and logged) rather than holding requests up —
 * at once while readiness has Redis down, instead of each request waiting out a stalled Redis.
 */
export default fp(
  async (app) => {
    const { apiRateLimit, redisKeyPrefix } = app.config
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
      allowList: (request) => !request.url.startsWith('/api/') || (redis !== undefined && app.readiness.isDown('redis')),
      skipOnError: true,
      enableDraftSpec: true,
      errorResponseBuilder: (_request, context) => {
        app.metrics.rateLimitRejections.inc({ limit: 'api' })
        return new RateLimitedError(Math.ceil(context.ttl / 1000))
      },
    })
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'readiness', 'access', 'metrics'] },
)

function rateLimitKey(request: FastifyRequest): string {
  return request.principal ? `user:${request.principal.sub}` : `ip:${request.ip}`
}
