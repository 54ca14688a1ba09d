import type { EventFeed } from '../consumers/event-feed.js'
import type { LeaseStore } from '../consumers/leases.js'
import {
  CONSUMER_CHECKPOINT_MS,
  CONSUMER_LINGER_MS,
  type BatchHandler,
  type Subscription,
  startSubscription,
} from '../consumers/subscription.js'
import type { StoredEvent } from '../events/envelope.js'
import type { EventStore } from '../events/event-store.js'
import { type FeedEntry, type FeedStream, type ReadEntry, toFeedEvent } from './feed-stream.js'

export interface RelayOptions {
  store: EventStore
  stream: FeedStream
  /** Entries the stream keeps (`MAXLEN ~`); also how much history is re-sent into a lost stream. */
  maxLength: number
  /** The stream's newest entry was not this store's event: it is about to be emptied and refilled. */
  onForeignStream?: (top: ReadEntry) => void
}

export interface StartRelayOptions extends RelayOptions {
  leases: LeaseStore
  /** This process in lease records (see `holderId`). */
  holder: string
  /** This process's shared reader of the event store. */
  feed: EventFeed
  onError: (error: unknown) => void
}

/** Starts the relay: the catch-up subscription `relay`, a singleton across instances by its lease. */
export function startRelay(options: StartRelayOptions): Subscription {
  const handle = relayHandler(options)
  return startSubscription({
    name: 'relay',
    store: options.store,
    leases: options.leases,
    holder: options.holder,
    handle,
    // Also while nothing happens: a Redis that restarted empty gets its history back at once.
    onIdle: (lease) => handle([], lease),
    feed: options.feed,
    lingerMs: CONSUMER_LINGER_MS,
    checkpointMs: CONSUMER_CHECKPOINT_MS,
    onError: options.onError,
  })
}

/**
 * The relay's batch handler: writes each event to the feed stream under its position. After a
 * crash between writing and checkpointing, the batch is written again and the stream refuses
 * what it already holds, so every event is there exactly once.
 *
 * Before writing, it looks at the stream's newest entry:
 * - none (a new stream, or Redis restarted without its data) or one older than the event
 *   before this batch: the missing history — at most `maxLength` events — is written back
 *   first, so clients resuming from a recent position get exactly what they missed;
 * - one that is not this store's event at that position (another database's stream, a
 *   restored backup): reported through `onForeignStream`, the stream is emptied and refilled,
 *   since positions the stream already holds would otherwise be refused silently.
 * The newest entry it wrote itself is remembered, so the usual batch costs one `XREVRANGE`.
 * Called with no events (while idle), it makes sure the stream holds everything up to the
 * checkpoint.
 */
export function relayHandler(options: RelayOptions): BatchHandler {
  const { store, stream, maxLength } = options
  let written: FeedEntry | undefined

  async function isOurs(top: ReadEntry): Promise<boolean> {
    if (!top.event) return false
    if (written?.position === top.position) return written.event.event_id === top.event.event_id
    const { events } = await store.readAll({ after: top.position - 1, limit: 1 })
    const ours = events[0]
    return ours?.position === top.position && ours.event_id === top.event.event_id
  }

  /** Writes the events after `after` and before `before`, the newest `maxLength` of them. */
  async function refill(after: number, before: number): Promise<void> {
    for (let from = Math.max(after, before - 1 - maxLength); from < before - 1;) {
      const { events, position } = await store.readAll({ after: from, limit: 500 })
      const earlier = events.filter((e) => e.position < before)
      if (earlier.length === 0) break
      await stream.append(earlier.map(entry), maxLength)
      from = position
    }
  }

  // Called with no events when idle: the stream must then hold everything up to the checkpoint.
  return async (events, lease) => {
    const from = events[0]?.position ?? lease.position + 1
    let top = await stream.top()
    if (top && !(await isOurs(top))) {
      options.onForeignStream?.(top)
      await stream.reset()
      top = null
    }
    if ((top?.position ?? 0) < from - 1) await refill(top?.position ?? 0, from)
    const last = events.at(-1)
    if (!last) return
    await stream.append(events.map(entry), maxLength)
    written = entry(last)
  }
}

function entry(event: StoredEvent): FeedEntry {
  return { position: event.position, event: toFeedEvent(event) }
}
