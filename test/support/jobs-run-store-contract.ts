import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { JobRun, JobRunStore } from '../../src/jobs/job-runs.js'

const run = (n: number, fields: Partial<JobRun> = {}): JobRun => ({
  id: `run-${n}`,
  job: 'reports.reconcile',
  occurrence: `2026-11-30T${String(n).padStart(2, '0')}:05:00.000Z`,
  instance: 'api-1',
  started_at: new Date(Date.UTC(2026, 10, 30, n, 5)),
  finished_at: null,
  duration_ms: null,
  outcome: 'running',
  details: {},
  ...fields,
})

const finished = (started: JobRun, fields: Partial<JobRun> = {}): JobRun => ({
  ...started,
  finished_at: new Date(started.started_at.getTime() + 1500),
  duration_ms: 1500,
  outcome: 'ok',
  details: { hour: '2026-11-30T09:00:00.000Z', rows: 12, drift: 2 },
  ...fields,
})

/** The job run store behaviour both adapters must share. */
export function jobRunStoreContract(
  adapter: string,
  make: () => Promise<{ store: JobRunStore; cleanup(): Promise<void> }>,
): void {
  describe(`job run store contract (${adapter})`, () => {
    let store: JobRunStore
    let cleanup: () => Promise<void>
    beforeEach(async () => {
      const made = await make()
      store = made.store
      cleanup = () => made.cleanup()
    })
    afterEach(async () => {
      await cleanup()
    })

    it('has no latest run for a job that never ran', async () => {
      expect(await store.latest('reports.reconcile')).toBeNull()
    })

    it('shows a run as running once started, then as it finished', async () => {
      await store.started(run(10))
      expect(await store.latest('reports.reconcile')).toEqual(run(10))
      await store.finished(finished(run(10)))
      expect(await store.latest('reports.reconcile')).toEqual(finished(run(10)))
      await store.finished(finished(run(10), { outcome: 'failed', details: {}, error: 'boom' }))
      expect(await store.latest('reports.reconcile')).toEqual(
        finished(run(10), { outcome: 'failed', details: {}, error: 'boom' }),
      )
    })

    it('keeps the most recently started run as the latest, whichever finishes last; jobs apart', async () => {
      await store.started(run(10))
      await store.started(run(11))
      await store.finished(finished(run(11)))
      await store.finished(finished(run(10), { instance: 'api-2' })) // an older occurrence, finishing late
      expect(await store.latest('reports.reconcile')).toEqual(finished(run(11)))
      await store.started(run(12, { job: 'realtime.trim' }))
      expect(await store.latest('realtime.trim')).toEqual(run(12, { job: 'realtime.trim' }))
      expect(await store.latest('reports.reconcile')).toEqual(finished(run(11)))
    })

    it('keeps what it stored when the caller changes its object afterwards', async () => {
      const mine = run(10)
      await store.started(mine)
      mine.details.rows = 99
      mine.outcome = 'ok'
      expect(await store.latest('reports.reconcile')).toEqual(run(10))
    })
  })
}
