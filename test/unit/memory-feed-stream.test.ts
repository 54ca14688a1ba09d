import { describe, expect, it } from 'vitest'
import type { FeedEntry } from '../../src/realtime/feed-stream.js'
import { MemoryFeedStream } from '../../src/realtime/memory-feed-stream.js'

const metadata = { timestamp: '2026-01-01T00:00:00.000Z', source: 'test', actor: 'test', correlation_id: 'test' }
const entry = (position: number): FeedEntry => ({
  position,
  event: { event_id: `evt_${position}`, type: 'order.placed', data: { position }, metadata, position },
})
const positionsFrom = (found: FeedEntry[] | 'trimmed') => (found === 'trimmed' ? found : found.map((e) => e.position))
const range = (...positions: number[]) => positions.map(entry)

/** The stream as it was written first (copy the whole array on every trim): the semantics to keep. */
class ReferenceFeed {
  entries: FeedEntry[] = []
  append(batch: readonly FeedEntry[], maxLength: number) {
    for (const e of batch) if (e.position > (this.entries.at(-1)?.position ?? 0)) this.entries.push(e)
    if (this.entries.length > maxLength) this.entries = this.entries.slice(-maxLength)
  }
  range(after: number, count: number): number[] | 'trimmed' {
    const first = this.entries[0]?.position
    if (first !== undefined && first > after + 1) return 'trimmed'
    return this.entries
      .filter((e) => e.position > after)
      .slice(0, count)
      .map((e) => e.position)
  }
}

describe('embedded feed stream (MemoryFeedStream)', () => {
  it('keeps the last MAXLEN entries as it wraps around, and says trimmed exactly when an entry after `after` is gone', async () => {
    const feed = new MemoryFeedStream()
    for (let position = 1; position <= 5; position++) await feed.append([entry(position)], 3)
    expect(positionsFrom(await feed.range(0, 10))).toBe('trimmed')
    expect(positionsFrom(await feed.range(1, 10))).toBe('trimmed') // 2 is gone
    expect(positionsFrom(await feed.range(2, 10))).toEqual([3, 4, 5]) // first kept is after + 1
    expect(positionsFrom(await feed.read(0, 10, 0))).toEqual([3, 4, 5])
    expect(positionsFrom(await feed.read(3, 1, 0))).toEqual([4])
    expect(await feed.lastPosition()).toBe(5)

    for (let position = 6; position <= 20; position++) await feed.append([entry(position)], 3)
    expect(positionsFrom(await feed.range(17, 10))).toEqual([18, 19, 20])
    expect(positionsFrom(await feed.range(16, 10))).toBe('trimmed')
    expect(positionsFrom(await feed.read(18, 10, 0))).toEqual([19, 20])
    expect(positionsFrom(await feed.range(20, 10))).toEqual([])

    await feed.append(range(19, 20, 21), 3) // already there: skipped
    expect(positionsFrom(await feed.read(0, 10, 0))).toEqual([19, 20, 21])
    await feed.append(range(22, 23, 24, 25, 26, 27, 28), 3) // one batch longer than MAXLEN
    expect(positionsFrom(await feed.range(25, 10))).toEqual([26, 27, 28])
    expect(positionsFrom(await feed.range(24, 10))).toBe('trimmed')
    expect(await feed.lastPosition()).toBe(28)
  })

  it('answers like the copying implementation through many wrap-arounds (batches, gaps, repeats)', async () => {
    let seed = 42
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    for (const maxLength of [1, 2, 5, 64]) {
      const feed = new MemoryFeedStream()
      const reference = new ReferenceFeed()
      let last = 0
      for (let step = 0; step < 400; step++) {
        // Some positions again (skipped), then new ones with gaps, as the relay may send them.
        const batch = range(...Array.from({ length: random(4) }, () => Math.max(1, last - random(3))))
        for (let i = random(2 * maxLength + 2); i > 0; i--) batch.push(entry((last += 1 + random(3))))
        await feed.append(batch, maxLength)
        reference.append(batch, maxLength)
        const after = Math.max(0, last - random(maxLength * 4 + 4))
        const count = 1 + random(maxLength + 2)
        expect(positionsFrom(await feed.range(after, count))).toEqual(reference.range(after, count))
        const read = reference.range(after, count)
        if (read !== 'trimmed') expect(positionsFrom(await feed.read(after, count, 0))).toEqual(read)
        expect(await feed.lastPosition()).toBe(reference.entries.at(-1)?.position ?? 0)
      }
    }
  })

  it('wakes a blocked read when an append arrives after wrap-around', async () => {
    const feed = new MemoryFeedStream()
    for (let position = 1; position <= 10; position++) await feed.append([entry(position)], 4)
    const waiting = feed.read(10, 5, 10_000)
    await feed.append([entry(11)], 4)
    expect(positionsFrom(await waiting)).toEqual([11])
    expect(positionsFrom(await feed.read(0, 10, 0))).toEqual([8, 9, 10, 11])
  })

  it('with a history, holds only the newest entries and answers older ones from it, trimmed at MAXLEN as before', async () => {
    const all = Array.from({ length: 50 }, (_, i) => entry(i + 1))
    const asked: [number, number][] = []
    const feed = new MemoryFeedStream({
      recent: 5,
      history: (after, count) => {
        asked.push([after, count])
        return Promise.resolve(
          all
            .filter((e) => e.position > after)
            .slice(0, count)
            .map((e) => e.event),
        )
      },
    })
    for (const e of all) await feed.append([e], 20)
    const reference = new ReferenceFeed()
    for (const e of all) reference.append([e], 20)
    for (const after of [0, 29, 30, 31, 40, 44, 45, 46, 49, 50]) {
      for (const count of [1, 3, 10, 100]) {
        expect(positionsFrom(await feed.range(after, count)), `range(${after}, ${count})`).toEqual(reference.range(after, count))
      }
    }
    expect(asked.length).toBeGreaterThan(0) // older entries came from the history
    expect(positionsFrom(await feed.read(47, 10, 0))).toEqual([48, 49, 50])
  })
})
