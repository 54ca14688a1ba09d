import { describe } from 'vitest'
import { MongoUserStore } from '../../src/users/mongo-user-store.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'
import { userStoreContract } from '../support/user-store-contract.js'

describe.skipIf(skipWithoutMongo)('MongoDB user store', () => {
  userStoreContract('mongodb', async () => {
    const database = await createTestDatabase('users')
    return { store: new MongoUserStore(database.db), cleanup: () => database.drop() }
  })
})
