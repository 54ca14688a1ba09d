import { describe, expect, it } from 'vitest'
import { MongoReadModelStore } from '../../src/projections/mongo-read-model.js'
import type { IndexSpec } from '../../src/projections/read-model.js'
import { readModelContract } from '../support/read-model-contract.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'

describe.skipIf(skipWithoutMongo)('MongoDB read model store', () => {
  readModelContract('mongodb', async () => {
    const database = await createTestDatabase('read_model')
    return { readModels: new MongoReadModelStore(database.db), cleanup: () => database.drop() }
  })

  it('ensureIndexes creates the given indexes once, however often it runs', async () => {
    const database = await createTestDatabase('read_model_indexes')
    try {
      const rows = new MongoReadModelStore(database.db).collection('rows_v1', 'created_position')
      const specs: IndexSpec[] = [
        { name: 'status_created', key: { status: 1, created_position: -1 } },
        { name: 'created_unique', key: { created_position: 1 }, unique: true },
      ]
      await rows.ensureIndexes(specs)
      await rows.ensureIndexes(specs)
      const indexes = await database.db.collection('rows_v1').indexes()
      expect(indexes.map((i) => i.name).sort()).toEqual(['_id_', 'created_unique', 'status_created'])
      expect(indexes.find((i) => i.name === 'created_unique')).toMatchObject({ key: { created_position: 1 }, unique: true })
      expect(indexes.find((i) => i.name === 'status_created')).toMatchObject({ key: { status: 1, created_position: -1 } })
    } finally {
      await database.drop()
    }
  })
})
