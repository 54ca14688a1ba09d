import { once } from 'node:events'
import { createAdapter } from '@socket.io/redis-adapter'
import fp from 'fastify-plugin'
import { Server } from 'socket.io'
import { attachSocketIo } from '../../realtime/socket-io.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Socket.IO clients connected to this instance. */
    socketIoClients(): number
  }
}

/** Socket.IO at `/socket.io` on the API's HTTP server, fed by this instance's hub; the Redis adapter joins instances. */
export default fp(
  async (app) => {
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
          io.adapter(createAdapter(pub, sub, { key: `${app.config.redisKeyPrefix}socket.io` }))
        },
        () => undefined,
      )
      app.addHook('onClose', async () => {
        for (const client of [pub, sub]) client.disconnect()
      })
    }
    const closeSockets = attachSocketIo(io, {
      hub: app.realtime.hub,
      verifyToken: (token) => app.verifyToken(token),
      sessions: app.liveSessions,
      observe: {
        delivered: () => {
          app.metrics.realtimeDelivered.inc({ transport: 'socket.io' })
        },
        resynced: () => {
          app.metrics.realtimeResyncs.inc()
        },
      },
      log: app.log,
      handshakeTimeoutMs: app.config.requestTimeoutMs,
      down: () => app.readiness.firstDown(),
    })
    app.decorate('socketIoClients', () => io.of('/').sockets.size)
    // Open sockets would keep the HTTP server from closing: end them before it closes.
    app.addHook('preClose', (done) => {
      closeSockets()
      done()
    })
  },
  { name: 'socket-io', dependencies: ['realtime', 'redis', 'readiness', 'tokens', 'sessions', 'metrics'] },
)
