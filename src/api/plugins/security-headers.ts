import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

/** Helmet's security headers on every response; CORS only when CORS_ORIGINS is set. */
export default fp(
  async (app) => {
    await app.register(helmet, { global: true })
    const { corsOrigins } = app.config
    if (corsOrigins.length === 0) return
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
  },
  { name: 'security-headers', dependencies: ['config'] },
)
