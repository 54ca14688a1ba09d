import type { JobDetails } from './job.js'

/**
 * How a run ended: `running` until it does; `lost-lock` when its lock was lost and it stopped
 * writing; `abandoned` when its instance stopped first (shutdown). A run whose instance died
 * stays `running`, its `finished_at` null.
 */
export const RUN_OUTCOMES = ['running', 'ok', 'failed', 'lost-lock', 'abandoned'] as const
export type RunOutcome = (typeof RUN_OUTCOMES)[number]

/** One run of one occurrence of a job, on one instance. */
export interface JobRun {
  id: string
  job: string
  occurrence: string
  instance: string
  started_at: Date
  finished_at: Date | null
  duration_ms: number | null
  outcome: RunOutcome
  details: JobDetails
  /** Why it failed (the error's message). */
  error?: string
}

/**
 * Where runs are recorded: MongoDB `job_runs` (one document per run) and `job_last_runs` (the
 * latest run of each job, so the admin listing is a lookup by name), or memory.
 */
export interface JobRunStore {
  /** Records a run as it starts (outcome `running`). */
  started(run: JobRun): Promise<void>
  /** Records how the run ended (the same `id`). */
  finished(run: JobRun): Promise<void>
  /** The most recently started run of `job`, as last recorded; null if it never ran. */
  latest(job: string): Promise<JobRun | null>
}
