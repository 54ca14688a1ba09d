import type { NewEvent } from '../src/events/envelope.js'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Principal } from '../src/auth/abilities.js'
import { createEventStore } from '../src/events/event-store.js'
import { MemoryCommitLog } from '../src/events/memory-commit-log.js'
import { openDataDir } from '../src/storage/embedded-storage.js'
import { benchApp } from './embedded-app.js'
import { type Row, format, perSecond, printTable, timed } from './report.js'

const who = { actor: 'bench@example.com', correlationId: 'bench' }
const payload = (i: number) => ({
  order_id: `ORD-${i}`,
  total_amount: 118_000,
  sales_rep: 'rep@example.com',
  note: 'x'.repeat(200),
})
/** Orders in the start-up measurement (BENCH_DURABLE_ORDERS shortens it). */
const ORDERS = Number(process.env.BENCH_DURABLE_ORDERS ?? 100_000)

/**
 * `npm run bench -- durable`: the embedded mode's durable store (the memory commit log over
 * its fsync'd file) against the memory store in the same run — appends/s with 1 and 8
 * writers, and how many appends each fsync carried (group commit) — then the start-up time
 * on a DATA_DIR holding ORDERS orders (read and check the log, rebuild the read models).
 */
export async function benchDurableStore(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-durable-'))
  try {
    printTable('Durable embedded store: appends (one event each, fdatasync before acknowledging)', await appendRates(dir))
    printTable(`Durable embedded store: start-up with ${ORDERS.toLocaleString('en-US')} orders`, await startUp(dir))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function appendRates(dir: string): Promise<Row[]> {
  const rows: Row[] = []
  // Warm the code up first, so that neither side pays for the JIT.
  const warm = createEventStore<NewEvent>(new MemoryCommitLog(), { source: 'bench' })
  await timed(5000, 8, (i) => warm.append(`warm-${i}`, [{ type: 'bench.happened', data: payload(i) }], who))
  for (const [writers, count] of [
    [1, 1000],
    [8, 4000],
  ] as const) {
    const memoryStore = createEventStore<NewEvent>(new MemoryCommitLog(), { source: 'bench' })
    const memoryMs = await timed(count, writers, (i) =>
      memoryStore.append(`bench-${i}`, [{ type: 'bench.happened', data: payload(i) }], { ...who, expectedVersion: 'no_stream' }),
    )
    const storage = await openDataDir(join(dir, `appends-${writers}`))
    const batches: number[] = []
    const durable = createEventStore<NewEvent>(storage.commitLog, {
      source: 'bench',
      observer: { appended: () => undefined, batch: (size) => batches.push(size) },
    })
    const durableMs = await timed(count, writers, (i) =>
      durable.append(`bench-${i}`, [{ type: 'bench.happened', data: payload(i) }], { ...who, expectedVersion: 'no_stream' }),
    )
    await storage.close()
    const rate = perSecond(count, durableMs)
    const memoryRate = perSecond(count, memoryMs)
    rows.push({
      what: `${writers} writer(s), ${count} appends: ${(count / batches.length).toFixed(1)} appends per fsync`,
      figure: format(rate, 'appends/s'),
      baseline: `${format(memoryRate, 'appends/s')} memory store`,
      ratio: rate / memoryRate,
    })
  }
  return rows
}

async function startUp(dir: string): Promise<Row[]> {
  const dataDir = join(dir, 'orders')
  const env = { DATA_DIR: dataDir, METRICS_PORT: 'off' }
  await timedStart(env) // the first start generates the signing key and the admin: not part of a restart
  const empty = await timedStart(env)

  // The orders go in through the commands, as the API places them, 64 at a time (group commit).
  const app = await benchApp(env)
  await app.ready()
  const admin: Principal = { sub: 'admin@bench.local', role: 'admin' }
  const context = { actor: admin.sub, correlationId: 'bench' }
  await app.users.create({ email: 'rep@bench.local', name: 'Rep', password: 'bench-rep-password', role: 'sales_rep' })
  for (const [sku, currency] of [
    ['TEA-1', 'INR'],
    ['TEA-2', 'INR'],
  ] as const) {
    await app.skuCommands.create({ sku, name: sku, unit_price: 45_000, currency, tax_rate_bp: 500 }, context)
  }
  const placeMs = await timed(ORDERS, 64, (i) =>
    app.orderCommands.place(
      {
        customer: { name: `Customer ${i % 500}` },
        items: [{ sku: i % 2 ? 'TEA-1' : 'TEA-2', quantity: 1 + (i % 7) }],
        sales_rep: 'rep@bench.local',
      },
      admin,
      context,
    ),
  )
  await app.close()
  const bytes = (await stat(join(dataDir, 'events.log'))).size

  const opened: { ms: number; commits: number }[] = []
  const open = await openDataDir(dataDir, (opening) => opened.push(opening))
  await open.close()
  const full = await timedStart(env)
  return [
    {
      what: `placing the ${ORDERS.toLocaleString('en-US')} orders (commands, 64 at a time; log ${format(bytes / 1_048_576, 'MB')})`,
      figure: format(perSecond(ORDERS, placeMs), 'orders/s'),
    },
    {
      what: `reading and checking the log (${String(opened[0]?.commits ?? 0)} commits, CRC per record)`,
      figure: format(opened[0]?.ms ?? 0, 'ms'),
    },
    {
      what: 'start-up: build the app until ready (log read, read models rebuilt from position 0)',
      figure: format(full, 'ms'),
      baseline: `${format(empty, 'ms')} restart on an empty log`,
      ratio: full / empty,
    },
  ]
}

/** Milliseconds from building the app on that DATA_DIR to ready (read models caught up). */
async function timedStart(env: Record<string, string>): Promise<number> {
  const started = performance.now()
  const app = await benchApp(env)
  await app.ready()
  const ms = performance.now() - started
  await app.close()
  return ms
}
