import { randomFillSync } from 'node:crypto'
import { monotonicFactory } from 'ulid'
import type { DomainEvent, OrderEvent, SkuEvent } from './catalog.js'

/** Metadata every stored event carries (DESIGN §3). */
export interface EventMetadata {
  /** ISO-8601 time the store accepted the commit. */
  timestamp: string
  /** INSTANCE_ID of the writer. */
  source: string
  /** The authenticated user who caused the event. */
  actor: string
  correlation_id: string
  causation_id?: string
}

/** An event a command wants to append: its type and its own payload. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type
  data: Data
}

/** An event as stored and published (the wire envelope of DESIGN §3). */
export interface StoredEvent<Type extends string = string, Data = unknown> {
  event_id: string
  type: Type
  stream: string
  version: number
  position: number
  data: Data
  metadata: EventMetadata
}

/**
 * An event as read back from the store, typed by the union `E` of the events the store
 * holds (the catalogue's `DomainEvent` by default): narrowing on `type` narrows `data`.
 * The event store is the one place that turns stored documents into these.
 */
export type ReadEvent<E extends NewEvent = DomainEvent> = E extends NewEvent ? StoredEvent<E['type'], E['data']> : never

export const isOrderEvent = (event: ReadEvent): event is ReadEvent<OrderEvent> => event.type.startsWith('order.')
export const isSkuEvent = (event: ReadEvent): event is ReadEvent<SkuEvent> => event.type.startsWith('sku.')

/**
 * ulid's default random source asks the OS for one byte per character (16 calls per id);
 * this one draws the same crypto-grade bytes 4 KiB at a time.
 */
function bufferedRandom(): () => number {
  const buffer = Buffer.alloc(4096)
  let next = buffer.length
  return () => {
    if (next === buffer.length) {
      randomFillSync(buffer)
      next = 0
    }
    return (buffer[next++] ?? 0) / 256
  }
}

const ulid = monotonicFactory(bufferedRandom())

/** A new `evt_<ULID>` identifier; monotonic within this process. */
export function newEventId(): string {
  return `evt_${ulid()}`
}

export const EVENT_ID_PATTERN = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/

/** Stream names are `<aggregate>-<id>`, e.g. `order-ORD-00001` or `sku-ABC-1`. */
export const STREAM_NAME_PATTERN = /^[a-z][a-z0-9_]*-[A-Za-z0-9_-]{1,64}$/
