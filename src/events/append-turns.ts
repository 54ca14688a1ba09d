/**
 * Turns at appending, shared by every instance on one store (see `commit-writer.ts`).
 *
 * Positions are taken optimistically: correctness never depends on turns. But instances that
 * race for the next position on a store with a round trip of 10–50 ms mostly lose, and each
 * loss costs reads: measured with three instances on FerretDB, the total rate fell from 100 to
 * 11 orders/s. With turns, one writer at a time inserts — each writing everything it has
 * queued — and passes the turn on with the last position it wrote, so the next one neither
 * collides nor reads the head first. Waiters are served in arrival order, so every instance
 * gets its share.
 */
export interface AppendTurns {
  /** Waits for this process's turn (bounded); resolves with it, or null to write without one. */
  take(timeoutMs: number): Promise<AppendTurn | null>
}

export interface AppendTurn {
  /** The last position the previous holder saw stored; undefined when not known. */
  readonly lastPosition: number | undefined
  /** Passes the turn on, with the last position this holder saw stored (if known). */
  release(lastPosition: number | undefined): Promise<void>
}
