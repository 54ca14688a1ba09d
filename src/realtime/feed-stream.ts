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
 * The relay's output and every instance's input: an append-only stream of events keyed by
 * global position (Redis stream `REDIS_STREAM`, or in memory when embedded). Entry ids are
 * positions, so writing an entry twice is refused by the stream itself.
 */
export interface FeedStream {
  /** The newest entry; null when the stream is empty (new, or its store lost its data). */
  top(): Promise<FeedEntry | null>
  /** Removes every entry: the stream was found holding entries that are not this store's. */
  reset(): Promise<void>
  /** Appends in order; entries at or below the stream's last position are skipped (already there). */
  append(entries: readonly FeedEntry[], maxLength: number): Promise<void>
  /** Entries after `after`, oldest first, waiting up to `blockMs` for at least one. */
  read(after: number, count: number, blockMs: number): Promise<FeedEntry[]>
  /** Entries after `after` without waiting; `trimmed` if some of them are no longer kept. */
  range(after: number, count: number): Promise<FeedEntry[] | 'trimmed'>
  /** The last position in the stream (0 when empty). */
  lastPosition(): Promise<number>
  close(): Promise<void>
}

export function toFeedEvent(event: StoredEvent): FeedEvent {
  return { event_id: event.event_id, type: event.type, data: event.data, metadata: event.metadata, position: event.position }
}
