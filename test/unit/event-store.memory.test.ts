import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import { eventStoreContract } from '../support/event-store-contract.js'

eventStoreContract('memory', () => Promise.resolve({ log: new MemoryCommitLog(), cleanup: () => Promise.resolve() }))
