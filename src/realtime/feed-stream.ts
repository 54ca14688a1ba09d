import { type DomainEvent, EVENT_SCHEMAS, eventDataProblem } from '../events/catalog.js'
import type { StoredEvent } from '../events/envelope.js'

/** An event as real-time clients receive it (DESIGN §7: the seed's payload shape). */
export interface FeedEvent {
  event_id: string
  type: string
  data: unknown
  metadata: StoredEvent['metadata']
  position: number
}

export interface FeedEntry {
  position: number
  event: FeedEvent
}

/**
 * An entry as read back from the stream: `event` is null when the entry is not a valid
 * event of the catalogue at its position (reported by the stream, skipped by readers).
 */
export interface ReadEntry {
  position: number
  event: FeedEvent | null
}

/**
 * The relay's output and every instance's input: an append-only stream of events keyed by
 * global position (Redis stream `REDIS_STREAM`, or in memory when embedded). Entry ids are
 * positions, so writing an entry twice is refused by the stream itself.
 */
export interface FeedStream {
  /** The newest entry; null when the stream is empty (new, or its store lost its data). */
  top(): Promise<ReadEntry | null>
  /** Removes every entry: the stream was found holding entries that are not this store's. */
  reset(): Promise<void>
  /** Appends in order; entries at or below the stream's last position are skipped (already there). */
  append(entries: readonly FeedEntry[], maxLength: number): Promise<void>
  /** Entries after `after`, oldest first, waiting up to `blockMs` for at least one. */
  read(after: number, count: number, blockMs: number): Promise<ReadEntry[]>
  /** Entries after `after` without waiting; `trimmed` if some of them are no longer kept. */
  range(after: number, count: number): Promise<ReadEntry[] | 'trimmed'>
  /** Trims the stream to about `maxLength` entries (`MAXLEN ~`); resolves with how many it removed. */
  trimTo(maxLength: number): Promise<number>
  /** The last position in the stream (0 when empty). */
  lastPosition(): Promise<number>
  close(): Promise<void>
}

export function toFeedEvent(event: StoredEvent): FeedEvent {
  return { event_id: event.event_id, type: event.type, data: event.data, metadata: event.metadata, position: event.position }
}

/**
 * Why a value read from the stream at `position` is not an event of this catalogue (the
 * envelope, the type, the data against its schema), or null when it is one. Redis is
 * trusted infrastructure, but one bad entry must not stop the feed or reach clients.
 */
export function feedEventProblem(value: unknown, position: number): string | null {
  if (typeof value !== 'object' || value === null) return 'the entry is not a JSON object'
  const { event_id, type, data, metadata, position: claimed } = value as Record<string, unknown>
  if (typeof event_id !== 'string' || event_id === '') return 'event_id is missing'
  if (claimed !== position) return `its position (${String(claimed)}) is not the entry's (${position})`
  if (typeof type !== 'string' || !Object.hasOwn(EVENT_SCHEMAS, type)) return `unknown event type ${JSON.stringify(type)}`
  const { timestamp, source } = (metadata ?? {}) as Record<string, unknown>
  if (typeof timestamp !== 'string' || typeof source !== 'string') return 'metadata lacks timestamp or source'
  return eventDataProblem({ type, data } as DomainEvent)
}
