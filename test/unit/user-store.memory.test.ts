import { MemoryUserStore } from '../../src/users/memory-user-store.js'
import { userStoreContract } from '../support/user-store-contract.js'

userStoreContract('memory', () => Promise.resolve({ store: new MemoryUserStore(), cleanup: () => Promise.resolve() }))
