import { randomUUID } from 'node:crypto'
import { lowerBound } from '../shared/lower-bound.js'
import type { FeedEntry, FeedStream } from './feed-stream.js'

/**
 * The feed stream in memory (embedded mode): same semantics as the Redis stream, one process.
 * Kept entries are `entries[start..]`. Trimming clears the slots it drops (nothing stays
 * reachable) and only moves `start`; the cleared prefix is cut off in one copy once it is
 * as long as what is kept, so an append costs O(1) amortised even at MAXLEN 100 000.
 */
export class MemoryFeedStream implements FeedStream {
  private entries: (FeedEntry | undefined)[] = []
  private start = 0
  private readonly epochId = randomUUID()
  private epochSeen = false
  private waiters = new Set<() => void>()

  epoch(): Promise<{ epoch: string; created: boolean }> {
    const created = !this.epochSeen
    this.epochSeen = true
    return Promise.resolve({ epoch: this.epochId, created })
  }

  append(entries: readonly FeedEntry[], maxLength: number): Promise<void> {
    for (const entry of entries) {
      if (entry.position <= (this.entries.at(-1)?.position ?? 0)) continue
      this.entries.push(entry)
    }
    const excess = this.entries.length - this.start - maxLength
    if (maxLength >= 1 && excess > 0) this.trim(excess) // (a MAXLEN below 1 keeps everything, as it always has)
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

  range(after: number, count: number): Promise<FeedEntry[] | 'trimmed'> {
    const first = this.entries[this.start]?.position
    if (first !== undefined && first > after + 1) return Promise.resolve('trimmed')
    return Promise.resolve(this.after(after, count))
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
