import fp from 'fastify-plugin'
import { type Db, MongoClient } from 'mongodb'

declare module 'fastify' {
  interface FastifyInstance {
    /** The MongoDB database, or undefined in the embedded (in-memory) mode. */
    mongo: { client: MongoClient; db: Db } | undefined
  }
}

/**
 * Connects to MongoDB when MONGODB_URI is set. Pool sizes and timeouts come from the URI
 * (`maxPoolSize`, `minPoolSize`, `maxIdleTimeMS`, `waitQueueTimeoutMS`, ...).
 */
export default fp(
  async (app) => {
    const { mongodbUri, mongodbDatabase, instanceId } = app.config
    if (mongodbUri === undefined) {
      app.decorate('mongo', undefined)
      return
    }
    const client = new MongoClient(mongodbUri, { appName: instanceId, serverSelectionTimeoutMS: 10_000 })
    try {
      await client.connect()
    } catch (error) {
      throw new Error(`MongoDB at MONGODB_URI is not reachable: ${(error as Error).message}`, { cause: error })
    }
    const db = client.db(mongodbDatabase)
    app.decorate('mongo', { client, db })
    app.readiness.add('mongodb', async () => {
      await db.command({ ping: 1 })
    })
    app.addHook('onClose', async () => {
      await client.close()
    })
  },
  { name: 'mongo', dependencies: ['config', 'readiness'] },
)
