import { randomBytes } from 'node:crypto'
import { buildApp } from '../src/api/app.js'
import { loadConfig } from '../src/infra/config.js'
import { load, startBenchServer } from './http.js'
import { type Row, format, perSecond, printTable } from './report.js'
import { benchReports } from './reports.js'
import { benchMongo, dropBenchDatabase } from './servers.js'

/**
 * Rebuild throughput (memory and MongoDB wire), list latency at page 1 vs page 200 and the
 * heap of a CSV export over 100 000 orders, and a year's report with arbitrary bounds.
 */
export async function benchReadSide(): Promise<void> {
  const rows: Row[] = []
  rows.push(await rebuildRate('memory', undefined, 20_000))
  const mongo = benchMongo()
  const databaseUri = `${mongo.uri.replace(/\/$/, '')}/bench_${randomBytes(4).toString('hex')}`
  try {
    rows.push(await rebuildRate('MongoDB wire (FerretDB)', databaseUri, 1000))
  } finally {
    await dropBenchDatabase(databaseUri)
    mongo.stop()
  }
  printTable('Rebuilding the orders projection from position 0', rows)

  const server = await startBenchServer('bench/queries-server.ts', {}, ['--expose-gc'])
  const { port, token, page200, exports } = server.hello as {
    port: number
    token: string
    page200: string
    exports: { rows: number; mb: number; seconds: number; heapGrowthMb: number }[]
  }
  const [tenth, all] = exports
  if (!tenth || !all) throw new Error('the queries server measured no exports')
  const exportRow = (csv: typeof all) => ({
    what: `GET /api/orders?format=csv: ${csv.rows.toLocaleString('en-US')} rows, ${csv.mb.toFixed(1)} MB, ${csv.seconds.toFixed(1)} s`,
    figure: `${csv.heapGrowthMb.toFixed(1)} MB heap growth`,
  })
  printTable('CSV export (embedded, streamed a page at a time; live heap growth, measured after a full GC every 50 ms)', [
    exportRow(tenth),
    {
      ...exportRow(all),
      baseline: `${tenth.heapGrowthMb.toFixed(1)} MB for a tenth of the rows`,
      ratio: all.heapGrowthMb / tenth.heapGrowthMb,
    },
  ])
  try {
    const page = (query: string) =>
      load({
        url: `http://127.0.0.1:${port}/api/orders?limit=50${query}`,
        headers: { authorization: `Bearer ${token}` },
        connections: 10,
        seconds: 8,
      })
    await page('') // warm-up
    const first = await page('')
    const deep = await page(`&cursor=${page200}`)
    printTable('GET /api/orders over 100 000 orders (embedded, 10 connections, 8 s each; target: p99 ratio <= 1.5)', [
      {
        what: 'page 200 (cursor), p99',
        figure: `${deep.p99} ms`,
        baseline: `${first.p99} ms page 1`,
        ratio: deep.p99 / Math.max(first.p99, 1),
      },
      {
        what: 'page 200 (cursor), throughput',
        figure: format(deep.requestsPerSecond, 'req/s'),
        baseline: `${format(first.requestsPerSecond, 'req/s')} page 1`,
        ratio: deep.requestsPerSecond / first.requestsPerSecond,
      },
    ])
  } finally {
    await server.stop()
  }
  await benchReports()
}

async function rebuildRate(what: string, mongodbUri: string | undefined, orders: number): Promise<Row> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: ':memory:',
    ADMIN_EMAIL: 'admin@bench.local',
    ADMIN_PASSWORD: 'bench-admin-password',
    ...(mongodbUri ? { MONGODB_URI: mongodbUri } : {}),
  })
  const app = await buildApp({ config, announce: () => undefined })
  try {
    const context = { actor: 'admin@bench.local', correlationId: 'bench' }
    const principal = { sub: 'rep@bench.local', role: 'sales_rep' as const }
    const { sku } = await app.skuCommands.create(
      { sku: 'BENCH-1', name: 'Bench item', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 },
      context,
    )
    const batch = 50
    for (let i = 0; i < orders; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, orders - i) }, (_, j) =>
          app.orderCommands.place(
            { customer: { name: `C${i + j}` }, items: [{ sku: sku.sku, quantity: 1 }] },
            principal,
            context,
          ),
        ),
      )
    }
    const head = await app.eventStore.headPosition()
    const start = performance.now()
    const { generation } = await app.projections.rebuild('orders')
    for (;;) {
      const status = (await app.projections.status()).find((p) => p.name === 'orders')
      if (status?.generation === generation || (status?.rebuild?.position ?? 0) >= head) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const ms = performance.now() - start
    return {
      what: `${what}: ${head.toLocaleString('en-US')} events`,
      figure: format(perSecond(head, ms), 'events/s'),
      baseline: `${(ms / 1000).toFixed(2)} s`,
    }
  } finally {
    await app.close()
  }
}
