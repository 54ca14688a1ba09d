import type { Redis } from 'ioredis'
import type { FeedEntry, FeedEvent, FeedStream } from './feed-stream.js'

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
  ) {}

  async top(): Promise<FeedEntry | null> {
    const [last] = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)
    return last ? toEntry(last) : null
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

  async read(after: number, count: number, blockMs: number): Promise<FeedEntry[]> {
    const reply = await this.reader.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, `${after}-0`)
    return (reply?.[0]?.[1] ?? []).map(toEntry)
  }

  async range(after: number, count: number): Promise<FeedEntry[] | 'trimmed'> {
    const [first] = await this.redis.xrange(this.key, '-', '+', 'COUNT', 1)
    if (first && positionOf(first[0]) > after + 1) return 'trimmed'
    return (await this.redis.xrange(this.key, `(${after}-0`, '+', 'COUNT', count)).map(toEntry)
  }

  async lastPosition(): Promise<number> {
    const [last] = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)
    return last ? positionOf(last[0]) : 0
  }

  async close(): Promise<void> {
    this.reader.disconnect()
    return Promise.resolve()
  }
}

function positionOf(id: string): number {
  return Number(id.split('-')[0])
}

function toEntry([id, fields]: [string, string[]]): FeedEntry {
  const value = (name: string) => fields[fields.indexOf(name) + 1] ?? ''
  return { position: positionOf(id), event: JSON.parse(value('event')) as FeedEvent }
}
