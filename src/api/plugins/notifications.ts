import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Calls `listener` with the last position when any instance has appended events: at once
     * for this instance's own writes, through Redis pub/sub for the others'. Consumers still
     * poll; this only wakes them early. Returns an unsubscribe.
     */
    onEventsAppended(listener: (position: number) => void): () => void
  }
}

/** Cross-instance "events were appended" wake-ups for catch-up subscriptions. */
export default fp(
  async (app) => {
    const listeners = new Set<(position: number) => void>()
    const wakeAll = (position: number) => {
      for (const listener of listeners) listener(position)
    }
    app.eventStore.onAppended((events) => {
      wakeAll(events.at(-1)?.position ?? 0)
    })

    if (app.redis) {
      const channel = `${app.config.redisKeyPrefix}events-appended`
      const publisher = app.redis
      const subscriber = app.redis.duplicate({ maxRetriesPerRequest: null })
      subscriber.on('error', () => undefined) // the shared connection already logs Redis errors
      subscriber.on('message', (_channel: string, message: string) => {
        wakeAll(Number(message) || 0)
      })
      // Not awaited: with Redis down the subscription waits for it, and polling covers meanwhile.
      subscriber.subscribe(channel).catch((error: unknown) => {
        app.log.warn({ err: error }, 'cannot subscribe to append notifications; polling only')
      })
      app.eventStore.onAppended((events) => {
        publisher.publish(channel, String(events.at(-1)?.position ?? 0)).catch(() => undefined)
      })
      app.addHook('onClose', async () => {
        subscriber.disconnect()
      })
    }

    app.decorate('onEventsAppended', (listener: (position: number) => void) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    })
  },
  { name: 'notifications', dependencies: ['event-store', 'redis', 'config'] },
)
