import { type Server, createServer } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ConfigError } from '../../infra/config.js'
import { type Metrics, createMetrics } from '../../infra/metrics.js'
import { SERVICE_VERSION } from '../../infra/version.js'
import { finishesWithin } from '../../shared/finishes-within.js'
import type { ProjectionStatus } from '../../consumers/generation-plan.js'
import type { RealtimeStats } from './realtime.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
    /** Where the metrics are served (`http://host:port/metrics`), or undefined with METRICS_PORT=off. */
    metricsUrl: string | undefined
  }
}

/**
 * Prometheus metrics (DESIGN §9): `GET /metrics` on a listener of its own at METRICS_PORT
 * (same HOST; not behind API auth or rate limits, not in the OpenAPI document), request
 * metrics from hooks, state gauges read at scrape time. `METRICS_PORT=off`: no listener and
 * no request hooks (the counters others bump still exist, unread).
 */
export default fp(
  async (app) => {
    const { metricsPort, host, instanceId } = app.config
    const metrics = createMetrics({ version: SERVICE_VERSION, instance: instanceId })
    app.decorate('metrics', metrics)
    app.decorate('metricsUrl', undefined)
    if (metricsPort === 'off') return

    app.addHook('onRequest', (request, reply, done) => {
      // A WebSocket upgrade never finishes as a response: it is a connection, counted as a client.
      if (request.headers.upgrade === undefined) {
        metrics.httpInFlight.inc()
        reply.raw.once('close', () => {
          metrics.httpInFlight.dec()
        })
      }
      done()
    })
    app.addHook('onResponse', (request, reply, done) => {
      metrics.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      )
      done()
    })
    app.addHook('onReady', () => {
      metrics.onCollect(() => collectState(app))
    })

    const server = await listen(metrics, metricsPort, host)
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : metricsPort
    app.metricsUrl = `http://${host}:${port}/metrics`
    app.log.info({ url: app.metricsUrl }, 'metrics listening')
    app.addHook('onClose', async () => {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
        server.closeAllConnections()
      })
    })
  },
  { name: 'metrics', dependencies: ['config'] },
)

async function listen(metrics: Metrics, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the metrics are at GET /metrics\n')
      return
    }
    metrics.scrape().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('could not collect the metrics\n'),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new ConfigError(
          'METRICS_PORT',
          error.code === 'EADDRINUSE'
            ? `${port} is already in use on ${host}: choose another port (0: any free one), or off`
            : `${port} cannot be listened on at ${host}: ${error.message}`,
        ),
      )
    })
    server.listen(port, host, resolve)
  })
  return server
}

/**
 * How long a scrape waits for the gauges read from the store (positions, lags) before it
 * answers without updating them: Prometheus gives up on a scrape after 10 s, and an instance
 * whose MongoDB stalls must still say so (`sales_dependency_up`) rather than look down itself.
 */
const STORE_GAUGES_TIMEOUT_MS = 1000

/** State gauges, read when Prometheus scrapes. */
async function collectState(app: FastifyInstance): Promise<void> {
  const { metrics } = app
  const status = app.readiness.status()
  metrics.ready.set(status.ready ? 1 : 0)
  for (const [dependency, state] of Object.entries(status.checks))
    metrics.dependencyUp.set({ dependency }, state === 'ok' ? 1 : 0)
  metrics.leaseHeld.set({ lease: 'relay' }, app.realtime.relay.active ? 1 : 0)
  const socketIo = app.socketIoClients()
  metrics.realtimeClients.set({ transport: 'socket.io' }, socketIo)
  metrics.realtimeClients.set({ transport: 'websocket' }, Math.max(0, app.realtime.hub.clients - socketIo))

  // Read from the store: on a MongoDB that is down or stalled, these keep their last values.
  let read: [ProjectionStatus[], RealtimeStats] | undefined
  const reading = Promise.all([app.projections.status(), app.realtime.stats()]).then((values) => {
    read = values
  })
  if (!(await finishesWithin(reading, STORE_GAUGES_TIMEOUT_MS)) || !read) return
  const [projections, realtime] = read
  for (const projection of projections) {
    metrics.projectionPosition.set({ projection: projection.name }, projection.position)
    metrics.projectionLag.set({ projection: projection.name }, projection.lag)
    metrics.leaseHeld.set({ lease: `projection:${projection.name}` }, projection.active_here ? 1 : 0)
  }
  metrics.rebuildsRunning.set(projections.filter((p) => p.state === 'rebuilding').length)
  metrics.relayLag.set(realtime.relay_lag)
}
