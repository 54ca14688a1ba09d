// The service for `npm run bench -- orders`, in its own process: the embedded app plus a
// baseline route with the same stack (logging, helmet, JWT verification, rate limit, the
// same body schema) that answers a canned 201. Prints one JSON line: {port, token, sku}.
import { pino } from 'pino'
import { buildApp } from '../src/api/app.js'
import { NewOrder } from '../src/api/routes/orders.js'
import { OrderView } from '../src/api/schemas.js'
import { loadConfig } from '../src/infra/config.js'

// Embedded by definition: whatever MONGODB_URI / REDIS_URI the shell has are left out.
const { MONGODB_URI: _mongo, REDIS_URI: _redis, ...environment } = process.env
const config = loadConfig({
  ...environment,
  PORT: '0',
  DATA_DIR: environment.DATA_DIR ?? ':memory:',
  LOG_LEVEL: 'info',
  API_RATE_LIMIT: '100000000/1h',
  ADMIN_EMAIL: 'admin@bench.local',
  ADMIN_PASSWORD: 'bench-admin-password',
  METRICS_PORT: environment.METRICS_PORT ?? '0', // (`off` for the metrics-cost baseline)
})
const canned = {
  order_id: 'ORD-00001',
  sales_rep: 'rep@bench.local',
  customer: { name: 'Bench Ltd' },
  items: [
    {
      sku: 'BENCH-1',
      name: 'Bench item',
      quantity: 2,
      unit_price: 100_000,
      tax_rate_bp: 1800,
      line_subtotal: 200_000,
      line_tax: 36_000,
      line_total: 236_000,
    },
  ],
  currency: 'INR',
  subtotal: 200_000,
  tax_amount: 36_000,
  total_amount: 236_000,
  status: 'created',
  version: 1,
  position: 2,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
}
const app = await buildApp({
  config,
  logger: pino({ level: 'info' }, pino.destination('/dev/null')),
  announce: () => undefined,
  extend: async (instance) => {
    instance.post(
      '/api/bench/canned-order',
      { config: { auth: { can: ['create', 'Order'] } }, schema: { body: NewOrder, response: { 201: OrderView } } },
      async (_request, reply) => reply.code(201).header('location', '/api/orders/ORD-00001').header('etag', '"1"').send(canned),
    )
  },
})
await app.listen({ port: 0, host: '127.0.0.1' })
const rep = await app.users.create({ email: 'rep@bench.local', name: 'Rep', password: 'bench-rep-password', role: 'sales_rep' })
const { access_token } = await app.issueToken(rep)
const { sku } = await app.skuCommands.create(
  { sku: 'BENCH-1', name: 'Bench item', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 },
  { actor: 'admin@bench.local', correlationId: 'bench' },
)
const address = app.server.address()
console.log(
  JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0, token: access_token, sku: sku.sku }),
)
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})
