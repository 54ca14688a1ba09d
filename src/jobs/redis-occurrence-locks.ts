import type { Redis } from 'ioredis'
import { DONE_TTL_MS, LOCK_TTL_MS, type Locked, LockUnavailableError, type OccurrenceLocks } from './occurrence-locks.js'
import { ExecutionError, Redlock, ResourceLockedError } from './redlock.js'

/**
 * Occurrence locks in Redis: `<prefix>job:<key>` is a redlock lock (one Redis, so a quorum of
 * one), taken once without retrying — another instance holding it means that instance runs
 * the occurrence — and extended by `using` halfway through each term while the routine runs;
 * if an extension keeps failing until the lock expires, its AbortSignal aborts. Done marks
 * are plain keys `<prefix>job-done:<key>` with an expiry.
 */
export class RedisOccurrenceLocks implements OccurrenceLocks {
  private readonly redlock: Redlock

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = LOCK_TTL_MS,
  ) {
    // These settings are the extensions': a failed one is retried a few times before the next attempt.
    this.redlock = new Redlock([redis], { retryCount: 3, retryDelay: 200, retryJitter: 100 })
    // Every vote against is emitted here, an occurrence taken by another instance included; an
    // unreachable Redis surfaces as `LockUnavailableError`, an extension that cannot be made
    // as the routine's aborted signal. (Without a listener, the emit would throw.)
    this.redlock.on('error', () => undefined)
  }

  async withLock<T>(key: string, routine: (signal: AbortSignal) => Promise<T>): Promise<Locked<T>> {
    // Set inside the routine (a property, so the checks below are not narrowed away).
    const ran: { entered: boolean; result?: { value: T } } = { entered: false }
    try {
      const value = await this.redlock.using(
        [`${this.prefix}job:${key}`],
        this.ttlMs,
        { retryCount: 0, automaticExtensionThreshold: this.ttlMs / 2 },
        async (signal) => {
          ran.entered = true
          const value = await routine(signal)
          ran.result = { value }
          return value
        },
      )
      return { held: true, value }
    } catch (error) {
      // Only the release failed: harmless, the lock expires by itself.
      if (ran.result) return { held: true, value: ran.result.value }
      if (ran.entered) throw error
      if (await takenByAnother(error)) return { held: false }
      throw new LockUnavailableError(key, error)
    }
  }

  async isDone(key: string): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}job-done:${key}`)) === 1
  }

  async markDone(key: string): Promise<void> {
    await this.redis.set(`${this.prefix}job-done:${key}`, '1', 'PX', DONE_TTL_MS)
  }
}

/** The acquisition was refused because the key is locked (not because Redis failed). */
async function takenByAnother(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError)) return false
  const votes = await Promise.all(error.attempts)
  const against = votes.flatMap((vote) => [...vote.votesAgainst.values()])
  return against.length > 0 && against.every((reason) => reason instanceof ResourceLockedError)
}
