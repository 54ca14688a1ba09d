import { describe, expect, it } from 'vitest'
import { createEventStore } from '../../src/events/event-store.js'
import type { ReadEvent } from '../../src/events/envelope.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import { MemoryReadModelStore } from '../../src/projections/memory-read-model.js'
import { orderPagesCollection, readOrderPages } from '../../src/projections/order-pages.js'
import { ordersCollection, ordersProjection } from '../../src/projections/orders-projection.js'
import type { ReadModelCollection, ReadModelDocument, ReadModelStore } from '../../src/projections/read-model.js'
import { NO_LEASE, chunks } from '../support/projections/harness.js'
import { SEED, type Commit, generateHistory, streamOf } from '../support/projections/history.js'

/** A memory store that says it cannot sort from an index, as FerretDB: the orders projection then keeps list pages. */
function pagedStore(): ReadModelStore {
  const inner = new MemoryReadModelStore()
  return { sortsFromIndex: false, collection: (name, sort) => inner.collection(name, sort) }
}

async function history(orders: number): Promise<ReadEvent[]> {
  let clock = 0
  const store = createEventStore(new MemoryCommitLog(), { source: 'test', now: () => new Date(clock) })
  const commits: Commit[] = generateHistory({ seed: SEED + 7, orders, days: 2, start: Date.parse('2024-03-01T00:00:00Z') })
  for (const commit of commits) {
    clock = commit.at
    await store.append(streamOf(commit.event), [commit.event], { actor: 'test', correlationId: 'pages' })
  }
  return (await store.readAll({ after: 0, limit: 100_000 })).events
}

/** Every order the pages list, newest first, next to the orders collection in the same order. */
async function listed(readModels: ReadModelStore, generation: number) {
  const pages = orderPagesCollection(readModels, generation)
  const fromPages = await readOrderPages(pages, { limit: 1e6, keep: () => true })
  const orders = await ordersCollection(readModels, generation).list([], { sort: 'number', descending: true, limit: 1e6 })
  return { fromPages, orders }
}

describe('order list pages (kept where the store cannot sort from an index)', () => {
  it('list every order newest first, as the orders collection holds them, whatever the batch sizes', async () => {
    const events = await history(150)
    for (const size of [1, 7, 64, 500]) {
      const readModels = pagedStore()
      const projection = ordersProjection.generation(readModels, 1, undefined as never)
      for (const batch of chunks(events, size)) await projection.apply(batch, NO_LEASE)
      const { fromPages, orders } = await listed(readModels, 1)
      expect(orders).toHaveLength(150)
      expect(fromPages, `batches of ${size}`).toEqual(orders)
    }
  })

  it('a writer that crashed after writing some pages but not the head is followed by one whose pages equal a clean build', async () => {
    const events = await history(120)
    const clean = pagedStore()
    const cleanProjection = ordersProjection.generation(clean, 1, undefined as never)
    for (const batch of chunks(events, 40)) await cleanProjection.apply(batch, NO_LEASE)

    for (const crashAfterPageWrites of [1, 2, 3]) {
      const readModels = pagedStore()
      // The first writer applies two batches, then crashes inside the third's page writes.
      let pageWrites = 0
      let crashNow = false
      const crashingStore: ReadModelStore = {
        sortsFromIndex: false,
        collection: <T extends ReadModelDocument>(name: string, sort: string) => {
          const collection = readModels.collection<T>(name, sort)
          if (!name.startsWith('order_pages')) return collection
          // The pages' bulk write, one document after another, failing after the first few.
          const crashing: ReadModelCollection<T> = Object.create(collection) as ReadModelCollection<T>
          crashing.putManyGuarded = async (docs, isNew) => {
            for (const doc of docs) {
              if (crashNow && ++pageWrites > crashAfterPageWrites) throw new Error('crash')
              await collection.putManyGuarded([doc], isNew)
            }
          }
          return crashing
        },
      }
      const first = ordersProjection.generation(crashingStore, 1, undefined as never)
      const batches = chunks(events, 40)
      await first.apply(batches[0] ?? [], NO_LEASE)
      await first.apply(batches[1] ?? [], NO_LEASE)
      crashNow = true
      await expect(first.apply(batches[2] ?? [], NO_LEASE)).rejects.toThrow('crash')
      const checkpoint = batches[1]?.at(-1)?.position ?? 0

      // The next holder (a new lease token: nothing cached) replays from the checkpoint, in other batch sizes.
      const next = ordersProjection.generation(readModels, 1, undefined as never)
      const replay = events.filter((event) => event.position > checkpoint)
      for (const batch of chunks(replay, 25)) await next.apply(batch, { ...NO_LEASE, token: 2 })

      const recovered = await listed(readModels, 1)
      const expected = await listed(clean, 1)
      expect(recovered.fromPages, `crash after ${crashAfterPageWrites} page writes`).toEqual(expected.fromPages)
      expect(recovered.orders).toEqual(expected.orders)
    }
  })
})
