import { describe, expect, it } from 'vitest'
import { MongoJobRunStore } from '../../src/jobs/mongo-job-run-store.js'
import { jobRunStoreContract } from '../support/jobs-run-store-contract.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'

describe.skipIf(skipWithoutMongo)('MongoDB job run store', () => {
  jobRunStoreContract('mongodb', async () => {
    const database = await createTestDatabase('job_runs')
    return { store: new MongoJobRunStore(database.db), cleanup: () => database.drop() }
  })

  it('keeps every run in job_runs, one document per run', async () => {
    const database = await createTestDatabase('job_runs_all')
    try {
      const store = new MongoJobRunStore(database.db)
      const at = new Date()
      for (const id of ['r1', 'r2']) {
        const run = {
          id,
          job: 'realtime.trim',
          occurrence: id,
          instance: 'a',
          started_at: at,
          finished_at: null,
          duration_ms: null,
          outcome: 'running' as const,
          details: {},
        }
        await store.started(run)
        await store.finished({ ...run, outcome: 'ok', finished_at: at, duration_ms: 0, details: { trimmed: 0 } })
      }
      const stored = await database.db
        .collection<{ _id: string; outcome: string; details: object }>('job_runs')
        .find({ job: 'realtime.trim' }, { sort: { _id: 1 } })
        .toArray()
      expect(stored.map((doc) => [doc._id, doc.outcome, doc.details])).toEqual([
        ['r1', 'ok', { trimmed: 0 }],
        ['r2', 'ok', { trimmed: 0 }],
      ])
    } finally {
      await database.drop()
    }
  })
})
