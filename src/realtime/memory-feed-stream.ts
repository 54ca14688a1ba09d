import { randomUUID } from 'node:crypto'
import { lowerBound } from '../shared/lower-bound.js'
import type { FeedEntry, FeedStream } from './feed-stream.js'

/** The feed stream in memory (embedded mode): same semantics as the Redis stream, one process. */
export class MemoryFeedStream implements FeedStream {
  private entries: FeedEntry[] = []
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
    if (this.entries.length > maxLength) this.entries = this.entries.slice(-maxLength)
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
    const first = this.entries[0]?.position
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
    const first = lowerBound(this.entries, (entry) => entry.position > after)
    return this.entries.slice(first, first + count)
  }
}
