import { createEventStore } from '../../src/events/event-store.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import { MemoryLeaseStore } from '../../src/consumers/memory-lease-store.js'
import { leaseContract } from '../support/lease-contract.js'

leaseContract('memory', () =>
  Promise.resolve({
    leases: new MemoryLeaseStore(),
    store: createEventStore(new MemoryCommitLog(), { source: 'lease-test' }),
    cleanup: () => Promise.resolve(),
  }),
)
