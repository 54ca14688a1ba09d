import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { type EventStore, createEventStore } from '../../events/event-store.js'
import { redisAppendTurns } from '../../events/redis-append-turns.js'

declare module 'fastify' {
  interface FastifyInstance {
    eventStore: EventStore
  }
}

/**
 * The event store over the storage's commit log. With Redis, instances take turns at
 * appending (see `events/append-turns.ts`) on connections of their own that fail fast while
 * Redis is away (appends then race for positions, as without Redis).
 */
export default fp(
  async (app) => {
    const turns = app.storage.kind === 'mongodb' ? appendTurns(app) : undefined
    app.decorate(
      'eventStore',
      createEventStore(app.storage.commitLog, { source: app.config.instanceId, ...(turns ? { turns } : {}) }),
    )
  },
  { name: 'event-store', dependencies: ['storage', 'redis'] },
)

function appendTurns(app: FastifyInstance) {
  const redis = app.redisFailFast
  // BLPOP holds a connection: one of its own.
  const waiter = redis?.duplicate()
  if (!redis || !waiter) return undefined
  waiter.on('error', () => undefined) // (the shared connection logs Redis errors)
  void waiter.connect().catch(() => undefined)
  app.addHook('onClose', () => {
    waiter.disconnect()
  })
  return redisAppendTurns(redis, waiter, app.config.redisKeyPrefix)
}
