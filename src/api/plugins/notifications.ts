import fp from 'fastify-plugin'
import type { ReadEvent } from '../../events/envelope.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Calls `listener` with the events of every commit another instance has stored, through
     * Redis pub/sub (at most once: a message can be lost, so readers still check the store).
     * Returns an unsubscribe.
     */
    onOthersAppended(listener: (events: readonly ReadEvent[]) => void): () => void
  }
}

/**
 * Cross-instance notifications: the commits this instance stores are published with their
 * events, so the other instances' event feeds extend from the message instead of reading
 * the store (which on FerretDB is a scan of the log per read).
 */
export default fp(
  async (app) => {
    const listeners = new Set<(events: readonly ReadEvent[]) => void>()

    if (app.redis) {
      const channel = `${app.config.redisKeyPrefix}events-appended`
      const publisher = app.redis
      const subscriber = app.redis.duplicate({ maxRetriesPerRequest: null })
      subscriber.on('error', () => undefined) // the shared connection already logs Redis errors
      subscriber.on('message', (_channel: string, message: string) => {
        let events: ReadEvent[]
        try {
          events = JSON.parse(message) as ReadEvent[]
        } catch {
          return // not ours (another writer on the channel): the feed polls the store anyway
        }
        if (!Array.isArray(events)) return
        for (const listener of listeners) listener(events)
      })
      // Not awaited: with Redis down the subscription waits for it, and polling covers meanwhile.
      subscriber.subscribe(channel).catch((error: unknown) => {
        app.log.warn({ err: error }, 'cannot subscribe to append notifications; polling only')
      })
      // The commits settled together (a group commit's batch) go out as one message: every
      // other instance reads each message, so a message per commit costs each of them a
      // wake-up and a socket read per order.
      let pending: ReadEvent[] = []
      const flush = () => {
        const events = pending
        pending = []
        publisher.publish(channel, JSON.stringify(events)).catch(() => undefined)
      }
      app.eventStore.onAppended((events) => {
        if (pending.length === 0) setImmediate(flush)
        pending.push(...events)
      })
      app.addHook('onClose', async () => {
        subscriber.disconnect()
      })
    }

    app.decorate('onOthersAppended', (listener: (events: readonly ReadEvent[]) => void) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    })
  },
  { name: 'notifications', dependencies: ['event-store', 'redis', 'config'] },
)
