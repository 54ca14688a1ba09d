import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { acquireLease } from '../../src/consumers/leases.js'
import { MongoLeaseStore } from '../../src/consumers/mongo-lease-store.js'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { rebuildWhileBusy } from '../support/rebuild-scenario.js'
import { createTestDatabase, skipWithoutMongo, type TestDatabase } from '../support/servers.js'

describe.skipIf(skipWithoutMongo)('zero-downtime rebuild on MongoDB (FerretDB)', () => {
  let database: TestDatabase
  let app: FastifyInstance
  beforeAll(async () => {
    database = await createTestDatabase('rebuild')
    ;({ app } = await buildTestApp({ env: { MONGODB_URI: database.uri, API_RATE_LIMIT: '1000000/1m' } }))
  })
  afterAll(async () => {
    await app.close()
    await database.drop()
  })

  // FerretDB answers every non-_id query with a collection scan: the 20 clients pace themselves.
  it('rebuilds orders while 20 clients query and orders keep arriving', { timeout: 180_000 }, async () => {
    const { queries, ordersDuringRebuild } = await rebuildWhileBusy(app, { seedOrders: 60, clientPauseMs: 500 })
    expect(queries).toBeGreaterThanOrEqual(80)
    expect(ordersDuringRebuild).toBeGreaterThan(0)
  })

  it('reports each projection; a second rebuild request while one runs joins it', async () => {
    const admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    const status = await app.inject({ url: '/api/admin/projections', headers: admin })
    expect(status.json<{ name: string; state: string; lag: number }[]>().map((p) => p.name)).toEqual([
      'orders',
      'skus',
      'summaries',
    ])

    // Another instance holds the lease of the generation the rebuild will build, so that
    // rebuild cannot finish (and switch) before the second request: it always joins.
    await app.projections.refresh()
    const next = Math.max(...app.projections.records('summaries').map((r) => r.generation)) + 1
    const elsewhere = await acquireLease(new MongoLeaseStore(database.db), `projection:summaries#${next}`, {
      holder: 'another-instance',
      ttlMs: 120_000,
    })
    expect(elsewhere).not.toBeNull()
    try {
      const first = await app.inject({ method: 'POST', url: '/api/admin/projections/summaries/rebuild', headers: admin })
      const second = await app.inject({ method: 'POST', url: '/api/admin/projections/summaries/rebuild', headers: admin })
      expect(first.json()).toMatchObject({ name: 'summaries', state: 'rebuilding', already_running: false })
      const generation = first.json<{ generation: number }>().generation
      expect(generation).toBe(next)
      expect(second.json()).toMatchObject({ name: 'summaries', state: 'rebuilding', already_running: true, generation })
      const collections = (await database.db.listCollections().toArray()).map((c) => c.name)
      expect(collections).toEqual(expect.arrayContaining(['events', 'projections', 'leases', `order_summaries_v${generation}`]))
    } finally {
      await elsewhere?.release()
    }
  })
})
