import type { ReadEvent } from '../events/envelope.js'
import type { EventStore } from '../events/event-store.js'

/**
 * How far an event's timestamp can be out of position order: instances' clocks a few seconds
 * apart, and an append stamped when asked for but stored when its turn came (up to its 10 s
 * timeout). The search reads this much beyond each end of the period and filters exactly.
 */
export const TIMESTAMP_MARGIN_MS = 60_000

const PAGE = 500

/**
 * The events stamped in [from, to), among positions 1…`upTo`, without reading the whole log:
 * global positions are dense and roughly time-ordered, so a binary search by timestamp
 * (point reads) finds where the period starts, less the margin, and the read goes forward
 * from there until the stamps are past its end plus the margin.
 */
export async function eventsStampedBetween(store: EventStore, from: number, to: number, upTo: number): Promise<ReadEvent[]> {
  const found: ReadEvent[] = []
  let after = (await firstStampedFrom(store, from - TIMESTAMP_MARGIN_MS, upTo)) - 1
  while (after < upTo) {
    const { events } = await store.readAll({ after, limit: Math.min(PAGE, upTo - after) })
    for (const event of events) {
      const at = Date.parse(event.metadata.timestamp)
      if (at >= to + TIMESTAMP_MARGIN_MS) return found
      if (at >= from && at < to) found.push(event)
    }
    const last = events.at(-1)
    if (!last) break
    after = last.position
  }
  return found
}

/** The lowest position in 1…`upTo` stamped at or after `at` (`upTo + 1` if none). */
async function firstStampedFrom(store: EventStore, at: number, upTo: number): Promise<number> {
  let low = 1
  let high = upTo + 1
  while (low < high) {
    const middle = Math.floor((low + high) / 2)
    const [event] = (await store.readAll({ after: middle - 1, limit: 1 })).events
    if (!event || Date.parse(event.metadata.timestamp) >= at) high = middle
    else low = middle + 1
  }
  return low
}
