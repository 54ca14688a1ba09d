import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { profileRows, summarizeCpuProfile } from './cpu-profile.js'
import { type LoadResult, load, startBenchServer } from './http.js'
import { benchEmbeddedFeed, benchEmbeddedMemory } from './orders-memory.js'
import { type Row, format, printTable } from './report.js'

/**
 * The embedded store's order path: POST /api/orders throughput and p99 against the same
 * stack answering a canned 201, a CPU profile of one POST round, memory per order and
 * across rebuilds at 100 000 orders, and the embedded feed's append cost once full.
 */
export async function benchOrdersApi(): Promise<void> {
  await benchPostThroughput()
  await benchMetricsCost()
  await benchPostProfile()
  await benchEmbeddedMemory()
  await benchEmbeddedFeed()
}

/** `bench/orders-server.ts` answering on `port`: POSTs an order to `path` for `seconds`, 50 connections. */
function poster(hello: unknown): (path: string, seconds: number) => Promise<LoadResult> {
  const { port, token, sku } = hello as { port: number; token: string; sku: string }
  return (path, seconds) =>
    load({
      url: `http://127.0.0.1:${port}${path}`,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customer: { name: 'Bench Ltd' }, items: [{ sku, quantity: 2 }] }),
      connections: 50,
      seconds,
    })
}

function assertNoFailures(...results: LoadResult[]): void {
  if (results.some((r) => r.non2xx + r.errors > 0)) throw new Error(`bench saw failures: ${JSON.stringify(results)}`)
}

/**
 * 3-second warm-ups, then 3 interleaved rounds of 8 s (baseline first): machine noise hits
 * both alike; the round with the median ratio is reported.
 */
async function interleavedRounds(
  real: (seconds: number) => Promise<LoadResult>,
  baseline: (seconds: number) => Promise<LoadResult>,
) {
  await baseline(3)
  await real(3)
  const rounds: { real: LoadResult; baseline: LoadResult; ratio: number }[] = []
  for (let round = 0; round < 3; round++) {
    const base = await baseline(8)
    const measured = await real(8)
    assertNoFailures(measured, base)
    rounds.push({ real: measured, baseline: base, ratio: measured.requestsPerSecond / base.requestsPerSecond })
  }
  rounds.sort((x, y) => x.ratio - y.ratio)
  const median = rounds[1]
  if (!median) throw new Error('no bench rounds')
  return { rounds, median }
}

/** POST /api/orders (embedded store, 50 connections) against the same stack answering a canned 201. */
export async function benchPostThroughput(): Promise<void> {
  const server = await startBenchServer('bench/orders-server.ts')
  const request = poster(server.hello)
  try {
    const { rounds, median } = await interleavedRounds(
      (seconds) => request('/api/orders', seconds),
      (seconds) => request('/api/bench/canned-order', seconds),
    )
    const { real, baseline, ratio } = median
    const rows: Row[] = [
      {
        what: `POST /api/orders, 50 connections: throughput (median of 3 interleaved 8 s rounds; ratios ${rounds.map((r) => r.ratio.toFixed(2)).join(', ')})`,
        figure: format(real.requestsPerSecond, 'req/s'),
        baseline: `${format(baseline.requestsPerSecond, 'req/s')} canned 201, same stack`,
        ratio,
      },
      {
        what: 'POST /api/orders: p99 latency',
        figure: `${real.p99} ms`,
        baseline: `${baseline.p99} ms`,
        ratio: real.p99 / Math.max(baseline.p99, 1),
      },
      { what: 'POST /api/orders: p50 latency', figure: `${real.p50} ms`, baseline: `${baseline.p50} ms` },
    ]
    printTable('Placing orders (embedded store; target: throughput ratio >= 0.5)', rows)
  } finally {
    await server.stop()
  }
}

/** POST /api/orders with metrics on (a listener, request hooks) against the same server with METRICS_PORT=off. */
export async function benchMetricsCost(): Promise<void> {
  const on = await startBenchServer('bench/orders-server.ts', { METRICS_PORT: '0' })
  const off = await startBenchServer('bench/orders-server.ts', { METRICS_PORT: 'off' })
  try {
    const [withMetrics, without] = [poster(on.hello), poster(off.hello)]
    const { rounds, median } = await interleavedRounds(
      (seconds) => withMetrics('/api/orders', seconds),
      (seconds) => without('/api/orders', seconds),
    )
    printTable('Cost of metrics (embedded store; target: throughput ratio >= 0.95)', [
      {
        what: `POST /api/orders, 50 connections, metrics on vs METRICS_PORT=off (median of 3 interleaved 8 s rounds; ratios ${rounds.map((r) => r.ratio.toFixed(2)).join(', ')})`,
        figure: format(median.real.requestsPerSecond, 'req/s'),
        baseline: `${format(median.baseline.requestsPerSecond, 'req/s')} without metrics`,
        ratio: median.ratio,
      },
      { what: 'p99 latency, metrics on vs off', figure: `${median.real.p99} ms`, baseline: `${median.baseline.p99} ms` },
    ])
  } finally {
    await Promise.all([on.stop(), off.stop()])
  }
}

const PROFILE_SECONDS = 8

/**
 * The server run with `--cpu-prof` through a warm-up and one POST round; only the samples
 * taken during that round count (profile timestamps and `process.hrtime` share the
 * monotonic clock), so start-up and warm-up stay out of the figures.
 */
async function benchPostProfile(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cpu-prof-'))
  try {
    const server = await startBenchServer('bench/orders-server.ts', {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
    const request = poster(server.hello)
    let window: { from: number; to: number; result: LoadResult }
    try {
      await request('/api/orders', 3) // warm-up
      const from = microseconds()
      const result = await request('/api/orders', PROFILE_SECONDS)
      window = { from, to: microseconds(), result }
      assertNoFailures(result)
    } finally {
      await server.stop() // the profile is written as the server exits
    }
    // The main thread's profile (thread id 0); module-loader threads write their own.
    const file = readdirSync(dir).find((name) => name.includes(`.${String(server.child.pid)}.0.`))
    if (!file) throw new Error(`no CPU profile of the main thread in ${dir}: ${readdirSync(dir).join(', ')}`)
    const summary = summarizeCpuProfile(join(dir, file), window.from, window.to)
    const busy = summary.busyMs / (summary.busyMs + summary.idleMs)
    printTable(
      `CPU profile of POST /api/orders (one ${PROFILE_SECONDS} s round, 50 connections, ${format(window.result.requestsPerSecond, 'req/s')} under --cpu-prof; ` +
        `server busy ${(busy * 100).toFixed(0)} % of the round; self time as % of busy time, by area, then the top functions)`,
      profileRows(summary),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const microseconds = () => Number(process.hrtime.bigint() / 1000n)
