import { inspect } from 'node:util'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { unavailableDependency } from '../../infra/dependency-errors.js'
import { type ErrorContext, type ErrorTracker, createErrorTracker } from '../../infra/error-tracking.js'
import { AppError } from '../../shared/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Reports to SENTRY_DSN; the no-op tracker when it is unset. */
    errorTracking: ErrorTracker
    /**
     * Reports an unexpected failure of a background loop (a projection, the relay, …). The
     * same failure of the same loop is reported at most once a minute, however often it retries.
     */
    reportError(error: unknown, context: ErrorContext): void
    /** Reports the error behind a 5xx answer, tagged with the request id, route and method. */
    reportRequestError(error: unknown, request: FastifyRequest): void
  }
}

/** Longest wait for queued reports when the app closes. */
const CLOSE_TIMEOUT_MS = 2000
/** Longest wait for a crash's report before the process exits. */
const CRASH_FLUSH_MS = 2000
const REPEAT_AFTER_MS = 60_000

/**
 * MongoDB or Redis being away is an outage (readiness and the logs tell it), and an
 * `AppError` is an answer the service means to give (busy, not ready yet): neither is a bug.
 */
const isExpected = (error: unknown) => error instanceof AppError || unavailableDependency(error) !== undefined

/** Error tracking (SENTRY_DSN): unexpected errors of requests and background loops, scrubbed, to a Sentry-compatible endpoint. */
export default fp(
  async (app) => {
    const { sentryDsn, nodeEnv, instanceId } = app.config
    const tracker = await createErrorTracker({
      dsn: sentryDsn,
      environment: nodeEnv,
      instanceId,
      onSendFailure: (error) => {
        app.log.warn({ err: error }, 'error tracking: cannot send reports to SENTRY_DSN; dropping them until it answers')
      },
    })
    if (sentryDsn !== undefined) {
      app.log.info({ host: new URL(sentryDsn).host }, 'error tracking on: unexpected errors are reported to SENTRY_DSN')
    }

    const lastReported = new Map<string, number>()
    app.decorate('errorTracking', tracker)
    app.decorate('reportError', (error: unknown, context: ErrorContext) => {
      if (!tracker.enabled || isExpected(error)) return
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      const key = `${JSON.stringify(context)} ${what}`
      const now = Date.now()
      if (now - (lastReported.get(key) ?? -Infinity) < REPEAT_AFTER_MS) return
      if (lastReported.size >= 1000) lastReported.clear()
      lastReported.set(key, now)
      tracker.capture(error, context)
    })
    app.decorate('reportRequestError', (error: unknown, request: FastifyRequest) => {
      if (!tracker.enabled || isExpected(error)) return
      tracker.capture(error, {
        source: 'http',
        request_id: request.id,
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
      })
    })
    app.addHook('onClose', async () => {
      await tracker.close(CLOSE_TIMEOUT_MS)
    })
  },
  { name: 'error-tracking', dependencies: ['config'] },
)

/**
 * With error tracking on, an uncaught exception is reported before the process dies as it
 * would have anyway: the error on stderr, exit code 1 (after at most CRASH_FLUSH_MS). So is
 * an unhandled rejection; it ends the process only if nothing else listens for those (Node's
 * default), so whatever policy the service sets for them stays as it is. Without error
 * tracking Node's own handling is left untouched.
 */
export function reportCrashes(app: FastifyInstance, exit: (code: number) => void): void {
  if (!app.errorTracking.enabled) return
  let crashing = false
  const crash = (error: unknown, origin: string) => {
    process.stderr.write(`${origin === 'uncaughtException' ? 'Uncaught exception' : 'Unhandled rejection'}: ${inspect(error)}\n`)
    if (crashing) return
    crashing = true
    app.errorTracking.capture(error, { source: 'process', origin })
    void app.errorTracking.flush(CRASH_FLUSH_MS).finally(() => {
      exit(1)
    })
  }
  process.on('uncaughtException', crash)
  process.on('unhandledRejection', function reportRejection(reason) {
    if (process.listeners('unhandledRejection').some((listener) => listener !== reportRejection)) {
      app.errorTracking.capture(reason, { source: 'process', origin: 'unhandledRejection' })
    } else crash(reason, 'unhandledRejection')
  })
}
