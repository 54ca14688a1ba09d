import { MongoClient } from 'mongodb'
import { describe, expect, it } from 'vitest'
import { MongoReadModelStore } from '../../src/projections/mongo-read-model.js'
import type { IndexSpec, ReadModelDocument } from '../../src/projections/read-model.js'
import { privateFerretDb } from '../support/private-ferretdb.js'
import { readModelContract } from '../support/read-model-contract.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'
import { sleep } from '../support/wait.js'

describe.skipIf(skipWithoutMongo)('MongoDB read model store', () => {
  readModelContract('mongodb', async () => {
    const database = await createTestDatabase('read_model')
    return { readModels: new MongoReadModelStore(database.db), cleanup: () => database.drop() }
  })
  // The same contract with FerretDB's write pattern: one update statement per command.
  readModelContract('mongodb, FerretDB writes', async () => {
    const database = await createTestDatabase('read_model_ferretdb')
    return { readModels: new MongoReadModelStore(database.db, 'ferretdb'), cleanup: () => database.drop() }
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

describe.skipIf(skipWithoutMongo)('read models on FerretDB: writers at once never run out of its connections', () => {
  it('three writers each replacing 25 documents at once all finish (FerretDB keeps a connection per update statement until the command ends)', async () => {
    // A FerretDB of its own: deadlocked, one stays so for good (its pooled connections stay taken).
    const ferret = await privateFerretDb()
    const client = await MongoClient.connect(ferret.uri('pool'))
    try {
      const readModels = new MongoReadModelStore(client.db(), 'ferretdb')
      type Row = ReadModelDocument & { n: number }
      const writers = ['a', 'b', 'c'].map((name) => readModels.collection<Row>(`rows_${name}`, 'n'))
      const rows = (n: number) => Array.from({ length: 25 }, (_, i): Row => ({ _id: `r${i}`, last_position: n, n }))
      await Promise.all(writers.map((writer) => writer.putManyGuarded(rows(1), () => true)))
      // Existing documents: 25 guarded replaces per writer, the three at once.
      const replaced = Promise.all(writers.map((writer) => writer.putManyGuarded(rows(2)))).then(() => 'replaced')
      expect(await Promise.race([replaced, sleep(20_000).then(() => 'still waiting after 20 s')])).toBe('replaced')
      for (const writer of writers) {
        expect((await writer.getMany(['r0', 'r24'])).map((row) => row.n)).toEqual([2, 2])
      }
    } finally {
      await client.close(true)
      await ferret.dispose()
    }
  }, 90_000)
})
