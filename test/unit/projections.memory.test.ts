import { createEventStore } from '../../src/events/event-store.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import { MemoryLeaseStore } from '../../src/consumers/memory-lease-store.js'
import { MemoryReadModelStore } from '../../src/projections/memory-read-model.js'
import { projectionContract } from '../support/projections/contract.js'

projectionContract('memory', ({ now }) =>
  Promise.resolve({
    readModels: new MemoryReadModelStore(),
    store: createEventStore(new MemoryCommitLog(), { source: 'test', now }),
    leases: new MemoryLeaseStore(),
    cleanup: () => Promise.resolve(),
  }),
)
