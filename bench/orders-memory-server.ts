// The memory probe for `npm run bench -- orders`, in its own process started with
// --expose-gc: the embedded app (same configuration as orders-server.ts) before and after
// BENCH_MEMORY_ORDERS orders (default 100 000), then around three rebuilds of the orders
// projection (measured once the retired generations are dropped). Prints one JSON line (MemoryProbe) and waits for SIGTERM.
import { benchApp } from './embedded-app.js'
import { PROJECTION_NAMES } from '../src/projections/projection.js'

/** What the probe prints; heap and RSS in bytes, after a full GC. */
export interface MemoryProbe {
  orders: number
  placeMs: number
  heapBefore: number
  heapAfter: number
  rssBeforeRebuilds: number
  rssAfterRebuilds: number
  heapAfterRebuilds: number
  rebuildMs: number[]
}

const ORDERS = Number(process.env.BENCH_MEMORY_ORDERS ?? 100_000)
const CATCH_UP_MS = 120_000
// The probe must end by itself whatever happens: the parent only waits for its one line.
const watchdog = setTimeout(() => {
  process.stderr.write('orders-memory-server: gave up after 10 minutes\n')
  process.exit(1)
}, 600_000)
watchdog.unref()

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

/** A full collection, twice, with a turn of the event loop between (finalizers, weak refs). */
async function collect(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 2; i++) {
    gc?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage()
}

const app = await benchApp()
await app.ready()
const context = { actor: 'admin@bench.local', correlationId: 'bench' }
const principal = { sub: 'rep@bench.local', role: 'sales_rep' as const }
const { sku } = await app.skuCommands.create(
  { sku: 'BENCH-1', name: 'Bench item', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 },
  context,
)

/** Every consumer of the store (the three projections and the real-time relay) has reached the head. */
async function caughtUp(): Promise<void> {
  const head = await app.eventStore.headPosition()
  const waits = [
    ...PROJECTION_NAMES.map(async (name) => (await app.projections.waitFor(name, head, CATCH_UP_MS)).reached),
    app.realtime.relay.waitFor(head, CATCH_UP_MS),
  ]
  if (!(await Promise.all(waits)).every(Boolean)) throw new Error(`consumers did not reach ${head} within ${CATCH_UP_MS} ms`)
}

await caughtUp()
const before = await collect()
const placing = performance.now()
for (let i = 0; i < ORDERS; i++) {
  await app.orderCommands.place(
    { customer: { name: `Customer ${i}` }, items: [{ sku: sku.sku, quantity: 1 + (i % 3) }] },
    principal,
    context,
  )
}
const placeMs = performance.now() - placing
await caughtUp()
const after = await collect()

const rebuildMs: number[] = []
for (let i = 0; i < 3; i++) {
  const start = performance.now()
  const { generation } = await app.projections.rebuild('orders')
  const deadline = Date.now() + CATCH_UP_MS
  while (app.projections.liveGeneration('orders') !== generation) {
    if (Date.now() > deadline) throw new Error(`orders generation ${generation} not live within ${CATCH_UP_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  rebuildMs.push(performance.now() - start)
}
// A retired generation stays queryable for a grace period, then is dropped: measure after that.
const retiredBy = Date.now() + CATCH_UP_MS
while (app.projections.records('orders').some((record) => record.state === 'retired')) {
  if (Date.now() > retiredBy) throw new Error(`retired orders generations not dropped within ${CATCH_UP_MS} ms`)
  await new Promise((resolve) => setTimeout(resolve, 200))
}
const rebuilt = await collect()

const probe: MemoryProbe = {
  orders: ORDERS,
  placeMs,
  heapBefore: before.heapUsed,
  heapAfter: after.heapUsed,
  rssBeforeRebuilds: after.rss,
  rssAfterRebuilds: rebuilt.rss,
  heapAfterRebuilds: rebuilt.heapUsed,
  rebuildMs,
}
console.log(JSON.stringify(probe))
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
