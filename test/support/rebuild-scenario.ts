import type { FastifyInstance } from 'fastify'
import { expect } from 'vitest'
import { aggregateStream } from '../../src/events/aggregate-stream.js'
import { orderStream } from '../../src/events/streams.js'
import { orderView } from '../../src/projections/order-view.js'
import { ordersCollection } from '../../src/projections/orders-projection.js'
import { TEST_ADMIN } from './app.js'
import { bearer, tokenFor } from './auth.js'
import { createSku, placeOrder } from './fixtures.js'
import { eventually, sleep } from './wait.js'

/**
 * DESIGN §5 / issue acceptance: rebuild the orders projection while 20 clients keep
 * querying and new orders keep arriving. No query may fail or see an empty or partial
 * read model; after the switch the rebuilt model equals a fold of every order's events.
 */
export async function rebuildWhileBusy(
  app: FastifyInstance,
  options: { seedOrders: number; /** Pause between a client's queries (slow servers). */ clientPauseMs?: number },
): Promise<{ queries: number; ordersDuringRebuild: number }> {
  const admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
  const sku = (await createSku(app)).sku
  const seeded: string[] = []
  let last = 0
  for (let i = 0; i < options.seedOrders; i++) {
    const order = await placeOrder(app, { skus: [sku] })
    seeded.push(order.order_id)
    last = order.position
  }
  const first = await app.inject({ url: `/api/orders?sku=${sku}&limit=1&min_position=${last}`, headers: admin })
  expect(first.json<{ items: unknown[] }>().items).toHaveLength(1)
  const before = (await app.projections.status()).find((p) => p.name === 'orders')?.generation ?? 0

  const load = { running: true }
  const failures: string[] = []
  let queries = 0
  const clients = Array.from({ length: 20 }, async (_, client) => {
    while (load.running && failures.length < 20) {
      const id = seeded[(client * 7919 + queries) % seeded.length] ?? ''
      const [one, page] = await Promise.all([
        app.inject({ url: `/api/orders/${id}`, headers: admin }),
        app.inject({ url: `/api/orders?sku=${sku}&limit=50`, headers: admin }),
      ])
      queries += 2
      if (one.statusCode !== 200) failures.push(`GET ${id}: ${one.statusCode} ${one.body}`)
      const items = page.statusCode === 200 ? page.json<{ items: unknown[] }>().items.length : -1
      if (items !== 50) failures.push(`list: ${page.statusCode}, ${items} items`)
      // In-memory requests complete in microtasks: let timers (the writer, the switch) run.
      await (options.clientPauseMs ? sleep(options.clientPauseMs) : new Promise((resolve) => setImmediate(resolve)))
    }
  })
  let ordersDuringRebuild = 0
  const writer = (async () => {
    while (load.running) {
      await placeOrder(app, { skus: [sku] })
      ordersDuringRebuild++
      await sleep(5)
    }
  })()

  let generation: number
  try {
    // Every client has queried once before the rebuild starts and again after the switch,
    // however quickly the rebuild runs.
    await eventually('every client querying', () => queries >= 40, 30_000)
    const started = await app.inject({ method: 'POST', url: '/api/admin/projections/orders/rebuild', headers: admin })
    expect(started.statusCode).toBe(202)
    generation = started.json<{ generation: number }>().generation
    expect(generation).toBe(before + 1)
    await eventually(
      'the switch',
      async () =>
        (await app.projections.status()).some((p) => p.name === 'orders' && p.generation === generation && p.state === 'live'),
      60_000,
      25,
    )
    // Keep querying and writing a little on the new generation too.
    const afterSwitch = queries
    await eventually('queries after the switch', () => queries > afterSwitch + 40, 30_000)
  } catch (error) {
    // Failing here must not leave the clients and the writer running on an app the caller closes.
    load.running = false
    await Promise.allSettled([...clients, writer])
    throw error
  }
  load.running = false
  await Promise.all([...clients, writer])
  expect(failures).toEqual([])

  // The rebuilt generation equals the events folded afresh, new orders included.
  const head = await app.eventStore.headPosition()
  await app.projections.waitFor('orders', head, 10_000)
  const rebuilt = await ordersCollection(app.readModels, generation).list([], {
    sort: 'number',
    descending: false,
    limit: 1e9,
  })
  const ids = rebuilt.map((o) => o.order_id)
  expect(new Set(ids).size).toBe(ids.length)
  const expected = await Promise.all(
    ids.map(async (id) => (await aggregateStream(app.eventStore, orderStream(id), orderView)).state),
  )
  const views = rebuilt.map(
    ({ _id, last_position: _l, created_position: _c, number: _n, skus: _s, created_bucket: _b, customer_keys: _k, ...order }) =>
      order,
  )
  expect(views).toEqual(expected)
  const all = await app.inject({ url: `/api/orders?sku=${sku}&limit=200`, headers: admin })
  expect(all.statusCode).toBe(200)
  expect(rebuilt.filter((o) => o.skus.includes(sku)).length).toBe(options.seedOrders + ordersDuringRebuild)
  return { queries, ordersDuringRebuild }
}
