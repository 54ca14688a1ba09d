import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { priceLines } from '../src/commands/order/pricing.js'
import type { DomainEvent } from '../src/events/catalog.js'
import { createEventStore } from '../src/events/event-store.js'
import { MemoryCommitLog } from '../src/events/memory-commit-log.js'
import { MemoryReadModelStore } from '../src/projections/memory-read-model.js'
import { MongoReadModelStore } from '../src/projections/mongo-read-model.js'
import { ordersCollection, ordersProjection } from '../src/projections/orders-projection.js'
import type { ReadModelStore } from '../src/projections/read-model.js'
import { summariesCollection, summariesProjection } from '../src/projections/summaries-projection.js'
import { type ReportRequest, createReportQueries } from '../src/queries/report-queries.js'
import { NO_LEASE } from '../test/support/projections/harness.js'
import { type Row, printTable } from './report.js'
import { benchMongo } from './servers.js'

const HOUR_MS = 3_600_000
const YEAR_START = Date.parse('2025-01-01T00:00:00.000Z')
const HOURS = 365 * 24
const REPS = ['ann@bench.local', 'bob@bench.local', 'chi@bench.local', 'dev@bench.local']
const SKUS = [
  { sku: 'INR-1', currency: 'INR', unit_price: 12_345 },
  { sku: 'INR-2', currency: 'INR', unit_price: 999 },
  { sku: 'USD-1', currency: 'USD', unit_price: 4_999 },
]
const WHOLE: ReportRequest = {
  from: '2025-01-01T00:00:00.000Z',
  to: '2026-01-01T00:00:00.000Z',
  granularity: 'hour',
  group_by: 'none',
  tz: 'Asia/Kolkata',
}
const EDGES: ReportRequest = { ...WHOLE, from: '2025-01-01T00:07:13.123Z', to: '2025-12-31T23:52:48.877Z' }

/**
 * A report over a year of hourly data (an order every hour, two currencies), asked with
 * whole quarter-hour bounds and with bounds at arbitrary milliseconds (two partial
 * quarter-hours read from the orders): p50/p99, memory and MongoDB wire (FerretDB).
 */
export async function benchReports(): Promise<void> {
  const rows: Row[] = []
  rows.push(...(await measure('memory', new MemoryReadModelStore(), 40)))
  const mongo = benchMongo()
  const client = new MongoClient(mongo.uri)
  const db = client.db(`bench_${randomBytes(4).toString('hex')}`)
  try {
    rows.push(...(await measure('MongoDB wire (FerretDB)', new MongoReadModelStore(db, 'ferretdb'), 15)))
  } finally {
    await db.dropDatabase()
    await client.close()
    mongo.stop()
  }
  printTable(`Report over 1 year of hourly data (${HOURS.toLocaleString('en-US')} orders, by hour, Asia/Kolkata)`, rows)
}

async function measure(what: string, readModels: ReadModelStore, rounds: number): Promise<Row[]> {
  await seedYear(readModels)
  const reports = createReportQueries({
    summaries: () => summariesCollection(readModels, 1),
    orders: () => ordersCollection(readModels, 1),
  })
  const timings = async (request: ReportRequest) => {
    const ms: number[] = []
    for (let i = 0; i < rounds; i++) {
      const started = performance.now()
      await reports.summaries(request)
      ms.push(performance.now() - started)
    }
    return percentiles(ms)
  }
  await reports.summaries(WHOLE) // warm-up
  const whole = await timings(WHOLE)
  const edges = await timings(EDGES)
  return [
    {
      what: `${what}: arbitrary-millisecond bounds, p50 / p99 (${rounds} runs)`,
      figure: `${edges.p50.toFixed(0)} / ${edges.p99.toFixed(0)} ms`,
      baseline: `${whole.p50.toFixed(0)} / ${whole.p99.toFixed(0)} ms whole quarter-hours`,
      ratio: edges.p99 / whole.p99,
    },
  ]
}

/** One order an hour over 2025 at a random minute, through the event store and both projections. */
async function seedYear(readModels: ReadModelStore): Promise<void> {
  let clock = YEAR_START
  const store = createEventStore(new MemoryCommitLog(), { source: 'bench', now: () => new Date(clock) })
  const who = { actor: 'bench', correlationId: 'bench' }
  for (let hour = 0; hour < HOURS; hour++) {
    clock = YEAR_START + hour * HOUR_MS + ((hour * 7919) % HOUR_MS)
    const currency = hour % 3 === 0 ? 'USD' : 'INR'
    const lines = SKUS.filter((sku) => sku.currency === currency).map((sku, i) => ({
      sku: sku.sku,
      name: sku.sku,
      quantity: 1 + ((hour + i) % 4),
      unit_price: sku.unit_price,
      tax_rate_bp: 1800,
    }))
    const order_id = `ORD-${String(hour + 1).padStart(5, '0')}`
    const event: DomainEvent = {
      type: 'order.created',
      data: {
        order_id,
        sales_rep: REPS[hour % REPS.length] ?? '',
        customer: { name: `Customer ${hour % 50}` },
        currency,
        ...priceLines(lines),
      },
    }
    await store.append(`order-${order_id}`, [event], who)
  }
  const projections = [summariesProjection, ordersProjection].map((p) => p.generation(readModels, 1, store))
  for (const projection of projections) await projection.ensureIndexes()
  for (let after = 0; ;) {
    const page = await store.readAll({ after, limit: 500 })
    if (page.events.length === 0) break
    for (const projection of projections) await projection.apply(page.events, NO_LEASE)
    after = page.position
  }
}

function percentiles(ms: number[]): { p50: number; p99: number } {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0
  return { p50: at(0.5), p99: at(0.99) }
}
