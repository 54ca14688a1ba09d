import type { JobRun, JobRunStore } from './job-runs.js'

/**
 * Runs in memory (embedded mode): only the latest of each job, which is all the service reads
 * back (every run is also in the log); keeping each run would grow without bound.
 */
export class MemoryJobRunStore implements JobRunStore {
  private readonly latestRuns = new Map<string, JobRun>()

  started(run: JobRun): Promise<void> {
    return this.record(run)
  }

  finished(run: JobRun): Promise<void> {
    return this.record(run)
  }

  latest(job: string): Promise<JobRun | null> {
    const run = this.latestRuns.get(job)
    return Promise.resolve(run ? structuredClone(run) : null)
  }

  private record(run: JobRun): Promise<void> {
    const latest = this.latestRuns.get(run.job)
    if (!latest || latest.started_at <= run.started_at) this.latestRuns.set(run.job, structuredClone(run))
    return Promise.resolve()
  }
}
