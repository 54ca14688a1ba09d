import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import { MemoryGenerationStore, MongoGenerationStore } from '../../projections/generations.js'
import type { LeaseStore } from '../../projections/leases.js'
import { MemoryLeaseStore } from '../../projections/memory-lease-store.js'
import { MemoryReadModelStore } from '../../projections/memory-read-model.js'
import { MongoLeaseStore } from '../../projections/mongo-lease-store.js'
import { MongoReadModelStore } from '../../projections/mongo-read-model.js'
import { type ProjectionManager, startProjectionManager } from '../../projections/manager.js'
import type { ReadModelStore } from '../../projections/read-model.js'
import { ordersCollection, ordersProjection } from '../../projections/orders-projection.js'
import { skusCollection, skusProjection } from '../../projections/skus-projection.js'
import { summariesCollection, summariesProjection } from '../../projections/summaries-projection.js'
import { type OrderQueries, createOrderQueries } from '../../queries/order-queries.js'
import { type ReportQueries, createReportQueries } from '../../queries/report-queries.js'
import { type SkuQueries, createSkuQueries } from '../../queries/sku-queries.js'

declare module 'fastify' {
  interface FastifyInstance {
    projections: ProjectionManager
    /** Where read models live (tests and tools inspect generations through it). */
    readModels: ReadModelStore
    /** Lease records of every singleton consumer (projections, the relay). */
    leases: LeaseStore
    orderQueries: OrderQueries
    skuQueries: SkuQueries
    reportQueries: ReportQueries
  }
}

/** Read models (orders, skus, summaries), the projections that keep them, and the queries on them. */
export default fp(
  async (app) => {
    const db = app.mongo?.db
    const readModels: ReadModelStore = db ? new MongoReadModelStore(db) : new MemoryReadModelStore()
    const leases: LeaseStore = db ? new MongoLeaseStore(db) : new MemoryLeaseStore()
    if (leases instanceof MongoLeaseStore) await leases.ensureIndexes()
    const manager = startProjectionManager({
      store: app.eventStore,
      readModels,
      leases,
      generations: db ? new MongoGenerationStore(db) : new MemoryGenerationStore(),
      definitions: [ordersProjection, skusProjection, summariesProjection],
      holder: `${app.config.instanceId}:${randomBytes(4).toString('hex')}`,
      wake: (listener) => app.onEventsAppended(listener),
      onError: (error, context) => {
        app.log.error({ err: error, context }, 'projection error')
      },
      onSwitch: (name, from, to) => {
        app.log.info({ projection: name, from, to }, 'rebuilt projection is live')
      },
    })
    await manager.ready()
    app.decorate('projections', manager)
    app.decorate('readModels', readModels)
    app.decorate('leases', leases)

    const live =
      <T>(collection: (generation: number) => T, name: 'orders' | 'skus' | 'summaries') =>
      () =>
        collection(manager.liveGeneration(name))
    app.decorate(
      'orderQueries',
      createOrderQueries({ orders: live((g) => ordersCollection(readModels, g), 'orders'), store: app.eventStore }),
    )
    app.decorate('skuQueries', createSkuQueries({ skus: live((g) => skusCollection(readModels, g), 'skus') }))
    app.decorate(
      'reportQueries',
      createReportQueries({ summaries: live((g) => summariesCollection(readModels, g), 'summaries') }),
    )

    app.readiness.add('projections', async () => {
      for (const name of ['orders', 'skus', 'summaries'] as const) manager.liveGeneration(name)
      await Promise.resolve()
    })
    app.addHook('onClose', async () => {
      await manager.stop()
    })
  },
  { name: 'projections', dependencies: ['event-store', 'mongo', 'readiness', 'notifications'] },
)
