import { lowerBound } from '../shared/lower-bound.js'
import type { FeedEntry, FeedEvent, FeedStream } from './feed-stream.js'

export interface MemoryFeedStreamOptions {
  /**
   * Reads the events after a position from where they are kept anyway (the event store, in
   * one process with this stream): the stream then holds only the newest `recent` entries
   * itself and takes older ones from here, so MAXLEN costs no memory of its own.
   */
  history?: (after: number, count: number) => Promise<FeedEvent[]>
  /** Entries held in memory when `history` is given (default 1 024). */
  recent?: number
}

/**
 * The feed stream in memory (embedded mode): same semantics as the Redis stream, one process.
 * Held entries are `entries[start..]`. Trimming clears the slots it drops (nothing stays
 * reachable) and only moves `start`; the cleared prefix is cut off in one copy once it is
 * as long as what is held, so an append costs O(1) amortised even at MAXLEN 100 000.
 */
export class MemoryFeedStream implements FeedStream {
  private entries: (FeedEntry | undefined)[] = []
  private start = 0
  /** The oldest position MAXLEN still keeps (with `history`, older than what is held in memory). */
  private keptFrom = 0

  constructor(private readonly options: MemoryFeedStreamOptions = {}) {}
  private waiters = new Set<() => void>()

  top(): Promise<FeedEntry | null> {
    return Promise.resolve(this.entries.at(-1) ?? null)
  }

  reset(): Promise<void> {
    this.entries = []
    this.start = 0
    this.keptFrom = 0
    return Promise.resolve()
  }

  append(entries: readonly FeedEntry[], maxLength: number): Promise<void> {
    for (const entry of entries) {
      if (entry.position <= (this.entries.at(-1)?.position ?? 0)) continue
      if (this.keptFrom === 0) this.keptFrom = entry.position
      this.entries.push(entry)
    }
    const last = this.entries.at(-1)?.position ?? 0
    // (a MAXLEN below 1 keeps everything, as it always has)
    if (maxLength >= 1) this.keptFrom = Math.max(this.keptFrom, last - maxLength + 1)
    const held = this.options.history ? Math.min(maxLength, this.options.recent ?? 1024) : maxLength
    const excess = this.entries.length - this.start - held
    if (held >= 1 && excess > 0) this.trim(excess)
    for (const wake of this.waiters) wake()
    return Promise.resolve()
  }

  async read(after: number, count: number, blockMs: number): Promise<FeedEntry[]> {
    const found = this.after(after, count)
    if (found.length > 0 || blockMs <= 0) return found
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, blockMs)
      this.waiters.add(done)
    })
    return this.after(after, count)
  }

  async range(after: number, count: number): Promise<FeedEntry[] | 'trimmed'> {
    const held = this.entries[this.start]?.position
    if (held === undefined || held <= after + 1) return this.after(after, count)
    const { history } = this.options
    if (!history || this.keptFrom > after + 1) return 'trimmed'
    const older = (await history(after, Math.min(count, held - 1 - after))).filter((event) => event.position < held)
    const entries = older.map((event) => ({ position: event.position, event }))
    return entries.length < count
      ? [...entries, ...this.after(entries.at(-1)?.position ?? after, count - entries.length)]
      : entries
  }

  /** Nothing to do: every append already trims to its `maxLength`. */
  trimTo(_maxLength: number): Promise<number> {
    return Promise.resolve(0)
  }

  lastPosition(): Promise<number> {
    return Promise.resolve(this.entries.at(-1)?.position ?? 0)
  }

  close(): Promise<void> {
    for (const wake of this.waiters) wake()
    return Promise.resolve()
  }

  private after(after: number, count: number): FeedEntry[] {
    const first = lowerBound(this.entries, (entry) => (entry?.position ?? 0) > after, this.start)
    return this.entries.slice(first, first + count) as FeedEntry[] // every slot from `start` on holds an entry
  }

  /** Drops the `count` oldest kept entries. */
  private trim(count: number): void {
    const end = this.start + count
    this.entries.fill(undefined, this.start, end)
    this.start = end
    if (this.start >= this.entries.length - this.start) {
      this.entries = this.entries.slice(this.start)
      this.start = 0
    }
  }
}
