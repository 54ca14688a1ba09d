import fp from 'fastify-plugin'
import { unavailableDependency } from '../../infra/dependency-errors.js'
import { AppError } from '../../shared/errors.js'
import { UNAVAILABLE_RETRY_AFTER_S } from '../problem.js'
import { holderId } from '../../consumers/leases.js'
import { CONSUMER_CHECKPOINT_MS, CONSUMER_LINGER_MS, CONSUMER_STOP_GRACE_MS } from '../../consumers/subscription.js'
import type { LeaseStore } from '../../consumers/leases.js'
import { type ProjectionManager, startProjectionManager } from '../../consumers/projection-manager.js'
import { orderPagesCollection } from '../../projections/order-pages.js'
import { ordersCollection } from '../../projections/orders-projection.js'
import type { ProjectionName } from '../../projections/projection.js'
import type { ReadModelCollection, ReadModelDocument, ReadModelStore } from '../../projections/read-model.js'
import { managedProjections } from '../../projections/registry.js'
import { skusCollection } from '../../projections/skus-projection.js'
import { summariesCollection } from '../../projections/summaries-projection.js'
import { type OrderQueries, createOrderQueries } from '../../queries/order-queries.js'
import { type ReportQueries, createReportQueries } from '../../queries/report-queries.js'
import { type SkuQueries, createSkuQueries } from '../../queries/sku-queries.js'

declare module 'fastify' {
  interface FastifyInstance {
    projections: ProjectionManager<ProjectionName>
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
    const { readModels, leases, generations } = app.storage
    const manager = startProjectionManager({
      store: app.eventStore,
      leases,
      generations,
      projections: managedProjections(readModels, app.eventStore),
      holder: holderId(app.config.instanceId, 'projections'),
      feed: app.eventFeed,
      lingerMs: CONSUMER_LINGER_MS,
      checkpointMs: CONSUMER_CHECKPOINT_MS,
      onError: (error, context) => {
        app.log.error({ err: error, context }, 'projection error')
        if (unavailableDependency(error) === undefined) app.metrics.errors.inc({ kind: 'background' })
        app.reportError(error, { source: 'projection', consumer: context })
      },
      onSwitch: (name, from, to) => {
        app.log.info({ projection: name, from, to }, 'rebuilt projection is live')
      },
    })
    await manager.ready()
    app.decorate('projections', manager)
    app.decorate('readModels', readModels)
    app.decorate('leases', leases)

    /** The collection of the generation queries read right now (it changes when a rebuild goes live). */
    const liveCollection =
      <T extends ReadModelDocument>(
        name: ProjectionName,
        collection: (readModels: ReadModelStore, generation: number) => ReadModelCollection<T>,
      ) =>
      () =>
        collection(readModels, manager.liveGeneration(name))
    app.decorate(
      'orderQueries',
      createOrderQueries({
        orders: liveCollection('orders', ordersCollection),
        ...(readModels.sortsFromIndex ? {} : { pages: liveCollection('orders', orderPagesCollection) }),
        store: app.eventStore,
      }),
    )
    app.decorate('skuQueries', createSkuQueries({ skus: liveCollection('skus', skusCollection) }))
    /** Reports need both read models in this code's shape: during an upgrade's rebuild, 503 until it is live. */
    const current =
      <T extends ReadModelDocument>(name: ProjectionName, collection: () => ReadModelCollection<T>) =>
      () => {
        if (!manager.liveIsCurrent(name)) {
          throw new AppError('unavailable', 'PROJECTION.UPGRADING', `The ${name} read model is being rebuilt for this version`, {
            extensions: { retry_after: UNAVAILABLE_RETRY_AFTER_S },
          })
        }
        return collection()
      }
    app.decorate(
      'reportQueries',
      createReportQueries({
        summaries: current('summaries', liveCollection('summaries', summariesCollection)),
        orders: current('orders', liveCollection('orders', ordersCollection)),
      }),
    )

    app.addHook('onClose', async () => {
      if (!(await manager.stop(CONSUMER_STOP_GRACE_MS))) {
        app.log.warn(
          { grace_ms: CONSUMER_STOP_GRACE_MS },
          'projections: the store did not answer while stopping; their leases pass on when they expire',
        )
      }
    })
  },
  { name: 'projections', dependencies: ['event-store', 'storage', 'readiness', 'event-feed', 'metrics', 'error-tracking'] },
)
