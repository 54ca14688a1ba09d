// The service for `npm run bench -- ferretdb` and `-- cluster`, in its own process, on
// MONGODB_URI (and REDIS_URI): an admin, a sales rep and one SKU, then one JSON line
// {port, rep, admin, sku}. With BENCH_SEED=0 (the cluster's other instances, which share the
// first one's JWT_SECRET) it seeds nothing and prints {port}. Started again on the same
// database it keeps what is there.
import { pino } from 'pino'
import { buildApp } from '../src/api/app.js'
import { loadConfig } from '../src/infra/config.js'

const config = loadConfig({
  ...process.env,
  PORT: '0',
  DATA_DIR: ':memory:',
  METRICS_PORT: '0', // the cluster section runs three of these side by side
  LOG_LEVEL: 'warn',
  API_RATE_LIMIT: '100000000/1h',
  ADMIN_EMAIL: 'admin@bench.local',
  ADMIN_PASSWORD: 'bench-admin-password',
})
const app = await buildApp({ config, logger: pino({ level: 'warn' }, pino.destination(2)), announce: () => undefined })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const port = typeof address === 'object' && address ? address.port : 0
if (process.env.BENCH_SEED === '0') {
  console.log(JSON.stringify({ port }))
} else {
  const admin = await app.users.find('admin@bench.local')
  if (!admin) throw new Error('no bench admin')
  // A restart on the same database (the ferretdb section's rounds) finds its rep and SKU there.
  const rep =
    (await app.users.find('rep@bench.local')) ??
    (await app.users.create({ email: 'rep@bench.local', name: 'Rep', password: 'bench-rep-password', role: 'sales_rep' }))
  const sku = 'BENCH-1'
  if ((await app.skuCommands.load(sku)).status === 'none') {
    await app.skuCommands.create(
      { sku, name: 'Bench item', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 },
      { actor: admin.email, correlationId: 'bench' },
    )
  }
  console.log(
    JSON.stringify({
      port,
      admin: (await app.issueToken(admin)).access_token,
      rep: (await app.issueToken(rep)).access_token,
      sku,
    }),
  )
}
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
