import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Latency buckets (seconds) for requests and appends: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * The service's metrics, on a registry of their own (one per app: two apps in one process,
 * as tests build them, never share or clash). Names and units follow Prometheus conventions
 * (base units, `_total` counters, `_seconds`); labels stay few (route templates, never raw
 * URLs). Gauges that describe state (lags, clients, leases) are filled at scrape time by
 * `collect` callbacks the app sets (`onCollect`), so keeping them costs nothing between scrapes.
 */
export function createMetrics(info: { version: string; instance: string }) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  // Three defaults are gauges named like counters (`promtool check metrics` warns); the same
  // figures stay, by type, in `nodejs_active_handles`, `_requests` and `_resources`.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name)
  }
  const registers = [registry]
  const collectors: (() => Promise<void>)[] = []

  const metrics = {
    registry,
    /** Runs `collect` before every scrape (fills state gauges). */
    onCollect(collect: () => Promise<void>): void {
      collectors.push(collect)
    },
    async scrape(): Promise<string> {
      await Promise.all(collectors.map((collect) => collect()))
      return registry.metrics()
    },

    httpDuration: new Histogram({
      name: 'sales_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status code: time to the response',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    httpInFlight: new Gauge({ name: 'sales_http_requests_in_flight', help: 'HTTP requests being served', registers }),

    eventsAppended: new Counter({
      name: 'sales_events_appended_total',
      help: 'Events stored by this instance, by type',
      labelNames: ['type'] as const,
      registers,
    }),
    appendDuration: new Histogram({
      name: 'sales_event_append_duration_seconds',
      help: 'Appends to the event store: time until stored (or refused)',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    appendConflicts: new Counter({
      name: 'sales_event_append_conflicts_total',
      help: 'Appends refused because the stream had moved on (expected version)',
      registers,
    }),
    commitBatchSize: new Histogram({
      name: 'sales_event_commit_batch_size',
      help: 'Appends written together in one group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 100],
      registers,
    }),

    projectionPosition: new Gauge({
      name: 'sales_projection_position',
      help: 'Last global position each projection applied (live generation)',
      labelNames: ['projection'] as const,
      registers,
    }),
    projectionLag: new Gauge({
      name: 'sales_projection_lag_events',
      help: 'Events stored but not yet applied by each projection',
      labelNames: ['projection'] as const,
      registers,
    }),
    relayLag: new Gauge({ name: 'sales_relay_lag_events', help: 'Events stored but not yet on the real-time stream', registers }),
    rebuildsRunning: new Gauge({ name: 'sales_projection_rebuilds_running', help: 'Projection rebuilds in progress', registers }),
    leaseHeld: new Gauge({
      name: 'sales_lease_held',
      help: '1 on the instance holding each singleton lease (projections, relay), else 0',
      labelNames: ['lease'] as const,
      registers,
    }),

    realtimeClients: new Gauge({
      name: 'sales_realtime_clients',
      help: 'Real-time clients connected to this instance, by transport',
      labelNames: ['transport'] as const,
      registers,
    }),
    realtimeDelivered: new Counter({
      name: 'sales_realtime_events_delivered_total',
      help: 'Events delivered to real-time clients, by transport',
      labelNames: ['transport'] as const,
      registers,
    }),
    realtimeResyncs: new Counter({ name: 'sales_realtime_resyncs_total', help: 'Resync messages sent to clients', registers }),
    realtimeInvalidEntries: new Counter({
      name: 'sales_realtime_invalid_entries_total',
      help: 'Real-time stream entries skipped because they were not valid events',
      registers,
    }),

    rateLimitRejections: new Counter({
      name: 'sales_rate_limit_rejections_total',
      help: 'Requests refused with 429, by the limit that applied',
      labelNames: ['limit'] as const,
      registers,
    }),
    loginFailures: new Counter({ name: 'sales_login_failures_total', help: 'Sign-ins refused for wrong credentials', registers }),
    revokedTokenRefusals: new Counter({
      name: 'sales_revoked_token_refusals_total',
      help: 'Requests refused because their token was revoked or its account disabled',
      registers,
    }),

    errors: new Counter({
      name: 'sales_errors_total',
      help: 'Unexpected errors: 500 answers (http), failed background loops, unhandled rejections',
      labelNames: ['kind'] as const,
      registers,
    }),
    dependencyUp: new Gauge({
      name: 'sales_dependency_up',
      help: '1 while the dependency answers its readiness check, else 0',
      labelNames: ['dependency'] as const,
      registers,
    }),
    ready: new Gauge({ name: 'sales_ready', help: '1 while this instance is ready for traffic, else 0', registers }),

    ordersPlaced: new Counter({
      name: 'sales_orders_placed_total',
      help: 'Orders placed through this instance, by currency',
      labelNames: ['currency'] as const,
      registers,
    }),
    orderValue: new Counter({
      name: 'sales_order_value_total',
      help: 'Sum of the totals of orders placed through this instance, in currency units, by currency',
      labelNames: ['currency'] as const,
      registers,
    }),

    jobRuns: new Counter({
      name: 'sales_job_runs_total',
      help: 'Job runs on this instance, by job and outcome (ok, failed, lost_lock, abandoned)',
      labelNames: ['job_name', 'outcome'] as const,
      registers,
    }),
    jobDuration: new Histogram({
      name: 'sales_job_duration_seconds',
      help: 'Job run durations',
      labelNames: ['job_name'] as const,
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    }),
    jobLastSuccess: new Gauge({
      name: 'sales_job_last_success_timestamp_seconds',
      help: 'When each job last succeeded on this instance (Unix time)',
      labelNames: ['job_name'] as const,
      registers,
    }),
  }

  new Gauge({
    name: 'sales_build_info',
    help: 'Build and runtime of this instance (always 1)',
    labelNames: ['version', 'node', 'instance_id'] as const, // (not `instance`: Prometheus sets that to the target)
    registers,
  }).set({ version: info.version, node: process.version, instance_id: info.instance }, 1)

  return metrics
}

export type Metrics = ReturnType<typeof createMetrics>
