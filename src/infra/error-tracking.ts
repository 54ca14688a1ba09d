import { SERVICE_VERSION } from './version.js'

/**
 * Where an unexpected error happened. Every field becomes a tag of the report (with the
 * instance and the release): `source` says which part of the service failed (`http`,
 * `projection`, `relay`, `process`, …); requests add `request_id`, `route` (the template,
 * never the URL) and `method`.
 */
export interface ErrorContext {
  source: string
  request_id?: string
  route?: string
  method?: string
  [tag: string]: string | undefined
}

/** Reports unexpected errors to a Sentry-compatible endpoint; the no-op one when off. */
export interface ErrorTracker {
  readonly enabled: boolean
  /** Queues a report (never throws, never waits); the event is scrubbed before it is sent. */
  capture(error: unknown, context: ErrorContext): void
  /** Resolves once queued reports are sent, or false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean>
  /** Flushes (bounded) and stops accepting reports. */
  close(timeoutMs: number): Promise<boolean>
}

export interface ErrorTrackerOptions {
  /** SENTRY_DSN; undefined turns error tracking off. */
  dsn: string | undefined
  environment: string
  instanceId: string
  /** Told when the ingest endpoint cannot be reached (once, until a report gets through again). */
  onSendFailure?: (error: unknown) => void
}

/** Error tracking off: nothing loaded, nothing kept, nothing sent. */
export const noErrorTracker: ErrorTracker = {
  enabled: false,
  capture: () => undefined,
  flush: async () => true,
  close: async () => true,
}

/**
 * The tracker for SENTRY_DSN. Without a DSN it is the no-op one and the Sentry client is
 * never imported, so a service without error tracking pays nothing for it.
 */
export async function createErrorTracker(options: ErrorTrackerOptions): Promise<ErrorTracker> {
  if (options.dsn === undefined) return noErrorTracker
  const { createSentryTracker } = await import('./sentry-error-tracker.js')
  return createSentryTracker({ ...options, dsn: options.dsn, release: SERVICE_VERSION })
}
