import type { FastifyInstance } from 'fastify'
import type { CommandStartedEvent, Document } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku, orderIn } from '../support/fixtures.js'
import { createTestDatabase, skipWithoutMongo, type TestDatabase } from '../support/servers.js'
import { eventually } from '../support/wait.js'

/** A query as the service sent it: its collection, its filter, and their shape (values and generation numbers left out). */
interface Query {
  collection: string
  filter: Document
  shape: string
}

/**
 * Filters FerretDB may leave to Go, each with its reason. Everything else the service asks
 * must be pushed down to PostgreSQL (`filterPushdown`), or FerretDB decodes the whole
 * collection for it, and the cost grows with the data.
 */
const NOT_PUSHED_DOWN: Record<string, string> = {
  'events {"pages":{"$exists":"boolean"}}': 'the once-per-database migration that adds `pages` to old commits',
  'skus_v<generation> {}': 'the catalogue list: a small collection, sorted whole (its size does not grow with orders)',
}

/** `{a: 1, b: {$lt: 2}}` → `{"a":"number","b":{"$lt":"number"}}`: the filter without its values. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf)
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shapeOf(item)]))
  }
  return value instanceof Date ? 'date' : typeof value
}

function queriesOf(event: CommandStartedEvent): Query[] {
  const { command } = event
  const at = (collection: unknown, filter: unknown): Query => {
    const name = String(collection)
    const shape = `${name.replace(/_v\d+$/, '_v<generation>')} ${JSON.stringify(shapeOf(filter ?? {}))}`
    return { collection: name, filter: filter ?? {}, shape }
  }
  switch (event.commandName) {
    case 'find':
      return [at(command.find, command.filter)]
    case 'update':
      return (command.updates as { q: Document }[]).map((u) => at(command.update, u.q))
    case 'delete':
      return (command.deletes as { q: Document }[]).map((d) => at(command.delete, d.q))
    case 'findAndModify':
      return [at(command.findAndModify, command.query)]
    default:
      return []
  }
}

describe.skipIf(skipWithoutMongo)('every query the service sends is one FerretDB pushes down (no collection decoded)', () => {
  let database: TestDatabase
  let app: FastifyInstance
  const seen = new Map<string, Query>()

  beforeAll(async () => {
    database = await createTestDatabase('query_shapes')
    ;({ app } = await buildTestApp({
      env: { MONGODB_URI: database.uri },
      storage: {
        onCommand: (event) => {
          for (const query of queriesOf(event)) if (!seen.has(query.shape)) seen.set(query.shape, query)
        },
      },
    }))
  })
  afterAll(async () => {
    await app.close()
    await database.drop()
  })

  it('across orders, SKUs, lists, details, history, time travel, reports, users and a rebuild', async () => {
    const admin = bearer(await tokenFor(app, 'admin'))
    const rep = bearer(await tokenFor(app, 'sales_rep'))
    const sku = (await createSku(app)).sku
    await app.inject({ method: 'PATCH', url: `/api/skus/${sku}`, headers: admin, payload: { unit_price: 99_000 } })
    const orders = [
      await orderIn(app, 'created', { skus: [sku], salesRep: 'sales-rep@test.local' }),
      await orderIn(app, 'shipped', { skus: [sku] }),
      await orderIn(app, 'cancelled', { skus: [sku] }),
    ]
    const placed = await app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...rep, 'idempotency-key': 'query-shapes-1' },
      payload: { customer: { name: 'Keyed' }, items: [{ sku, quantity: 2 }] },
    })
    expect(placed.statusCode).toBe(201)
    // Its retry: refused by the store, then looked up by command id and replayed.
    const retried = await app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...rep, 'idempotency-key': 'query-shapes-1' },
      payload: { customer: { name: 'Keyed' }, items: [{ sku, quantity: 2 }] },
    })
    expect([retried.statusCode, retried.headers['idempotent-replayed']]).toEqual([201, 'true'])
    const head = await app.eventStore.headPosition()
    const id = orders[1]?.order_id ?? ''
    /** An instant `ms` away from now, at an arbitrary millisecond (reports read the partial quarter-hours at the edges). */
    const edge = (ms: number) => encodeURIComponent(new Date(Date.now() + ms).toISOString())
    for (const url of [
      `/api/orders?min_position=${head}`,
      `/api/orders?limit=1`,
      `/api/orders?status=shipped`,
      `/api/orders?sales_rep=sales-rep@test.local`,
      `/api/orders?sku=${sku}&from=2020-01-01`,
      `/api/orders?from=2020-01-01&to=2099-01-01`,
      `/api/orders/${id}`,
      `/api/orders/${id}?as_of=${new Date().toISOString()}`,
      `/api/orders/${id}/history`,
      `/api/skus`,
      `/api/skus/${sku}`,
      `/api/reports/summaries?from=2020-01-01&to=2030-01-01&granularity=month`,
      `/api/reports/summaries?from=${edge(-3_600_007)}&to=${edge(61_001)}&granularity=hour&group_by=sku&currency=INR`,
      `/api/reports/summaries?from=${edge(-1)}&to=${edge(1)}&group_by=sales_rep`,
      `/api/orders?customer=acme`,
      `/api/orders?sales_rep=sales-rep@test.local&customer=ac`,
      `/api/orders?format=csv&status=created`,
      `/api/users/sales-rep@test.local`,
      `/api/admin/projections`,
    ]) {
      const response = await app.inject({ url, headers: admin })
      expect(response.statusCode, url).toBe(200)
    }
    expect((await app.inject({ url: '/api/orders', headers: rep })).statusCode).toBe(200)
    const { generation } = await app.projections.rebuild('orders')
    await eventually('the rebuilt orders to go live', async () => {
      await app.projections.refresh()
      return app.projections.liveGeneration('orders') === generation
    })

    const notPushed: string[] = []
    for (const query of seen.values()) {
      if (query.shape in NOT_PUSHED_DOWN) continue
      if (Object.keys(query.filter).length === 0) {
        notPushed.push(`${query.shape} (no filter: the whole collection)`)
        continue
      }
      const explained = await database.db.command({ explain: { find: query.collection, filter: query.filter } })
      if (explained.filterPushdown !== true) notPushed.push(query.shape)
    }
    expect(notPushed).toEqual([])
    // The hot ones are all there: events by page, stream and command; orders by id and by equality; list pages.
    const shapes = [...seen.keys()]
    for (const expected of [
      'events {"pages":"number"}',
      'events {"stream":"string"}',
      'events {"_id":"string"}',
      'orders_v<generation> {"_id":"string"}',
      'order_pages_v<generation> {"_id":"string"}',
      'orders_v<generation> {"created_bucket":"number"}',
      'orders_v<generation> {"created_bucket":"number","currency":"string"}',
      'order_summaries_v<generation> {"month":"number","bucket":{"$gte":"number","$lt":"number"},"sku":"string"}',
      'order_summaries_v<generation> {"month":"number","bucket":{"$gte":"number","$lt":"number"},"currency":"string"}',
    ]) {
      expect(shapes).toContain(expected)
    }
  })
})
