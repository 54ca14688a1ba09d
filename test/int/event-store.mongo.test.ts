import { describe, expect, it } from 'vitest'
import { MongoCommitLog } from '../../src/events/mongo-commit-log.js'
import { eventStoreContract } from '../support/event-store-contract.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'

describe.skipIf(skipWithoutMongo)('MongoDB commit log', () => {
  eventStoreContract('mongodb', async () => {
    const database = await createTestDatabase('event_store')
    return { log: new MongoCommitLog(database.db), cleanup: () => database.drop() }
  })

  it('creates its unique indexes, and creating them again is harmless', async () => {
    const database = await createTestDatabase('event_indexes')
    try {
      const log = new MongoCommitLog(database.db)
      await log.ensureIndexes()
      await log.ensureIndexes()
      const indexes = await database.db.collection('events').indexes()
      const unique = indexes.filter((i) => i.unique === true).map((i) => ({ name: i.name, key: i.key }))
      // The command id is the `_id`, unique by definition.
      expect(indexes.map((i) => i.name)).toContain('_id_')
      expect(unique).toEqual(
        expect.arrayContaining([
          { name: 'position_unique', key: { position: 1 } },
          { name: 'stream_version_unique', key: { stream: 1, version: 1 } },
        ]),
      )
    } finally {
      await database.drop()
    }
  })
})
