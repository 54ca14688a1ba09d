import { MemoryReadModelStore } from '../../src/projections/memory-read-model.js'
import { readModelContract } from '../support/read-model-contract.js'

readModelContract('memory', () => Promise.resolve({ readModels: new MemoryReadModelStore(), cleanup: () => Promise.resolve() }))
