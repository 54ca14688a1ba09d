// The embedded service for `npm run bench -- reads`, in its own process, seeded with
// 100 000 orders. Prints one JSON line: {port, token, page200}.
import { benchApp } from './embedded-app.js'
import { defineAbilityFor } from '../src/auth/abilities.js'

const ORDERS = Number(process.env.BENCH_ORDERS ?? 100_000)
const app = await benchApp()
await app.listen({ port: 0, host: '127.0.0.1' })
const admin = await app.users.find('admin@bench.local')
if (!admin) throw new Error('no bench admin')
const { access_token } = await app.issueToken(admin)
const context = { actor: admin.email, correlationId: 'bench' }
const principal = { sub: admin.email, role: 'admin' as const }
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
const ability = defineAbilityFor(principal)
let cursor: string | null = null
for (let page = 1; page < 200; page++) {
  cursor = (await app.orderQueries.list(ability, {}, { limit: 50, ...(cursor ? { cursor } : {}) })).next_cursor
}
const address = app.server.address()
console.log(
  JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0, token: access_token, page200: cursor }),
)
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
