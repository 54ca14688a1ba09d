import type { EventFeed } from '../consumers/event-feed.js'
import type { LeaseStore } from '../consumers/leases.js'
import { CONSUMER_LINGER_MS, type BatchHandler, type Subscription, startSubscription } from '../consumers/subscription.js'
import type { StoredEvent } from '../events/envelope.js'
import type { EventStore } from '../events/event-store.js'
import { type FeedEntry, type FeedStream, toFeedEvent } from './feed-stream.js'

export interface RelayOptions {
  store: EventStore
  stream: FeedStream
  /** Entries the stream keeps (`MAXLEN ~`); also how much history is re-sent into a lost stream. */
  maxLength: number
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
  return startSubscription({
    name: 'relay',
    store: options.store,
    leases: options.leases,
    holder: options.holder,
    handle: relayHandler(options),
    feed: options.feed,
    lingerMs: CONSUMER_LINGER_MS,
    onError: options.onError,
  })
}

/**
 * The relay's batch handler: writes each event to the feed stream under its position. After a
 * crash between writing and checkpointing, the batch is written again and the stream refuses
 * what it already holds, so every event is there exactly once. If the stream's store lost its
 * data (a new epoch), the recent history is written again first, so that clients resuming
 * from a recent position can still do so.
 */
export function relayHandler(options: RelayOptions): BatchHandler {
  return async (events) => {
    const first = events[0]
    if (!first) return
    const { epoch, created } = await options.stream.epoch()
    if (created && first.position > 1) {
      const from = Math.max(0, first.position - 1 - options.maxLength)
      let after = from
      while (after < first.position - 1) {
        const { events: history, position } = await options.store.readAll({ after, limit: 500 })
        const earlier = history.filter((e) => e.position < first.position)
        if (earlier.length === 0) break
        await options.stream.append(
          earlier.map((e) => entry(e, epoch)),
          options.maxLength,
        )
        after = position
      }
    }
    await options.stream.append(
      events.map((e) => entry(e, epoch)),
      options.maxLength,
    )
  }
}

function entry(event: StoredEvent, epoch: string): FeedEntry {
  return { position: event.position, event: toFeedEvent(event), epoch }
}
