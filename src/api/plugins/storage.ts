import fp from 'fastify-plugin'
import { type Storage, type StorageOptions, openStorage } from '../../storage/open-storage.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every store of the service: on MongoDB when MONGODB_URI is set, else in memory (embedded). */
    storage: Storage
  }
}

/** Opens the storage backend, reports it in readiness, and closes it last. */
export default fp<StorageOptions>(
  async (app, options) => {
    const storage = await openStorage(app.config, options)
    app.decorate('storage', storage)
    if (storage.kind === 'memory') {
      app.log.warn('embedded mode: events are kept in memory and lost when the process stops (set MONGODB_URI to keep them)')
    } else {
      app.readiness.add('mongodb', () => storage.ping(), { critical: true })
    }
    app.addHook('onClose', async () => {
      await storage.close()
    })
  },
  { name: 'storage', dependencies: ['config', 'readiness'] },
)
