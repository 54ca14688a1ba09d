import type { FastifyInstance } from 'fastify'
import { type BuildAppOptions, buildApp } from './api/app.js'
import { reportCrashes } from './api/plugins/error-tracking.js'

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
  const { port, host, shutdownTimeoutMs } = options.config
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
