import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { EventData } from '../../events/catalog.js'
import { type AppendObserver, type EventStore, createEventStore } from '../../events/event-store.js'
import type { Metrics } from '../../infra/metrics.js'
import { minorUnitDigits } from '../../shared/currency.js'
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
      createEventStore(app.storage.commitLog, {
        source: app.config.instanceId,
        ...(turns ? { turns } : {}),
        observer: appendMetrics(app.metrics),
      }),
    )
  },
  { name: 'event-store', dependencies: ['storage', 'redis', 'metrics'] },
)

/** Appends as metrics: events by type, durations, conflicts, batch sizes, and orders with their value. */
function appendMetrics(metrics: Metrics): AppendObserver {
  return {
    appended(outcome, seconds, events) {
      metrics.appendDuration.observe(seconds)
      if (outcome === 'conflict') metrics.appendConflicts.inc()
      if (outcome !== 'stored') return
      for (const event of events) {
        metrics.eventsAppended.inc({ type: event.type })
        if (event.type !== 'order.created') continue
        const { currency, total_amount } = event.data as EventData<'order.created'>
        metrics.ordersPlaced.inc({ currency })
        metrics.orderValue.inc({ currency }, total_amount / 10 ** minorUnitDigits(currency))
      }
    },
    batch: (size) => {
      metrics.commitBatchSize.observe(size)
    },
  }
}

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
