import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ordersCollection } from '../../src/projections/orders-projection.js'
import { buildTestApp } from '../support/app.js'
import { createSku, orderIn } from '../support/fixtures.js'
import { runToExit } from '../support/process.js'
import { createTestDatabase, skipWithoutMongo, type TestDatabase } from '../support/servers.js'
import { eventually } from '../support/wait.js'

describe.skipIf(skipWithoutMongo)('npm run replay', () => {
  let database: TestDatabase
  let app: FastifyInstance
  beforeAll(async () => {
    database = await createTestDatabase('replay')
    ;({ app } = await buildTestApp({ env: { MONGODB_URI: database.uri } }))
  })
  afterAll(async () => {
    await app.close()
    await database.drop()
  })

  it('rebuilds a projection into a new generation while the service runs, and the service switches to it', async () => {
    const sku = (await createSku(app)).sku
    const orders = await Promise.all([orderIn(app, 'shipped', { skus: [sku] }), orderIn(app, 'cancelled', { skus: [sku] })])
    const { code, output } = await runToExit('src/cli/replay.ts', ['orders'], { MONGODB_URI: database.uri })
    expect(code, output).toBe(0)
    expect(output).toMatch(/orders: building generation 2/)
    expect(output).toMatch(/done in [\d.]+ s: orders → generation 2 live/)

    await eventually(
      'the service to read generation 2',
      async () => {
        await app.projections.refresh()
        return app.projections.liveGeneration('orders') === 2
      },
      10_000,
      25,
    )
    const rebuilt = await ordersCollection(app.readModels, 2).list([], {
      sort: 'number',
      descending: false,
      limit: 100,
    })
    const byId = (a: { order_id: string }, b: { order_id: string }) => a.order_id.localeCompare(b.order_id)
    expect(rebuilt.sort(byId).map((o) => [o.order_id, o.status])).toEqual(orders.sort(byId).map((o) => [o.order_id, o.status]))
  })

  it('refuses bad arguments and the embedded mode', async () => {
    expect((await runToExit('src/cli/replay.ts', ['everything'], { MONGODB_URI: database.uri })).code).toBe(2)
    const embedded = await runToExit('src/cli/replay.ts', ['orders'], {})
    expect(embedded.code).toBe(2)
    expect(embedded.output).toContain('replay needs MONGODB_URI')
  })

  it('an unreachable MongoDB is one line and exit 1, for replay and for jobs (no stack trace)', async () => {
    const unreachable = { MONGODB_URI: 'mongodb://127.0.0.1:1/test_unreachable?serverSelectionTimeoutMS=500' }
    for (const [script, args] of [
      ['src/cli/replay.ts', ['orders']],
      ['src/cli/job.ts', ['reports.reconcile']],
    ] as const) {
      const { code, output } = await runToExit(script, [...args], unreachable)
      expect(code, output).toBe(1)
      expect(output.trim()).toMatch(/^MongoDB at MONGODB_URI is not reachable: connect ECONNREFUSED 127\.0\.0\.1:1$/)
    }
  })
})
