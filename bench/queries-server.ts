// The embedded service for `npm run bench -- reads`, in its own process (run with
// --expose-gc), seeded with 100 000 orders. Measures the heap a CSV export of all of them
// takes, then prints one JSON line: {port, token, page200, export}.
import { benchApp } from './embedded-app.js'
import { defineAbilityFor } from '../src/auth/abilities.js'

const ORDERS = Number(process.env.BENCH_ORDERS ?? 100_000)
const app = await benchApp()
await app.listen({ port: 0, host: '127.0.0.1' })
const admin = await app.users.find('admin@bench.local')
if (!admin) throw new Error('no bench admin')
const { access_token } = await app.issueToken(admin)
const context = { actor: admin.email, correlationId: 'bench' }
const principal = { sub: 'rep@bench.local', role: 'sales_rep' as const }
const { sku } = await app.skuCommands.create(
  { sku: 'BENCH-1', name: 'Bench item', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 },
  context,
)
let last = 0
for (let i = 0; i < ORDERS; i++) {
  last = (
    await app.orderCommands.place(
      { customer: { name: `Customer ${i}` }, items: [{ sku: sku.sku, quantity: 1 + (i % 3) }] },
      principal,
      context,
    )
  ).order.position
}
await app.projections.waitFor('orders', last, 120_000)

// Walk 199 pages to find where page 200 starts.
const ability = defineAbilityFor({ sub: admin.email, role: 'admin' })
let cursor: string | null = null
for (let page = 1; page < 200; page++) {
  cursor = (await app.orderQueries.list(ability, {}, { limit: 50, ...(cursor ? { cursor } : {}) })).next_cursor
}
const address = app.server.address()
const port = typeof address === 'object' && address ? address.port : 0

/**
 * Downloads a CSV export of the orders from this process's own server, reading and
 * dropping each chunk, while measuring the live heap every 50 ms (after a full GC, so that
 * garbage not yet collected does not count): its growth over the heap before is what the
 * export holds in memory (the rows are pulled a page at a time).
 */
async function exportHeap(query: string): Promise<{ rows: number; mb: number; seconds: number; heapGrowthMb: number }> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with --expose-gc')
  gc()
  const before = process.memoryUsage().heapUsed
  let peak = before
  const sampler = setInterval(() => {
    gc()
    peak = Math.max(peak, process.memoryUsage().heapUsed)
  }, 50)
  const started = performance.now()
  const response = await fetch(`http://127.0.0.1:${port}/api/orders?format=csv${query}`, {
    headers: { authorization: `Bearer ${access_token}` },
  })
  let bytes = 0
  let lines = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength
    for (const byte of chunk) if (byte === 10) lines++
  }
  clearInterval(sampler)
  return {
    rows: lines - 1,
    mb: bytes / 1e6,
    seconds: (performance.now() - started) / 1000,
    heapGrowthMb: (peak - before) / 1e6,
  }
}

// A tenth of the orders ("Customer 1", "Customer 1x", …) and all of them: memory must not grow with the rows.
const tenth = await exportHeap('&customer=customer%201')
const all = await exportHeap('')
console.log(JSON.stringify({ port, token: access_token, page200: cursor, exports: [tenth, all] }))
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
