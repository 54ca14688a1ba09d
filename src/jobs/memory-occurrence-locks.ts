import { DONE_TTL_MS, LOCK_TTL_MS, type Locked, type OccurrenceLocks } from './occurrence-locks.js'
import { LockLostError } from './job.js'

export interface MemoryLocksOptions {
  ttlMs?: number
  /** The clock expiries are judged on (tests share one between two schedulers). */
  now?: () => number
}

/**
 * Occurrence locks inside one process (the embedded mode, the unit tests). They behave like
 * the Redis ones: a lock expires unless its holder extends it, and a holder that could not
 * extend in time (its event loop was blocked past the TTL, or another holder took the expired
 * lock) has lost it, and its signal aborts.
 */
export class MemoryOccurrenceLocks implements OccurrenceLocks {
  private readonly held = new Map<string, { owner: symbol; expiresAt: number }>()
  /** Done marks and their expiry, oldest first (marks are added in time order). */
  private readonly done = new Map<string, number>()
  private readonly ttlMs: number
  private readonly now: () => number

  constructor(options: MemoryLocksOptions = {}) {
    this.ttlMs = options.ttlMs ?? LOCK_TTL_MS
    this.now = options.now ?? Date.now
  }

  async withLock<T>(key: string, routine: (signal: AbortSignal) => Promise<T>): Promise<Locked<T>> {
    const current = this.held.get(key)
    if (current && current.expiresAt > this.now()) return { held: false }
    const owner = Symbol(key)
    this.held.set(key, { owner, expiresAt: this.now() + this.ttlMs })
    const controller = new AbortController()
    const extend = setInterval(() => {
      const mine = this.held.get(key)
      if (mine?.owner === owner && mine.expiresAt > this.now()) {
        mine.expiresAt = this.now() + this.ttlMs
        return
      }
      clearInterval(extend)
      controller.abort(new LockLostError(key))
    }, this.ttlMs / 3)
    extend.unref()
    try {
      return { held: true, value: await routine(controller.signal) }
    } finally {
      clearInterval(extend)
      if (this.held.get(key)?.owner === owner) this.held.delete(key)
    }
  }

  isDone(key: string): Promise<boolean> {
    return Promise.resolve((this.done.get(key) ?? 0) > this.now())
  }

  markDone(key: string): Promise<void> {
    for (const [old, expiresAt] of this.done) {
      if (expiresAt > this.now()) break
      this.done.delete(old)
    }
    this.done.set(key, this.now() + DONE_TTL_MS)
    return Promise.resolve()
  }
}
