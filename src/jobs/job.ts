/** What a run reports about itself (kept in its run record): counts and a few labels. */
export type JobDetails = Record<string, string | number | boolean>

/** The log lines a job writes (pino's shape, so the service logger fits). */
export interface JobLog {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

export interface JobContext {
  /** The occurrence this run is for: the scheduled time (ISO), or `manual:<id>` for a run asked for now. */
  occurrence: string
  /** When the occurrence was due: the scheduled time, not the moment this instance's timer fired. */
  scheduledAt: Date
  /** Aborts when the run's lock is lost (or the instance stops): from then on the run must not write. */
  signal: AbortSignal
  log: JobLog
}

/** Work done once per occurrence of a schedule, on one instance of many. */
export interface Job {
  /** Stable name, also in lock keys, run records and the admin API (`reports.reconcile`). */
  readonly name: string
  /** A node-cron expression (seconds field optional), read in UTC. */
  readonly schedule: string
  run(context: JobContext): Promise<JobDetails>
}

/** The run's lock was lost (or the instance is stopping): it stopped before its next write. */
export class LockLostError extends Error {
  constructor(what: string) {
    super(`${what}: the lock was lost; stopped before writing`)
    this.name = 'LockLostError'
  }
}

/** Call before every write of a run: a run that lost its lock must not write any more. */
export function assertLocked(signal: AbortSignal, what = 'job'): void {
  if (signal.aborted) throw new LockLostError(what)
}

/** Resolves after `ms`, or as soon as `signal` aborts (then with the run's `LockLostError`). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer)
      reject(new LockLostError('job'))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop)
      resolve()
    }, ms)
    if (signal.aborted) stop()
    else signal.addEventListener('abort', stop, { once: true })
  })
}
