/** How long a caller leaves Redis alone after it failed to answer. */
export const REDIS_BACK_OFF_MS = 5000

/**
 * A caller's memory of Redis failing: after a failure (a refused connection, a command
 * timeout), `open()` is false for `REDIS_BACK_OFF_MS`, so a stalled Redis costs one command
 * timeout per back-off, not one per call, and the caller serves from its fallback meanwhile.
 */
export interface RedisBackOff {
  /** Whether Redis may be asked now. */
  open(): boolean
  /** Redis just failed to answer. */
  failed(): void
}

export function redisBackOff(ms = REDIS_BACK_OFF_MS): RedisBackOff {
  let closedUntil = 0
  return {
    open: () => Date.now() >= closedUntil,
    failed() {
      closedUntil = Date.now() + ms
    },
  }
}
