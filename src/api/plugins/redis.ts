import fp from 'fastify-plugin'
import { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared Redis connection, or undefined when REDIS_URI is not set. */
    redis: Redis | undefined
    /**
     * A second connection for what the write path asks Redis (append turns, order numbers):
     * it refuses commands at once while disconnected and gives up after 1 s, so appends go on
     * without Redis instead of waiting for it.
     */
    redisFailFast: Redis | undefined
  }
}

/** Connects to Redis when REDIS_URI is set; the service keeps running (not ready) while Redis is down. */
export default fp(
  async (app) => {
    const { redisUri, instanceId } = app.config
    if (redisUri === undefined) {
      app.decorate('redis', undefined)
      app.decorate('redisFailFast', undefined)
      return
    }
    // A Redis that hangs (not just one that is down) must not hang requests: commands time out.
    const redis = new Redis(redisUri, {
      connectionName: instanceId,
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      commandTimeout: 2000,
    })
    redis.on('error', (error: Error) => {
      app.log.warn({ err: error }, 'redis connection error')
    })
    try {
      await redis.connect()
    } catch (error) {
      app.log.error({ err: error }, 'Redis at REDIS_URI is not reachable yet; retrying in the background')
    }
    app.decorate('redis', redis)
    const failFast = redis.duplicate({ enableOfflineQueue: false, commandTimeout: 1000, maxRetriesPerRequest: 0 })
    failFast.on('error', () => undefined) // (the shared connection logs Redis errors)
    await failFast.connect().catch(() => undefined)
    app.decorate('redisFailFast', failFast)
    // Not critical: without Redis the API still serves (rate limits skipped, no cross-instance feed).
    app.readiness.add(
      'redis',
      async () => {
        await failFast.ping()
      },
      { critical: false },
    )
    app.addHook('onClose', async () => {
      failFast.disconnect()
      await redis.quit().catch(() => {
        redis.disconnect()
      })
    })
  },
  { name: 'redis', dependencies: ['config', 'readiness'] },
)
