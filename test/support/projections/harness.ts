// Running projections by hand in the contract: the projections under test, building a
// generation from batches of events, reading one whole, and intercepting its writes.
import type { ReadEvent } from '../../../src/events/envelope.js'
import type { EventStore } from '../../../src/events/event-store.js'
import type { HeldLease, LeaseStore } from '../../../src/consumers/leases.js'
import type { ManagedProjection } from '../../../src/consumers/projection-manager.js'
import { type OrderReadModel, ordersCollection, ordersProjection } from '../../../src/projections/orders-projection.js'
import type { ProjectionDefinition } from '../../../src/projections/projection.js'
import type { ReadModelCollection, ReadModelDocument, ReadModelStore } from '../../../src/projections/read-model.js'
import { type SkuReadModel, skusCollection, skusProjection } from '../../../src/projections/skus-projection.js'
import { type SummaryRow, summariesCollection, summariesProjection } from '../../../src/projections/summaries-projection.js'

export interface ProjectionFixture {
  readModels: ReadModelStore
  /** An empty event store whose clock is the `now` handed to the factory. */
  store: EventStore
  leases: LeaseStore
  cleanup(): Promise<void>
}

/** Gives each test (or property suite) fresh, empty stores; the event store must stamp events with `now`. */
export type ProjectionFixtureFactory = (options: { now: () => Date }) => Promise<ProjectionFixture>

export interface ProjectionUnderTest<T extends ReadModelDocument> {
  definition: ProjectionDefinition
  collection: (readModels: ReadModelStore, generation: number) => ReadModelCollection<T>
  /** The collection's sort field (what `list` orders by). */
  sort: string
}

export const ORDERS: ProjectionUnderTest<OrderReadModel> = {
  definition: ordersProjection,
  collection: ordersCollection,
  sort: 'number',
}
export const SKUS: ProjectionUnderTest<SkuReadModel> = {
  definition: skusProjection,
  collection: skusCollection,
  sort: 'created_position',
}
export const SUMMARIES: ProjectionUnderTest<SummaryRow> = {
  definition: summariesProjection,
  collection: summariesCollection,
  sort: 'bucket',
}
export const ALL_PROJECTIONS: readonly ProjectionUnderTest<ReadModelDocument>[] = [ORDERS, SKUS, SUMMARIES]

/** Projections ignore the lease they are handed; direct applications get this one. */
export const NO_LEASE: HeldLease = {
  name: 'direct',
  token: 1,
  position: 0,
  valid: () => true,
  renew: () => Promise.resolve(),
  checkpoint: () => Promise.resolve(),
  release: () => Promise.resolve(),
}

export const byId = <T extends ReadModelDocument>(docs: readonly T[]): T[] =>
  [...docs].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))

/** Every document of one generation, ordered by `_id` for comparisons. */
export async function snapshot<T extends ReadModelDocument>(
  target: ProjectionUnderTest<T>,
  readModels: ReadModelStore,
  generation: number,
): Promise<T[]> {
  const docs = await target.collection(readModels, generation).list([], { sort: target.sort, descending: false, limit: 1e9 })
  return byId(docs)
}

/** Builds `generation` by applying `batches` in turn (replays included), and returns its documents. */
export async function build<T extends ReadModelDocument>(
  target: ProjectionUnderTest<T>,
  fixture: ProjectionFixture,
  generation: number,
  batches: readonly (readonly ReadEvent[])[],
): Promise<T[]> {
  const projection = target.definition.generation(fixture.readModels, generation, fixture.store)
  await projection.ensureIndexes()
  for (const batch of batches) await projection.apply([...batch], NO_LEASE)
  return snapshot(target, fixture.readModels, generation)
}

export const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** A read model store whose writes first go through `before` (to count them, or to "crash" in one). */
export function interceptWrites(inner: ReadModelStore, before: (position: number) => Promise<void>): ReadModelStore {
  return {
    sortsFromIndex: inner.sortsFromIndex,
    collection<T extends ReadModelDocument>(name: string, sort: string): ReadModelCollection<T> {
      const collection = inner.collection<T>(name, sort)
      return {
        get: (id) => collection.get(id),
        list: (filters, options) => collection.list(filters, options),
        putGuarded: async (doc) => {
          await before(doc.last_position)
          return collection.putGuarded(doc)
        },
        getMany: (ids) => collection.getMany(ids),
        // A bulk write is applied one document after another: a crash in its middle leaves what came before.
        putManyGuarded: async (docs, fresh) => {
          for (const doc of docs) {
            await before(doc.last_position)
            await collection.putManyGuarded([doc], fresh)
          }
        },
        replaceIf: async (doc, lastPosition) => {
          await before(doc.last_position)
          return collection.replaceIf(doc, lastPosition)
        },
        deleteIf: (id, lastPosition) => collection.deleteIf(id, lastPosition),
        ensureIndexes: (indexes) => collection.ensureIndexes(indexes),
        drop: () => collection.drop(),
      }
    },
  }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/**
 * A projection for the projection manager that only counts the events each generation
 * applied (`applied`: generation → events), written as code of `shape` (default 1): it shows
 * who writes where, and when.
 */
export function countingProjection(applied: Map<number, number>, shape?: number): ManagedProjection<'orders'> {
  return {
    name: 'orders',
    ...(shape === undefined ? {} : { shape }),
    generation: (generation) => ({
      ensureIndexes: () => Promise.resolve(),
      apply: (events) => {
        applied.set(generation, (applied.get(generation) ?? 0) + events.length)
        return Promise.resolve()
      },
      drop: () => Promise.resolve(),
    }),
  }
}
