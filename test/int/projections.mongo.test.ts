import { describe } from 'vitest'
import { createEventStore } from '../../src/events/event-store.js'
import { MongoCommitLog } from '../../src/events/mongo-commit-log.js'
import { MongoLeaseStore } from '../../src/consumers/mongo-lease-store.js'
import { MongoReadModelStore } from '../../src/projections/mongo-read-model.js'
import { projectionContract } from '../support/projections/contract.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'

describe.skipIf(skipWithoutMongo)('projections on MongoDB (FerretDB)', () => {
  projectionContract(
    'mongodb',
    async ({ now }) => {
      const database = await createTestDatabase('projections')
      const log = new MongoCommitLog(database.db)
      await log.ensureIndexes()
      const leases = new MongoLeaseStore(database.db)
      await leases.ensureIndexes()
      return {
        readModels: new MongoReadModelStore(database.db),
        store: createEventStore(log, { source: 'test', now }),
        leases,
        cleanup: () => database.drop(),
      }
    },
    // FerretDB scans collections: smaller histories keep the suite quick.
    { propertyOrders: 120, historyOrders: 15 },
  )
})
