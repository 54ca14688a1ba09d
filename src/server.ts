import type { FastifyInstance } from 'fastify'
import { type BuildAppOptions, buildApp } from './api/app.js'
import { reportCrashes } from './api/plugins/error-tracking.js'

/**
 * What a shutdown may need after the slowest request has been answered: the relay's, the
 * projections' and MongoDB's client's stops, each given 1 s when the store does not answer, and slack.
 */
const SHUTDOWN_AFTER_REQUESTS_MS = 4000

export interface RunningServer {
  app: FastifyInstance
  /** Starts the graceful shutdown once; resolves with the exit code. */
  shutdown(reason: string): Promise<number>
}

/**
 * Builds the app, listens, and wires graceful shutdown on SIGTERM/SIGINT: readiness turns
 * 503, the listener stops, in-flight requests finish, consumers and clients close; the
 * process exits 0, or 1 if that took longer than SHUTDOWN_TIMEOUT_MS.
 */
export async function startServer(
  options: BuildAppOptions,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<RunningServer> {
  const app = await buildApp(options)
  reportCrashes(app, exit)
  const { port, host, shutdownTimeoutMs, requestTimeoutMs } = options.config
  if (shutdownTimeoutMs < requestTimeoutMs + SHUTDOWN_AFTER_REQUESTS_MS) {
    app.log.warn(
      { shutdown_timeout_ms: shutdownTimeoutMs, request_timeout_ms: requestTimeoutMs },
      'SHUTDOWN_TIMEOUT_MS is less than REQUEST_TIMEOUT_MS + 4 s: a shutdown during a slow request or a stalled MongoDB may be cut off (exit 1)',
    )
  }
  await app.listen({ port, host })

  let closing: Promise<number> | undefined
  const shutdown = (reason: string): Promise<number> => {
    closing ??= (async () => {
      app.log.info({ reason, timeout_ms: shutdownTimeoutMs }, 'shutting down')
      const timer = setTimeout(() => {
        app.log.error({ timeout_ms: shutdownTimeoutMs }, 'shutdown timed out; exiting anyway')
        exit(1)
      }, shutdownTimeoutMs)
      timer.unref()
      app.readiness.beginShutdown()
      try {
        await app.close()
        app.log.info('shut down cleanly')
        return 0
      } catch (error) {
        app.log.error({ err: error }, 'error while shutting down')
        return 1
      } finally {
        clearTimeout(timer)
      }
    })()
    return closing
  }
  // A promise nobody awaited failed: a bug to see (log, metric), not a reason to drop every request in flight.
  process.on('unhandledRejection', (reason) => {
    app.log.error({ err: reason }, 'unhandled promise rejection')
    app.metrics.errors.inc({ kind: 'unhandled_rejection' })
  })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown(signal).then(exit)
    })
  }
  return { app, shutdown }
}
