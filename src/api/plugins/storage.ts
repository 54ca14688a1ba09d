import fp from 'fastify-plugin'
import { finishesWithin } from '../../shared/finishes-within.js'
import { type Storage, type StorageOptions, openStorage } from '../../storage/open-storage.js'

/** How long closing MongoDB's client may take (milliseconds when it answers) before the shutdown goes on without it. */
const CLIENT_CLOSE_GRACE_MS = 1000

declare module 'fastify' {
  interface FastifyInstance {
    /** Every store of the service: on MongoDB when MONGODB_URI is set, else embedded (in DATA_DIR, or in memory). */
    storage: Storage
  }
}

/** Opens the storage backend, reports it in readiness, and closes it last. */
export default fp<StorageOptions>(
  async (app, options) => {
    const storage = await openStorage(app.config, {
      ...options,
      onDataDirOpened: (opening) => {
        options.onDataDirOpened?.(opening)
        const { tornTail, ...found } = opening
        if (tornTail) {
          app.log.warn(
            { offset: tornTail.offset, bytes: tornTail.bytes },
            `event log: cut off ${tornTail.bytes} bytes at byte offset ${tornTail.offset}, the incomplete last write of a crash (never acknowledged)`,
          )
        }
        app.log.info({ data_dir: app.config.dataDir, ...found }, 'embedded mode: event log read')
      },
    })
    app.decorate('storage', storage)
    if (storage.kind === 'mongodb') {
      app.readiness.add('mongodb', () => storage.ping(), { critical: true })
    } else if (storage.dataDir === undefined) {
      app.log.warn('embedded mode with DATA_DIR=:memory:: nothing is kept when the process stops')
    }
    app.addHook('onClose', async () => {
      // Closing MongoDB's client ends its server sessions: a stalled server would hold that
      // forever. Embedded, closing flushes the data directory: that is always waited for.
      const graceMs = storage.kind === 'mongodb' ? CLIENT_CLOSE_GRACE_MS : Infinity
      if (!(await finishesWithin(storage.close(), graceMs))) {
        app.log.warn({ grace_ms: graceMs }, 'MongoDB did not answer while its client closed; not waiting for it')
      }
    })
  },
  { name: 'storage', dependencies: ['config', 'readiness'] },
)
