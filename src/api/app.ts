import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from '../infra/config.js'
import type { Job } from '../jobs/job.js'
import type { StorageOptions } from '../storage/open-storage.js'
import { unavailableDependency } from '../infra/dependency-errors.js'
import { createLogger } from '../infra/logger.js'
import accessPlugin from './plugins/access.js'
import commandsPlugin from './plugins/commands.js'
import configPlugin from './plugins/config.js'
import dashboardPlugin from './plugins/dashboard.js'
import demoDataPlugin from './plugins/demo-data.js'
import docsPlugin from './plugins/docs.js'
import errorTrackingPlugin from './plugins/error-tracking.js'
import eventFeedPlugin from './plugins/event-feed.js'
import eventStorePlugin from './plugins/event-store.js'
import inputGuardPlugin from './plugins/input-guard.js'
import jobsPlugin from './plugins/jobs.js'
import metricsPlugin from './plugins/metrics.js'
import notificationsPlugin from './plugins/notifications.js'
import projectionsPlugin from './plugins/projections.js'
import rateLimitPlugin from './plugins/rate-limit.js'
import readinessPlugin from './plugins/readiness.js'
import readModelsAtStartPlugin from './plugins/read-models-at-start.js'
import requestDeadlinePlugin from './plugins/request-deadline.js'
import realtimePlugin from './plugins/realtime.js'
import redisPlugin from './plugins/redis.js'
import securityHeadersPlugin from './plugins/security-headers.js'
import sessionsPlugin from './plugins/sessions.js'
import socketIoPlugin from './plugins/socket-io.js'
import storagePlugin from './plugins/storage.js'
import tokensPlugin from './plugins/tokens.js'
import usersPlugin from './plugins/users.js'
import welcomePlugin from './plugins/welcome.js'
import websocketPlugin from './plugins/websocket.js'
import { problem, problemFromError, sendProblem } from './problem.js'
import { validatorCompiler } from './validator.js'
import adminJobRoutes from './routes/admin-jobs.js'
import adminProjectionRoutes from './routes/admin-projections.js'
import authRoutes from './routes/auth.js'
import eventsWebSocketRoute from './routes/events-ws.js'
import healthRoutes from './routes/health.js'
import homeRoutes from './routes/home.js'
import orderRoutes from './routes/orders.js'
import reportRoutes from './routes/reports.js'
import skuRoutes from './routes/skus.js'
import userRoutes from './routes/users.js'

export interface BuildAppOptions {
  config: Config
  /** A ready logger (tests pass one that writes to a buffer). */
  logger?: Logger
  /** Extra routes mounted after the service's own (test harnesses). */
  extend?: FastifyPluginAsync
  /** Shows a one-time message to the operator, outside the logs (default: stderr). */
  announce?: (message: string) => void
  /** How the storage is opened (e.g. to watch the commands it sends). */
  storage?: StorageOptions
  /** Jobs scheduled beside the service's own (test harnesses: e.g. a deliberately slow one). */
  extraJobs?: readonly Job[]
}

/**
 * How long a client may take to send a request's headers, and the whole request, before the
 * socket is answered 408 and closed (checked every second). Node's own defaults (60 s, 300 s,
 * checked every 30 s, and Fastify turns the second off) let a client that trickles its
 * headers or never finishes its body hold a socket for 72 s or more; a handler's time is
 * bounded separately, by `REQUEST_TIMEOUT_MS`.
 */
const HEADERS_TIMEOUT_MS = 10_000
const RECEIVE_TIMEOUT_MS = 30_000

/** Request ids from `X-Request-Id` are kept if they look like ids, else one is generated. */
const REQUEST_ID = /^[\w.:-]{1,128}$/

/** Builds the whole service as a Fastify instance; `listen` is the caller's business. */
export async function buildApp({
  config,
  logger,
  extend,
  announce,
  storage,
  extraJobs,
}: BuildAppOptions): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = logger ?? createLogger(config)
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    bodyLimit: 256 * 1024,
    requestTimeout: RECEIVE_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    trustProxy: config.trustProxy,
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true },
    // Errors found while routing (a bad percent-encoding, an over-long path parameter) skip
    // the request hooks: they are answered like any other error, with the same headers.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id).header('cache-control', 'no-store')
      app.applySecurityHeaders(reply.raw)
      const body = problemFromError(error, request)
      request.log.info({ method: request.method, route: 'unmatched', status: body.status, code: body.code }, 'request')
      void sendProblem(reply, body)
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  // Bodies are JSON only: anything else is a 415, never parsed.
  app.removeContentTypeParser('text/plain')
  await app.register(configPlugin, { config })
  await app.register(errorTrackingPlugin)
  app.decorate('announce', announce ?? ((message: string) => process.stderr.write(`${message}\n`)))

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    // API answers are per caller and per moment: no cache keeps them (a route may say otherwise).
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store')
    if (app.readiness.shuttingDown && !request.url.startsWith('/health')) {
      reply.header('connection', 'close')
      await sendProblem(reply, problem(request, 503, 'SERVICE.SHUTTING_DOWN', 'This instance is shutting down; retry on another'))
    }
  })
  // Keep-alive connections close after their last response, so shutdown does not wait on them.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (app.readiness.shuttingDown) reply.header('connection', 'close')
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    )
    done()
  })

  app.setErrorHandler<Error>(async (error, request, reply) => {
    const body = problemFromError(error, request)
    const dependency = unavailableDependency(error)
    if (dependency !== undefined)
      app.readiness.failed(dependency, error) // logged once per outage
    else if (body.status >= 500) {
      request.log.error({ err: error }, 'request failed')
      app.metrics.errors.inc({ kind: 'http' })
    }
    if (typeof body.retry_after === 'number') void reply.header('retry-after', body.retry_after)
    if (body.status === 401) void reply.header('www-authenticate', 'Bearer realm="sales-orders"')
    if (body.status >= 500) app.reportRequestError(error, request) // (outages are not reported)
    await sendProblem(reply, body)
  })
  app.setNotFoundHandler(async (request, reply) => {
    await sendProblem(
      reply,
      problem(request, 404, 'ROUTE.NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0] ?? ''}`),
    )
  })

  // Infrastructure, each plugin one concern, in dependency order.
  await app.register(metricsPlugin)
  await app.register(readinessPlugin)
  await app.register(requestDeadlinePlugin)
  await app.register(storagePlugin, storage ?? {})
  for (const plugin of [
    redisPlugin,
    eventStorePlugin,
    notificationsPlugin,
    eventFeedPlugin,
    usersPlugin,
    tokensPlugin,
    sessionsPlugin,
    accessPlugin,
    securityHeadersPlugin,
    inputGuardPlugin,
    rateLimitPlugin,
    docsPlugin,
    commandsPlugin,
    demoDataPlugin,
    projectionsPlugin,
    readModelsAtStartPlugin,
    realtimePlugin,
    socketIoPlugin,
    websocketPlugin,
  ]) {
    await app.register(plugin)
  }
  await app.register(jobsPlugin, extraJobs ? { extraJobs } : {})
  await app.register(welcomePlugin)
  await app.register(dashboardPlugin)
  await app.register(homeRoutes)
  await app.register(healthRoutes)
  await app.register(authRoutes)
  await app.register(userRoutes)
  await app.register(skuRoutes)
  await app.register(orderRoutes)
  await app.register(reportRoutes)
  await app.register(adminProjectionRoutes)
  await app.register(adminJobRoutes)
  await app.register(eventsWebSocketRoute)
  if (extend) await app.register(extend)
  return app
}
