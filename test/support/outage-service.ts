import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { expect } from 'vitest'
import type { LoadReport } from './order-load.js'
import { startProcess } from './process.js'
import { redisNamespace } from './servers.js'

// A service process for the outage suites (outages, restarts during a stall): an admin, a
// sales rep and a SKU to order, and the check that each acknowledged order is stored once.

export const ADMIN = { email: 'admin@test.local', password: 'admin-password-for-tests' }
export const REQUEST_TIMEOUT_MS = 5000
/** A request still unanswered this long after the service's own bound counts as hung. */
export const CLIENT_TIMEOUT_MS = REQUEST_TIMEOUT_MS + 3000

/** The sales rep the load's orders are for. */
export const SALES_REP = 'outage-rep@test.local'

/** A service process on its own database, an admin token, a sales rep and a SKU to order. */
export async function startService(env: Record<string, string>) {
  const namespace = redisNamespace('outage') // (unless `env` names one: instances sharing a stream)
  const service = startProcess('src/main.ts', {
    PORT: '0',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    API_RATE_LIMIT: '1000000/1h',
    ...namespace,
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    ...env,
  })
  const url = await service.url
  const login = await fetch(`${url}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  })
  const { access_token: token } = (await login.json()) as { access_token: string }
  const sku = `OUT-${randomBytes(3).toString('hex').toUpperCase()}`
  const created = await fetch(`${url}/api/skus`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku, name: 'Outage widget', unit_price: 1000, currency: 'INR', tax_rate_bp: 1800 }),
  })
  expect(created.status).toBe(201)
  const rep = await fetch(`${url}/api/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: SALES_REP, name: 'Outage rep', password: 'outage-rep-password', role: 'sales_rep' }),
  })
  expect(rep.status).toBeOneOf([201, 409]) // (409: an earlier instance on this database made it)
  return { service, url, token, sku }
}

/** Every acknowledged key is one order, stored once (read from the event log itself). */
export async function expectStoredExactlyOnce(uri: string, report: LoadReport): Promise<void> {
  const client = await MongoClient.connect(uri)
  try {
    // One document per commit, its events inside (src/events/mongo-commit-log.ts).
    type Commit = { events: { type: string; data: { order_id?: string; customer?: { name: string } } }[] }
    const commits = await client.db().collection<Commit>('events').find({}).toArray()
    const byKey = new Map<string, string[]>()
    for (const { type, data } of commits.flatMap((commit) => commit.events)) {
      if (type !== 'order.created' || !data.customer || !data.order_id) continue
      byKey.set(data.customer.name, [...(byKey.get(data.customer.name) ?? []), data.order_id])
    }
    for (const [key, ids] of report.acknowledged) {
      expect(ids.size, `${key} acknowledged as one order`).toBe(1)
      expect(byKey.get(key), `${key} stored once`).toEqual([...ids])
    }
  } finally {
    await client.close()
  }
}
