// One instance of the cluster for `npm run bench -- cluster`, in its own process, on
// MONGODB_URI and REDIS_URI with the JWT key the parent generated (so a token from one
// instance is good on all). With BENCH_SEED=1 it also creates the sales rep and the SKU and
// prints tokens. Prints one JSON line: {port, rep?, admin?, sku?}.
import { pino } from 'pino'
import { buildApp } from '../src/api/app.js'
import { loadConfig } from '../src/infra/config.js'

const config = loadConfig({
  ...process.env,
  PORT: '0',
  LOG_LEVEL: 'warn',
  API_RATE_LIMIT: '100000000/1h',
  ADMIN_EMAIL: 'admin@bench.local',
  ADMIN_PASSWORD: 'bench-admin-password',
})
const app = await buildApp({ config, logger: pino({ level: 'warn' }, pino.destination(2)), announce: () => undefined })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const port = typeof address === 'object' && address ? address.port : 0
if (process.env.BENCH_SEED === '1') {
  const admin = await app.users.find('admin@bench.local')
  if (!admin) throw new Error('no bench admin')
  const rep = await app.users.create({ email: 'rep@bench.local', name: 'Rep', password: 'bench-rep-password', role: 'sales_rep' })
  const { sku } = await app.skuCommands.create(
    { sku: 'BENCH-1', name: 'Bench item', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 },
    { actor: admin.email, correlationId: 'bench' },
  )
  const rep_token = (await app.issueToken(rep)).access_token
  const admin_token = (await app.issueToken(admin)).access_token
  console.log(JSON.stringify({ port, rep: rep_token, admin: admin_token, sku: sku.sku }))
} else {
  console.log(JSON.stringify({ port }))
}
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
