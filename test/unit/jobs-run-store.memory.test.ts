import { MemoryJobRunStore } from '../../src/jobs/memory-job-run-store.js'
import { jobRunStoreContract } from '../support/jobs-run-store-contract.js'

jobRunStoreContract('memory', () => Promise.resolve({ store: new MemoryJobRunStore(), cleanup: () => Promise.resolve() }))
