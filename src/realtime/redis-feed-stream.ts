import type { Redis } from 'ioredis'
import { type FeedEntry, type FeedEvent, type FeedStream, type ReadEntry, feedEventProblem } from './feed-stream.js'

const ALREADY_THERE = /equal or smaller than the target stream top item/

/**
 * The feed stream in Redis: `XADD <stream> MAXLEN ~ <n> <position>-0 event <json>` (never
 * `*`: a re-sent entry is refused by Redis). `redis` should not queue commands while it is
 * disconnected (`enableOfflineQueue: false`): a write replayed after Redis restarted empty
 * would land before the history the relay writes back first. Reads use a connection of
 * their own, because `XREAD BLOCK` holds it.
 */
export class RedisFeedStream implements FeedStream {
  constructor(
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly key: string,
    /** Told of every entry read that is not a valid event (it is then skipped). */
    private readonly onInvalid: (position: number, problem: string) => void = () => undefined,
  ) {}

  async top(): Promise<ReadEntry | null> {
    const [last] = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)
    return last ? this.toEntry(last) : null
  }

  async reset(): Promise<void> {
    await this.redis.del(this.key)
  }

  async append(entries: readonly FeedEntry[], maxLength: number): Promise<void> {
    if (entries.length === 0) return
    const pipeline = this.redis.pipeline()
    for (const entry of entries) {
      pipeline.xadd(this.key, 'MAXLEN', '~', maxLength, `${entry.position}-0`, 'event', JSON.stringify(entry.event))
    }
    for (const [error] of (await pipeline.exec()) ?? []) {
      if (error && !ALREADY_THERE.test(error.message)) throw error
    }
  }

  async read(after: number, count: number, blockMs: number): Promise<ReadEntry[]> {
    const reply = await this.reader.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, `${after}-0`)
    return (reply?.[0]?.[1] ?? []).map((entry) => this.toEntry(entry))
  }

  async range(after: number, count: number): Promise<ReadEntry[] | 'trimmed'> {
    const [first] = await this.redis.xrange(this.key, '-', '+', 'COUNT', 1)
    if (first && positionOf(first[0]) > after + 1) return 'trimmed'
    return (await this.redis.xrange(this.key, `(${after}-0`, '+', 'COUNT', count)).map((entry) => this.toEntry(entry))
  }

  async trimTo(maxLength: number): Promise<number> {
    return this.redis.xtrim(this.key, 'MAXLEN', '~', maxLength)
  }

  async lastPosition(): Promise<number> {
    const [last] = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)
    return last ? positionOf(last[0]) : 0
  }

  async close(): Promise<void> {
    this.reader.disconnect()
    return Promise.resolve()
  }

  /** The entry's event if it is a valid one at its position; else null, reported. */
  private toEntry([id, fields]: [string, string[]]): ReadEntry {
    const position = positionOf(id)
    const at = fields.indexOf('event')
    let event: unknown
    try {
      event = at % 2 === 0 ? JSON.parse(fields[at + 1] ?? '') : undefined
    } catch {
      event = undefined
    }
    const problem = event === undefined ? 'the entry is not JSON' : feedEventProblem(event, position)
    if (problem === null) return { position, event: event as FeedEvent }
    this.onInvalid(position, problem)
    return { position, event: null }
  }
}

function positionOf(id: string): number {
  return Number(id.split('-')[0])
}
