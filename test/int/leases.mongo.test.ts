import { describe, expect, it } from 'vitest'
import { createEventStore } from '../../src/events/event-store.js'
import { MongoCommitLog } from '../../src/events/mongo-commit-log.js'
import { MongoLeaseStore } from '../../src/consumers/mongo-lease-store.js'
import { leaseContract } from '../support/lease-contract.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'

describe.skipIf(skipWithoutMongo)('MongoDB lease store', () => {
  leaseContract('mongodb', async () => {
    const database = await createTestDatabase('leases')
    const leases = new MongoLeaseStore(database.db)
    await leases.ensureIndexes()
    const log = new MongoCommitLog(database.db)
    await log.ensureIndexes()
    return { leases, store: createEventStore(log, { source: 'lease-test' }), cleanup: () => database.drop() }
  })

  it('creates its index, and creating it again is harmless; prune keeps the two newest records', async () => {
    const database = await createTestDatabase('lease_indexes')
    try {
      const leases = new MongoLeaseStore(database.db)
      await leases.ensureIndexes()
      await leases.ensureIndexes()
      const indexes = await database.db.collection('leases').indexes()
      expect(indexes.map((i) => ({ name: i.name, key: i.key }))).toEqual(
        expect.arrayContaining([{ name: 'name_token', key: { name: 1, token: -1 } }]),
      )

      const record = (name: string, token: number) => ({
        _id: `${name}#${token}`,
        name,
        token,
        holder: 'h',
        expires_at: 0,
        position: token,
      })
      for (let token = 1; token <= 4; token++) expect(await leases.insert(record('p', token))).toBe(true)
      expect(await leases.insert(record('q', 1))).toBe(true)
      expect(await leases.insert(record('p', 4))).toBe(false)
      await leases.prune('p', 3)
      const left = await database.db
        .collection('leases')
        .find({}, { sort: { _id: 1 } })
        .toArray()
      expect(left.map((r) => r._id)).toEqual(['p#3', 'p#4', 'q#1'])
      expect(await leases.latest('p')).toMatchObject({ token: 4, position: 4 })
    } finally {
      await database.drop()
    }
  })
})
