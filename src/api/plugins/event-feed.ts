import fp from 'fastify-plugin'
import { type EventFeed, startEventFeed } from '../../consumers/event-feed.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This process's one reader of the event store, shared by the projections and the relay. */
    eventFeed: EventFeed
  }
}

/** The shared event feed: this process's commits at once, other instances' from their notifications (or the store). */
export default fp(
  async (app) => {
    const feed = startEventFeed({
      store: app.eventStore,
      received: (listener) => app.onOthersAppended(listener),
      onError: (error) => {
        app.log.warn({ err: error }, 'event feed: cannot read the event store; retrying')
        app.reportError(error, { source: 'event-feed' })
      },
    })
    app.decorate('eventFeed', feed)
    app.addHook('onClose', async () => {
      feed.stop()
    })
  },
  { name: 'event-feed', dependencies: ['event-store', 'notifications', 'error-tracking'] },
)
