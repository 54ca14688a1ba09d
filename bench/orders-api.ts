import { type LoadResult, load, startBenchServer } from './http.js'
import { type Row, format, printTable } from './report.js'

/** POST /api/orders (embedded store, 50 connections) against the same stack answering a canned 201. */
export async function benchOrdersApi(): Promise<void> {
  const server = await startBenchServer('bench/orders-server.ts')
  const { port, token, sku } = server.hello as { port: number; token: string; sku: string }
  const request = (path: string, seconds: number) =>
    load({
      url: `http://127.0.0.1:${port}${path}`,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customer: { name: 'Bench Ltd' }, items: [{ sku, quantity: 2 }] }),
      connections: 50,
      seconds,
    })
  try {
    await request('/api/bench/canned-order', 3) // warm-up, both paths
    await request('/api/orders', 3)
    // Interleaved rounds: machine noise hits both paths alike; the median round is reported.
    const rounds: { real: LoadResult; baseline: LoadResult; ratio: number }[] = []
    for (let round = 0; round < 3; round++) {
      const baseline = await request('/api/bench/canned-order', 8)
      const real = await request('/api/orders', 8)
      if (real.non2xx + baseline.non2xx + real.errors + baseline.errors > 0) {
        throw new Error(`bench saw failures: ${JSON.stringify({ real, baseline })}`)
      }
      rounds.push({ real, baseline, ratio: real.requestsPerSecond / baseline.requestsPerSecond })
    }
    rounds.sort((x, y) => x.ratio - y.ratio)
    const median = rounds[1]
    if (!median) throw new Error('no bench rounds')
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
