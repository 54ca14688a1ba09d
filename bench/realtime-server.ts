// The service for `npm run bench -- realtime`, in its own process (embedded, or with
// REDIS_URI set: through the Redis stream). Prints one JSON line: {port, token, sku}.
import { benchApp } from './embedded-app.js'

const app = await benchApp(
  process.env.REDIS_URI
    ? { REDIS_URI: process.env.REDIS_URI, REDIS_STREAM: `bench:events:${process.pid}`, REDIS_KEY_PREFIX: `bench:${process.pid}:` }
    : {},
)
await app.listen({ port: 0, host: '127.0.0.1' })
const admin = await app.users.find('admin@bench.local')
if (!admin) throw new Error('no bench admin')
const { access_token } = await app.issueToken(admin)
// The sales rep the admin places orders for.
await app.users.create({ email: 'rep@bench.local', name: 'Rep', password: 'bench-rep-password', role: 'sales_rep' })
const { sku } = await app.skuCommands.create(
  { sku: 'BENCH-1', name: 'Bench item', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 },
  { actor: admin.email, correlationId: 'bench' },
)
const address = app.server.address()
console.log(
  JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0, token: access_token, sku: sku.sku }),
)
process.once('SIGTERM', () => {
  void (async () => {
    await app.redis?.del(app.config.redisStream)
    await app.close()
    process.exit(0)
  })()
})
