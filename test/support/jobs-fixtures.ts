import { type Job, type JobContext, type JobDetails, type JobLog } from '../../src/jobs/job.js'
import { createJobRunner } from '../../src/jobs/job-runner.js'
import type { JobRun, JobRunStore } from '../../src/jobs/job-runs.js'
import { MemoryJobRunStore } from '../../src/jobs/memory-job-run-store.js'
import type { OccurrenceLocks } from '../../src/jobs/occurrence-locks.js'

/** A log that keeps its lines (message and fields), for assertions. */
export function recordingLog(): JobLog & { lines: { level: string; message: string; fields: object }[] } {
  const lines: { level: string; message: string; fields: object }[] = []
  const at = (level: string) => (fields: object, message: string) => {
    lines.push({ level, message, fields })
  }
  return { lines, info: at('info'), warn: at('warn'), error: at('error') }
}

/** A run store that also keeps every finished run, in order (the memory store keeps only the latest). */
export function recordingRunStore(): JobRunStore & { finishedRuns: JobRun[] } {
  const inner = new MemoryJobRunStore()
  const finishedRuns: JobRun[] = []
  return {
    finishedRuns,
    started: (run) => inner.started(run),
    async finished(run) {
      finishedRuns.push(structuredClone(run))
      await inner.finished(run)
    },
    latest: (job) => inner.latest(job),
  }
}

/** One instance's runner over shared locks and records (several make a cluster in one process). */
export function instanceRunner(instance: string, locks: OccurrenceLocks, runs: JobRunStore) {
  return createJobRunner({ locks, runs, instance, log: recordingLog() })
}

/** A job whose runs do what the test says, one call per run. */
export function scriptedJob(name: string, run: (context: JobContext) => Promise<JobDetails>, schedule = '0 0 1 1 *'): Job {
  return { name, schedule, run }
}
