import { once } from 'node:events'
import { createAdapter } from '@socket.io/redis-adapter'
import websocket from '@fastify/websocket'
import fp from 'fastify-plugin'
import { Server } from 'socket.io'
import { startSubscription, type Subscription } from '../../projections/subscription.js'
import type { FeedStream } from '../../realtime/feed-stream.js'
import { FeedHub } from '../../realtime/hub.js'
import { MemoryFeedStream } from '../../realtime/memory-feed-stream.js'
import { RedisFeedStream } from '../../realtime/redis-feed-stream.js'
import { relayHandler } from '../../realtime/relay.js'
import { attachSocketIo } from '../../realtime/socket-io.js'
import { registerWebSocketFeed } from '../routes/events-ws.js'

export interface RealtimeStats {
  /** Real-time clients connected to this instance (both transports). */
  clients: number
  /** Events stored but not yet relayed to the stream, as far as this instance knows. */
  relay_lag: number
}

declare module 'fastify' {
  interface FastifyInstance {
    realtime: { hub: FeedHub; relay: Subscription; io: Server; stats(): Promise<RealtimeStats> }
  }
}

const READ_BLOCK_MS = 5000

/**
 * Real time (DESIGN §7): the relay (a singleton catch-up subscription) writes events to the
 * feed stream — the Redis stream REDIS_STREAM, or memory when embedded — and every
 * instance's hub reads that stream and delivers to its own Socket.IO and WebSocket clients.
 */
export default fp(
  async (app) => {
    const { redisStream, redisStreamMaxLength, redisKeyPrefix } = app.config
    // XREAD BLOCK holds a connection of its own; its errors are reported by the hub.
    const reader = app.redis?.duplicate({ commandTimeout: READ_BLOCK_MS + 5000 })
    reader?.on('error', () => undefined)
    const stream: FeedStream =
      app.redis && reader
        ? new RedisFeedStream(app.redis, reader, redisStream, `${redisKeyPrefix}stream-epoch:${redisStream}`)
        : new MemoryFeedStream()

    const relay = startSubscription({
      name: 'relay',
      store: app.eventStore,
      leases: app.leases,
      holder: `${app.config.instanceId}:relay:${Math.random().toString(36).slice(2, 10)}`,
      handle: relayHandler({ store: app.eventStore, stream, maxLength: redisStreamMaxLength }),
      wake: (listener) => app.onEventsAppended(listener),
      pollMs: 250,
      onError: (error) => {
        app.log.warn({ err: error }, 'relay: cannot write to the event stream yet; will retry from its checkpoint')
      },
    })

    const hub = new FeedHub(stream, {
      blockMs: READ_BLOCK_MS,
      onError: (error) => {
        app.log.warn({ err: error }, 'real-time feed: cannot read the event stream; retrying')
      },
    })
    hub.start()

    // @fastify/websocket answers every upgrade it has no route for with a 404; Socket.IO's
    // own upgrades must reach Socket.IO instead.
    const before = new Set(app.server.listeners('upgrade'))
    await app.register(websocket, { options: { maxPayload: 16 * 1024 } })
    for (const listener of app.server.listeners('upgrade')) {
      if (before.has(listener)) continue
      app.server.removeListener('upgrade', listener as (...args: unknown[]) => void)
      app.server.on('upgrade', (request: { url?: string }, ...rest: unknown[]) => {
        if (request.url?.startsWith('/socket.io/')) return
        ;(listener as (...args: unknown[]) => void)(request, ...rest)
      })
    }

    const io = new Server(app.server, {
      path: '/socket.io',
      serveClient: false,
      destroyUpgrade: false,
      ...(app.config.corsOrigins.length > 0 ? { cors: { origin: app.config.corsOrigins } } : {}),
    })
    if (app.redis) {
      // The adapter subscribes as soon as it is made: make it once Redis answers, so a
      // service that starts while Redis is down neither fails nor leaves its subscriptions
      // failed (until then, and without Redis, Socket.IO works on this instance alone).
      const pub = app.redis.duplicate()
      const sub = app.redis.duplicate()
      for (const client of [pub, sub]) client.on('error', () => undefined)
      void Promise.all([once(pub, 'ready'), once(sub, 'ready')]).then(
        () => {
          io.adapter(createAdapter(pub, sub, { key: `${redisKeyPrefix}socket.io` }))
        },
        () => undefined,
      )
      app.addHook('onClose', async () => {
        for (const client of [pub, sub]) client.disconnect()
      })
    }
    const closeSockets = attachSocketIo(io, { hub, verifyToken: (token) => app.verifyToken(token), log: app.log })
    const closeWebSockets = registerWebSocketFeed(app, hub)

    app.decorate('realtime', {
      hub,
      relay,
      io,
      async stats() {
        return { clients: hub.clients, relay_lag: Math.max(0, (await app.eventStore.headPosition()) - relay.position) }
      },
    })

    // Open sockets would keep the HTTP server from closing: end them before it closes.
    app.addHook('preClose', (done) => {
      closeSockets()
      closeWebSockets()
      done()
    })
    app.addHook('onClose', async () => {
      await relay.stop()
      await hub.stop()
    })
  },
  { name: 'realtime', dependencies: ['event-store', 'redis', 'auth', 'projections', 'notifications'] },
)
