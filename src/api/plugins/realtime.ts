import fp from 'fastify-plugin'
import { holderId } from '../../consumers/leases.js'
import { CONSUMER_STOP_GRACE_MS, type Subscription } from '../../consumers/subscription.js'
import { type FeedStream, toFeedEvent } from '../../realtime/feed-stream.js'
import { FeedHub } from '../../realtime/hub.js'
import { MemoryFeedStream } from '../../realtime/memory-feed-stream.js'
import { RedisFeedStream } from '../../realtime/redis-feed-stream.js'
import { startRelay } from '../../realtime/relay.js'

export interface RealtimeStats {
  /** Real-time clients connected to this instance (both transports). */
  clients: number
  /** Events stored but not yet relayed to the stream, as far as this instance knows. */
  relay_lag: number
  /** Entries this instance read from the stream that were not valid events (skipped). */
  invalid_entries: number
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The feed: its stream (Redis or memory), the relay writing it, this instance's hub reading it. */
    realtime: { hub: FeedHub; relay: Subscription; stream: FeedStream; stats(): Promise<RealtimeStats> }
  }
}

const READ_BLOCK_MS = 5000

/**
 * Real time (DESIGN §7): the relay (a singleton catch-up subscription) writes events to the
 * feed stream — the Redis stream REDIS_STREAM, or memory when embedded — and every
 * instance's hub reads that stream and delivers to its own clients (see `socket-io.ts`
 * and the `/api/events/ws` route).
 */
export default fp(
  async (app) => {
    const { redisStream, redisStreamMaxLength } = app.config
    // XREAD BLOCK holds a connection of its own; its errors are reported by the hub.
    const reader = app.redis?.duplicate({ commandTimeout: READ_BLOCK_MS + 5000 })
    reader?.on('error', () => undefined)
    // Writes fail at once while Redis is away instead of being replayed out of order later.
    const writer = app.redis?.duplicate({ enableOfflineQueue: false, commandTimeout: 5000 })
    writer?.on('error', () => undefined)
    await writer?.connect().catch(() => undefined) // (down now: it keeps reconnecting in the background)
    let invalidEntries = 0
    const stream: FeedStream =
      writer && reader
        ? new RedisFeedStream(writer, reader, redisStream, (position, problem) => {
            invalidEntries++
            app.metrics.realtimeInvalidEntries.inc()
            app.log.error(
              { stream: redisStream, position, problem },
              'real-time feed: skipped an entry that is not a valid event',
            )
          })
        : new MemoryFeedStream({
            // The embedded feed reads old entries from the event store rather than keeping copies.
            history: async (after, count) => (await app.eventStore.readAll({ after, limit: count })).events.map(toFeedEvent),
          })

    const relay = startRelay({
      store: app.eventStore,
      stream,
      maxLength: redisStreamMaxLength,
      leases: app.storage.leases,
      holder: holderId(app.config.instanceId, 'relay'),
      feed: app.eventFeed,
      onError: (error) => {
        app.log.warn({ err: error }, 'relay: cannot write to the event stream yet; will retry from its checkpoint')
        app.reportError(error, { source: 'relay' })
      },
      onForeignStream: (top) => {
        app.log.error(
          { stream: redisStream, position: top.position, event_id: top.event?.event_id },
          "relay: the event stream holds entries that are not this event store's (another database, or a restored backup); emptying it and writing this store's recent events",
        )
      },
    })

    const hub = new FeedHub(stream, {
      blockMs: READ_BLOCK_MS,
      head: () => app.eventStore.headPosition(),
      onError: (error) => {
        app.log.warn({ err: error }, 'real-time feed: cannot read the event stream; retrying')
        app.reportError(error, { source: 'realtime-hub' })
      },
    })
    hub.start()

    app.decorate('realtime', {
      hub,
      relay,
      stream,
      async stats() {
        return {
          clients: hub.clients,
          relay_lag: Math.max(0, (await app.eventStore.headPosition()) - relay.position),
          invalid_entries: invalidEntries,
        }
      },
    })
    app.addHook('onClose', async () => {
      if (!(await relay.stop(CONSUMER_STOP_GRACE_MS))) {
        app.log.warn(
          { grace_ms: CONSUMER_STOP_GRACE_MS },
          'relay: MongoDB or Redis did not answer while stopping; its lease passes on when it expires',
        )
      }
      await hub.stop()
      writer?.disconnect()
    })
  },
  { name: 'realtime', dependencies: ['event-store', 'storage', 'redis', 'event-feed', 'metrics', 'error-tracking'] },
)
