import { ulid } from 'ulid'
import type { Job, JobLog } from './job.js'
import type { JobRun, JobRunStore, RunOutcome } from './job-runs.js'
import type { OccurrenceLocks } from './occurrence-locks.js'
import { finishesWithin } from '../shared/finishes-within.js'

export interface JobRunnerOptions {
  locks: OccurrenceLocks
  runs: JobRunStore
  /** This instance in run records (INSTANCE_ID). */
  instance: string
  log: JobLog
  now?: () => Date
  /** Told of every finished run (metrics). */
  onFinished?: (run: JobRun) => void
}

/** What became of one instance's turn at an occurrence. */
export type Attempt = { ran: false; reason: 'taken' | 'done' } | { ran: true; run: JobRun }

export type JobRunner = ReturnType<typeof createJobRunner>

/**
 * Runs occurrences of jobs so that each runs once across all instances, however far apart
 * their clocks fire: the occurrence's lock (held by one instance at a time) and, inside it,
 * its done mark (set once a run succeeded) are both keyed by the job and the *scheduled*
 * time. An instance whose timer fires while another runs the occurrence finds the lock taken;
 * one that fires after it finished finds the mark. A failed run sets no mark, so an instance
 * firing later still tries; a run whose instance died holds the lock until it expires.
 */
export function createJobRunner(options: JobRunnerOptions) {
  const now = options.now ?? (() => new Date())
  const { locks, runs, log } = options
  /** Aborts the runs in hand when the instance stops (after a grace period). */
  const stopping = new AbortController()
  const inHand = new Set<Promise<unknown>>()

  async function attempt(job: Job, occurrence: string, scheduledAt: Date): Promise<Attempt> {
    const key = `${job.name}:${occurrence}`
    const locked = await locks.withLock(key, async (lockSignal): Promise<Attempt> => {
      if (await locks.isDone(key)) return { ran: false, reason: 'done' }
      const started = now()
      const run: JobRun = {
        id: ulid(),
        job: job.name,
        occurrence,
        instance: options.instance,
        started_at: started,
        finished_at: null,
        duration_ms: null,
        outcome: 'running',
        details: {},
      }
      await runs.started(run)
      const signal = AbortSignal.any([lockSignal, stopping.signal])
      let ended: Pick<JobRun, 'outcome' | 'details' | 'error'>
      try {
        const details = await job.run({ occurrence, scheduledAt, signal, log })
        ended = { outcome: signal.aborted ? interrupted(lockSignal) : 'ok', details }
        if (ended.outcome === 'ok') await locks.markDone(key)
      } catch (error) {
        ended = signal.aborted ? { outcome: interrupted(lockSignal), details: {} } : failed(error)
      }
      const finishedAt = now()
      const finished: JobRun = {
        ...run,
        ...ended,
        finished_at: finishedAt,
        duration_ms: finishedAt.getTime() - started.getTime(),
      }
      await runs.finished(finished)
      options.onFinished?.(finished)
      const fields = {
        job: job.name,
        occurrence,
        outcome: finished.outcome,
        duration_ms: finished.duration_ms,
        details: finished.details,
      }
      if (finished.outcome === 'ok') log.info(fields, 'job run finished')
      else log.warn({ ...fields, error: finished.error }, 'job run did not finish')
      return { ran: true, run: finished }
    })
    return locked.held ? locked.value : { ran: false, reason: 'taken' }
  }

  return {
    /** Runs `job`'s occurrence `occurrence` here unless another instance runs or ran it. */
    runOccurrence(job: Job, occurrence: string, scheduledAt: Date): Promise<Attempt> {
      const running = attempt(job, occurrence, scheduledAt)
      inHand.add(running)
      void running.catch(() => undefined).finally(() => inHand.delete(running))
      return running
    },
    /**
     * Lets the runs in hand finish for up to `graceMs`, then aborts them: they stop writing,
     * are recorded `abandoned` and release their locks (bounded by another `graceMs`).
     */
    async stop(graceMs: number): Promise<void> {
      const settled = () => Promise.allSettled([...inHand])
      if (await finishesWithin(settled(), graceMs)) return
      stopping.abort()
      await finishesWithin(settled(), graceMs)
    },
  }
}

const interrupted = (lockSignal: AbortSignal): RunOutcome => (lockSignal.aborted ? 'lost-lock' : 'abandoned')
const failed = (error: unknown) => ({ outcome: 'failed' as const, details: {}, error: (error as Error).message })
