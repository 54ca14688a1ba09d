import fp from 'fastify-plugin'
import { type EventStore, createEventStore } from '../../events/event-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    eventStore: EventStore
  }
}

/** The event store over the storage's commit log. */
export default fp(
  async (app) => {
    app.decorate('eventStore', createEventStore(app.storage.commitLog, { source: app.config.instanceId }))
  },
  { name: 'event-store', dependencies: ['storage'] },
)
