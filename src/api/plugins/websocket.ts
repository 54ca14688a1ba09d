import websocket from '@fastify/websocket'
import fp from 'fastify-plugin'

/**
 * @fastify/websocket for the plain WebSocket feed. It answers every upgrade it has no route
 * for with a 404, so Socket.IO's own upgrades (`/socket.io/`) are kept away from it.
 */
export default fp(
  async (app) => {
    const before = new Set(app.server.listeners('upgrade'))
    await app.register(websocket, {
      options: { maxPayload: 16 * 1024 },
      // Its default closes clients without a code (1005): say 1001 Going Away, so clients
      // know to reconnect (elsewhere) and resume with `after`.
      preClose(done) {
        for (const client of this.websocketServer.clients) client.close(1001, 'server shutting down')
        this.websocketServer.close(() => undefined)
        done()
      },
    })
    for (const listener of app.server.listeners('upgrade')) {
      if (before.has(listener)) continue
      app.server.removeListener('upgrade', listener as (...args: unknown[]) => void)
      app.server.on('upgrade', (request: { url?: string }, ...rest: unknown[]) => {
        if (request.url?.startsWith('/socket.io/')) return
        ;(listener as (...args: unknown[]) => void)(request, ...rest)
      })
    }
  },
  { name: 'websocket' },
)
