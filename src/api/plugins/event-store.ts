import fp from 'fastify-plugin'
import type { CommitLog } from '../../events/commit-log.js'
import { type EventStore, createEventStore } from '../../events/event-store.js'
import { MemoryCommitLog } from '../../events/memory-commit-log.js'
import { MongoCommitLog } from '../../events/mongo-commit-log.js'

declare module 'fastify' {
  interface FastifyInstance {
    eventStore: EventStore
  }
}

/** The event store: on MongoDB when configured, else in memory (embedded mode). */
export default fp(
  async (app) => {
    let log: CommitLog
    if (app.mongo) {
      log = new MongoCommitLog(app.mongo.db)
    } else {
      log = new MemoryCommitLog()
      app.log.warn('embedded mode: events are kept in memory and lost when the process stops (set MONGODB_URI to keep them)')
    }
    await log.ensureIndexes()
    app.decorate('eventStore', createEventStore(log, { source: app.config.instanceId }))
  },
  { name: 'event-store', dependencies: ['mongo'] },
)
