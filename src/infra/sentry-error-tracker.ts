import {
  type BaseTransportOptions,
  type TransportMakeRequestResponse,
  type TransportRequest,
  Scope,
  createStackParser,
  createTransport,
  linkedErrorsIntegration,
} from '@sentry/core'
import { ServerRuntimeClient, nodeStackLineParser } from '@sentry/core/server'
import { scrubEvent } from './error-scrubbing.js'
import type { ErrorContext, ErrorTracker, ErrorTrackerOptions } from './error-tracking.js'

// Loaded only when SENTRY_DSN is set (see `createErrorTracker`). `@sentry/core` is the
// protocol part of the Sentry SDKs without `@sentry/node`'s OpenTelemetry instrumentation:
// nothing is patched or collected behind our back; an event holds the error (with its
// `cause` chain), the tags we give it, the release, environment and instance, and then
// passes `scrubEvent`.

/** The longest one envelope POST may take (the transport sends at most 64 at a time). */
const SEND_TIMEOUT_MS = 5000

/** Collects nothing on its own: no request data, headers, cookies, query strings or user. */
const COLLECT_NOTHING = {
  userInfo: false,
  cookies: false,
  httpHeaders: false,
  httpBodies: [],
  urlQueryParams: false,
  databaseQueryData: false,
  queues: false,
  stackFrameVariables: false,
  frameContextLines: 0,
}

/** The Sentry client behind an `ErrorTracker`. */
export function createSentryTracker(options: ErrorTrackerOptions & { dsn: string; release: string }): ErrorTracker {
  let failing = false
  /** Envelopes go out with the global `fetch`: no HTTP client of the SDK's own. */
  const send =
    ({ url, headers }: BaseTransportOptions) =>
    async (request: TransportRequest) => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-sentry-envelope' },
          body: request.body,
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        })
        await response.arrayBuffer()
        failing = false
        return {
          statusCode: response.status,
          headers: {
            'x-sentry-rate-limits': response.headers.get('x-sentry-rate-limits'),
            'retry-after': response.headers.get('retry-after'),
          },
        } satisfies TransportMakeRequestResponse
      } catch (error) {
        if (!failing) options.onSendFailure?.(error)
        failing = true
        throw error
      }
    }

  const client = new ServerRuntimeClient({
    dsn: options.dsn,
    release: options.release,
    environment: options.environment,
    serverName: options.instanceId,
    platform: 'node',
    runtime: { name: 'node', version: process.version },
    transport: (transportOptions: BaseTransportOptions) => createTransport(transportOptions, send(transportOptions)),
    stackParser: createStackParser(nodeStackLineParser()),
    // No Dedupe integration: every 500 is its own report (background loops are throttled by the caller).
    integrations: [linkedErrorsIntegration()],
    traceLifecycle: 'static',
    sendClientReports: false,
    dataCollection: COLLECT_NOTHING,
    beforeSend: (event) => scrubEvent(event),
  })
  client.init()

  return {
    enabled: true,
    capture(error: unknown, context: ErrorContext) {
      const scope = new Scope()
      const tags: Record<string, string> = { instance: options.instanceId }
      for (const [key, value] of Object.entries(context)) if (value !== undefined) tags[key] = value
      scope.setTags(tags)
      const crash = context.source === 'process'
      scope.setLevel(crash ? 'fatal' : 'error')
      // Through the scope, which hands the client the original error (linked `cause`s need it).
      scope.setClient(client)
      scope.captureException(error, { data: { mechanism: { type: context.source, handled: !crash } } })
    },
    flush: async (timeoutMs) => client.flush(timeoutMs),
    close: async (timeoutMs) => client.close(timeoutMs),
  }
}
