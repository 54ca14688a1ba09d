import { AppError } from '../shared/errors.js'

/**
 * Lock lifetime. The holder extends it while the run goes on (halfway through each term), so
 * a live run keeps it for as long as it needs, and the lock of an instance that died frees
 * itself within this.
 */
export const LOCK_TTL_MS = 10_000

/**
 * How long an occurrence stays marked done: far beyond any clock skew, retry or late timer
 * that could bring an instance back to it.
 */
export const DONE_TTL_MS = 2 * 24 * 3_600_000

export type Locked<T> = { held: true; value: T } | { held: false }

/**
 * Per-occurrence exclusion across instances: a lock while a run goes on, and a "done" mark
 * once it succeeded, both keyed by job and occurrence. Redis (redlock) when configured,
 * else in-process.
 */
export interface OccurrenceLocks {
  /**
   * Runs `routine` holding the lock `key`, extended while it runs; `signal` aborts when the lock
   * is lost. `{ held: false }`, without running it, when another holder has the lock. Throws
   * `LockUnavailableError` when the lock cannot be asked for at all.
   */
  withLock<T>(key: string, routine: (signal: AbortSignal) => Promise<T>): Promise<Locked<T>>
  /** True once `markDone(key)` was called (for `DONE_TTL_MS`). */
  isDone(key: string): Promise<boolean>
  markDone(key: string): Promise<void>
}

/** The lock service (Redis) did not answer: nobody can tell whether another instance runs the occurrence. */
export class LockUnavailableError extends AppError {
  constructor(key: string, cause: unknown) {
    super('unavailable', 'JOB.LOCK_UNAVAILABLE', `Cannot take the lock of ${key}: Redis is not answering`, { cause })
  }
}
