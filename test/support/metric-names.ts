/** A metric's type as Prometheus exposes it. */
export type MetricType = 'counter' | 'gauge' | 'histogram'

/** One metric of the contract: its name, type and labels as served at GET /metrics. */
export interface MetricSpec {
  readonly name: string
  readonly type: MetricType
  readonly labels: readonly string[]
}

/**
 * The service's own metrics (DESIGN §9): the contract between the code that serves them at
 * `GET /metrics` on METRICS_PORT and what reads them in deploy/ (alert rules, the Grafana
 * dashboard). deploy-kit.test.ts checks that deploy/ uses nothing else; the integration test of
 * `/metrics` compares a real scrape with this list. Change them together.
 *
 * Labels avoid `job` and `instance`, which Prometheus sets to the scrape target's (a clash
 * would rename ours to `exported_*`): jobs are `job_name`, build_info's instance `instance_id`.
 */
export const SALES_METRICS: readonly MetricSpec[] = [
  { name: 'sales_http_request_duration_seconds', type: 'histogram', labels: ['method', 'route', 'status_code'] },
  { name: 'sales_http_requests_in_flight', type: 'gauge', labels: [] },

  { name: 'sales_events_appended_total', type: 'counter', labels: ['type'] },
  { name: 'sales_event_append_duration_seconds', type: 'histogram', labels: [] },
  { name: 'sales_event_append_conflicts_total', type: 'counter', labels: [] },
  { name: 'sales_event_commit_batch_size', type: 'histogram', labels: [] },

  { name: 'sales_projection_position', type: 'gauge', labels: ['projection'] },
  { name: 'sales_projection_lag_events', type: 'gauge', labels: ['projection'] },
  { name: 'sales_relay_lag_events', type: 'gauge', labels: [] },
  { name: 'sales_projection_rebuilds_running', type: 'gauge', labels: [] },
  { name: 'sales_lease_held', type: 'gauge', labels: ['lease'] },

  { name: 'sales_realtime_clients', type: 'gauge', labels: ['transport'] },
  { name: 'sales_realtime_events_delivered_total', type: 'counter', labels: ['transport'] },
  { name: 'sales_realtime_resyncs_total', type: 'counter', labels: [] },
  { name: 'sales_realtime_invalid_entries_total', type: 'counter', labels: [] },

  { name: 'sales_rate_limit_rejections_total', type: 'counter', labels: ['limit'] },
  { name: 'sales_login_failures_total', type: 'counter', labels: [] },
  { name: 'sales_revoked_token_refusals_total', type: 'counter', labels: [] },

  { name: 'sales_errors_total', type: 'counter', labels: ['kind'] },

  { name: 'sales_dependency_up', type: 'gauge', labels: ['dependency'] },
  { name: 'sales_ready', type: 'gauge', labels: [] },

  { name: 'sales_orders_placed_total', type: 'counter', labels: ['currency'] },
  { name: 'sales_order_value_total', type: 'counter', labels: ['currency'] },

  { name: 'sales_job_runs_total', type: 'counter', labels: ['job_name', 'outcome'] },
  { name: 'sales_job_duration_seconds', type: 'histogram', labels: ['job_name'] },
  { name: 'sales_job_last_success_timestamp_seconds', type: 'gauge', labels: ['job_name'] },

  { name: 'sales_build_info', type: 'gauge', labels: ['version', 'node', 'instance_id'] },
]

/** Label values fixed by the contract (labels not listed here take open values: routes, types, …). */
export const SALES_LABEL_VALUES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  sales_realtime_clients: { transport: ['socket.io', 'websocket'] },
  sales_rate_limit_rejections_total: { limit: ['api', 'login_email_ip', 'login_ip', 'login_email'] },
  sales_errors_total: { kind: ['http', 'background', 'unhandled_rejection'] },
  sales_dependency_up: { dependency: ['mongodb', 'redis'] },
  sales_job_runs_total: { outcome: ['ok', 'failed', 'lost_lock', 'abandoned'] },
}

/**
 * prom-client 15's `collectDefaultMetrics` on Linux, unprefixed. Some labels appear only with
 * values (`type` of active resources, `kind` of GC runs); `process_open_fds`, `process_max_fds`,
 * `process_virtual_memory_bytes` and `process_heap_bytes` exist on Linux only.
 */
export const DEFAULT_METRICS: readonly MetricSpec[] = [
  { name: 'process_cpu_user_seconds_total', type: 'counter', labels: [] },
  { name: 'process_cpu_system_seconds_total', type: 'counter', labels: [] },
  { name: 'process_cpu_seconds_total', type: 'counter', labels: [] },
  { name: 'process_start_time_seconds', type: 'gauge', labels: [] },
  { name: 'process_resident_memory_bytes', type: 'gauge', labels: [] },
  { name: 'process_virtual_memory_bytes', type: 'gauge', labels: [] },
  { name: 'process_heap_bytes', type: 'gauge', labels: [] },
  { name: 'process_open_fds', type: 'gauge', labels: [] },
  { name: 'process_max_fds', type: 'gauge', labels: [] },
  { name: 'nodejs_eventloop_lag_seconds', type: 'gauge', labels: [] },
  { name: 'nodejs_eventloop_lag_min_seconds', type: 'gauge', labels: [] },
  { name: 'nodejs_eventloop_lag_max_seconds', type: 'gauge', labels: [] },
  { name: 'nodejs_eventloop_lag_mean_seconds', type: 'gauge', labels: [] },
  { name: 'nodejs_eventloop_lag_stddev_seconds', type: 'gauge', labels: [] },
  { name: 'nodejs_eventloop_lag_p50_seconds', type: 'gauge', labels: [] },
  { name: 'nodejs_eventloop_lag_p90_seconds', type: 'gauge', labels: [] },
  { name: 'nodejs_eventloop_lag_p99_seconds', type: 'gauge', labels: [] },
  { name: 'nodejs_active_resources', type: 'gauge', labels: ['type'] },
  { name: 'nodejs_active_resources_total', type: 'gauge', labels: [] },
  { name: 'nodejs_active_handles', type: 'gauge', labels: ['type'] },
  { name: 'nodejs_active_handles_total', type: 'gauge', labels: [] },
  { name: 'nodejs_active_requests', type: 'gauge', labels: ['type'] },
  { name: 'nodejs_active_requests_total', type: 'gauge', labels: [] },
  { name: 'nodejs_heap_size_total_bytes', type: 'gauge', labels: [] },
  { name: 'nodejs_heap_size_used_bytes', type: 'gauge', labels: [] },
  { name: 'nodejs_external_memory_bytes', type: 'gauge', labels: [] },
  { name: 'nodejs_heap_space_size_total_bytes', type: 'gauge', labels: ['space'] },
  { name: 'nodejs_heap_space_size_used_bytes', type: 'gauge', labels: ['space'] },
  { name: 'nodejs_heap_space_size_available_bytes', type: 'gauge', labels: ['space'] },
  { name: 'nodejs_version_info', type: 'gauge', labels: ['version', 'major', 'minor', 'patch'] },
  { name: 'nodejs_gc_duration_seconds', type: 'histogram', labels: ['kind'] },
]

/** Series Prometheus records for every target itself (not served by the service). */
export const SCRAPE_METRICS: readonly MetricSpec[] = [{ name: 'up', type: 'gauge', labels: [] }]

/** The series names a metric is stored under: a histogram's `_bucket`, `_sum` and `_count`, else its name. */
export function seriesNames(metric: MetricSpec): string[] {
  return metric.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => metric.name + suffix) : [metric.name]
}

/** Maps each series name of `metrics` to the metric it belongs to. */
export function seriesIndex(metrics: readonly MetricSpec[]): ReadonlyMap<string, MetricSpec> {
  return new Map(metrics.flatMap((metric) => seriesNames(metric).map((series) => [series, metric] as const)))
}
