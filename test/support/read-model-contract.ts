import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type {
  Filter,
  IndexSpec,
  ListOptions,
  ReadModelCollection,
  ReadModelDocument,
  ReadModelStore,
} from '../../src/projections/read-model.js'

export interface ReadModelFixture {
  readModels: ReadModelStore
  cleanup(): Promise<void>
}

interface OrderDoc extends ReadModelDocument {
  created_position: number
  status: 'open' | 'shipped' | 'cancelled'
  customer: string
  created_at: string
  total: number
  skus: string[]
}

const SORT = 'created_position'

const order = (n: number, fields: Partial<OrderDoc> = {}): OrderDoc => ({
  _id: `o-${n}`,
  last_position: n * 10,
  created_position: n * 10,
  status: 'open',
  customer: 'acme',
  created_at: new Date(Date.UTC(2025, 0, n, 9)).toISOString(),
  total: 100,
  skus: [],
  ...fields,
})

/** Eight orders at created_position 10…80, with fields to filter on. */
const seed: OrderDoc[] = [
  order(1, { status: 'open', customer: 'acme', total: 50, skus: ['A', 'X'] }),
  order(2, { status: 'shipped', customer: 'beta', total: 120, skus: ['B'] }),
  order(3, { status: 'cancelled', customer: 'acme', total: 300, skus: ['X'] }),
  order(4, { status: 'open', customer: 'gamma', total: 80, skus: ['C', 'D'] }),
  order(5, { status: 'shipped', customer: 'acme', total: 999.5, skus: ['X', 'B'] }),
  order(6, { status: 'open', customer: 'beta', total: 200, skus: [] }),
  order(7, { status: 'cancelled', customer: 'gamma', total: 15, skus: ['A'] }),
  order(8, { status: 'open', customer: 'delta', total: 450, skus: ['X'] }),
]

const ids = (docs: readonly ReadModelDocument[]) => docs.map((d) => d._id)
const ascending = (extra: Partial<ListOptions> = {}): ListOptions => ({ sort: SORT, descending: false, limit: 100, ...extra })
const descending = (extra: Partial<ListOptions> = {}): ListOptions => ({ sort: SORT, descending: true, limit: 100, ...extra })

/**
 * The read-model storage port (guarded writes, filtered cursor queries) run against any
 * adapter. `make` gives each test a store with no collections in it.
 */
export function readModelContract(adapter: string, make: () => Promise<ReadModelFixture>): void {
  describe(`read model contract (${adapter})`, () => {
    let readModels: ReadModelStore
    let cleanup: () => Promise<void>
    let orders: ReadModelCollection<OrderDoc>

    beforeEach(async () => {
      const made = await make()
      readModels = made.readModels
      cleanup = () => made.cleanup()
      orders = readModels.collection<OrderDoc>('orders_test', SORT)
    })
    afterEach(async () => {
      await cleanup()
    })

    /** Stores the seed orders in a shuffled order, so sorting cannot lean on insertion order. */
    async function seedOrders(): Promise<void> {
      for (const i of [4, 1, 7, 0, 5, 2, 6, 3]) expect(await orders.putGuarded(seed[i]!)).toBe(true)
    }

    describe('putGuarded', () => {
      it('inserts a new document and get returns it; get of a missing id is null', async () => {
        expect(await orders.get('o-1')).toBeNull()
        expect(await orders.putGuarded(order(1, { skus: ['A'] }))).toBe(true)
        expect(await orders.get('o-1')).toEqual(order(1, { skus: ['A'] }))
        expect(await orders.get('o-2')).toBeNull()
      })

      it('replaces only with a higher last_position and otherwise returns false, leaving the document', async () => {
        await orders.putGuarded(order(1, { last_position: 10, status: 'open' }))

        expect(await orders.putGuarded(order(1, { last_position: 10, status: 'shipped' }))).toBe(false)
        expect(await orders.putGuarded(order(1, { last_position: 9, status: 'cancelled' }))).toBe(false)
        expect(await orders.get('o-1')).toEqual(order(1, { last_position: 10, status: 'open' }))

        // A replacement, not a merge: fields missing from the new document are gone.
        const { customer: _dropped, ...withoutCustomer } = order(1, { last_position: 11, status: 'shipped', total: 7 })
        expect(await orders.putGuarded(withoutCustomer as OrderDoc)).toBe(true)
        expect(await orders.get('o-1')).toEqual(withoutCustomer)
        expect(await orders.putGuarded(order(1, { last_position: 11 }))).toBe(false)
        expect(await orders.get('o-1')).toEqual(withoutCustomer)
      })

      it('keeps what it stored when the caller tries to mutate its object afterwards', async () => {
        const doc = order(1, { skus: ['A'] })
        await orders.putGuarded(doc)
        // MongoDB keeps a serialized copy; the memory store freezes what it was handed (the mutation throws).
        const attempt = (mutate: () => void) => {
          try {
            mutate()
          } catch {
            // frozen
          }
        }
        attempt(() => doc.skus.push('Z'))
        attempt(() => (doc.total = -1))
        expect(await orders.get('o-1')).toEqual(order(1, { skus: ['A'] }))
      })
    })

    describe('bulk writes', () => {
      it('getMany returns the documents that exist', async () => {
        for (const doc of seed.slice(0, 3)) await orders.putGuarded(doc)
        expect(ids(await orders.getMany(['o-3', 'o-9', 'o-1'])).sort()).toEqual(['o-1', 'o-3'])
        expect(await orders.getMany([])).toEqual([])
      })

      it('putManyGuarded inserts new documents, replaces older ones, and leaves newer ones alone', async () => {
        await orders.putGuarded(order(1, { last_position: 50, status: 'shipped' }))
        await orders.putGuarded(order(2, { last_position: 10 }))
        await orders.putManyGuarded(
          [
            order(1, { last_position: 40, status: 'cancelled' }), // older than stored: ignored
            order(2, { last_position: 60, status: 'shipped' }), // newer: replaces
            order(3), // new
            order(4, { last_position: 70 }), // new
            order(5), // said to exist, but does not: left alone
          ],
          (doc) => ['o-1', 'o-3', 'o-4'].includes(doc._id), // o-1 is not really new: written guarded all the same
        )
        expect(await orders.get('o-1')).toEqual(order(1, { last_position: 50, status: 'shipped' }))
        expect(await orders.get('o-2')).toEqual(order(2, { last_position: 60, status: 'shipped' }))
        expect(await orders.get('o-3')).toEqual(order(3))
        expect(await orders.get('o-4')).toEqual(order(4, { last_position: 70 }))
        expect(await orders.get('o-5')).toBeNull()
        // The same bulk again changes nothing.
        await orders.putManyGuarded(
          [order(2, { last_position: 60, status: 'open' }), order(3, { status: 'cancelled' })],
          () => true,
        )
        expect(await orders.get('o-2')).toEqual(order(2, { last_position: 60, status: 'shipped' }))
        expect(await orders.get('o-3')).toEqual(order(3))
      })
    })

    describe('compare-and-set on last_position (a writer repairing a document)', () => {
      it('replaceIf replaces only the document stored with exactly that last_position, even with the same position', async () => {
        await orders.putGuarded(order(1, { last_position: 10, total: 50 }))
        expect(await orders.replaceIf(order(1, { last_position: 10, total: 70 }), 9)).toBe(false)
        expect(await orders.replaceIf(order(1, { last_position: 10, total: 70 }), 11)).toBe(false)
        expect(await orders.replaceIf(order(2), 20)).toBe(false)
        expect(await orders.get('o-2')).toBeNull()
        expect(await orders.replaceIf(order(1, { last_position: 10, total: 70 }), 10)).toBe(true)
        expect(await orders.get('o-1')).toEqual(order(1, { last_position: 10, total: 70 }))
        expect(ids(await orders.list([], ascending()))).toEqual(['o-1'])
      })

      it('deleteIf deletes only the document stored with exactly that last_position', async () => {
        await seedOrders()
        expect(await orders.deleteIf('o-3', 31)).toBe(false)
        expect(await orders.deleteIf('o-9', 90)).toBe(false)
        expect(await orders.deleteIf('o-3', 30)).toBe(true)
        expect(await orders.get('o-3')).toBeNull()
        expect(ids(await orders.list([], ascending()))).toEqual(ids(seed).filter((id) => id !== 'o-3'))
        expect(await orders.deleteIf('o-3', 30)).toBe(false)
      })
    })

    describe('list', () => {
      beforeEach(seedOrders)

      it('returns every document in ascending or descending sort order without filters', async () => {
        expect(ids(await orders.list([], ascending()))).toEqual(ids(seed))
        expect(ids(await orders.list([], descending()))).toEqual(ids(seed).reverse())
        expect(await orders.list([], ascending())).toEqual(seed)
      })

      it.each<[string, Filter[], string[]]>([
        ['equality', [{ status: 'open' }], ['o-1', 'o-4', 'o-6', 'o-8']],
        ['$in', [{ status: { $in: ['shipped', 'cancelled'] } }], ['o-2', 'o-3', 'o-5', 'o-7']],
        ['$ne', [{ status: { $ne: 'open' } }], ['o-2', 'o-3', 'o-5', 'o-7']],
        ['a number range', [{ total: { $gte: 80, $lt: 300 } }], ['o-2', 'o-4', 'o-6']],
        ['a string range', [{ created_at: { $gte: '2025-01-03', $lt: '2025-01-06' } }], ['o-3', 'o-4', 'o-5']],
        ['array membership', [{ skus: 'X' }], ['o-1', 'o-3', 'o-5', 'o-8']],
        ['array membership with $in', [{ skus: { $in: ['B', 'D'] } }], ['o-2', 'o-4', 'o-5']],
        ['several filters (all must match)', [{ status: 'open' }, { skus: 'X' }], ['o-1', 'o-8']],
        ['two filters on one field', [{ total: { $gte: 50 } }, { total: { $lt: 200 } }], ['o-1', 'o-2', 'o-4']],
        ['a filter nothing matches', [{ customer: 'nobody' }], []],
      ])('filters by %s', async (_what, filters, expected) => {
        expect(ids(await orders.list(filters, ascending()))).toEqual(expected)
        expect(ids(await orders.list(filters, descending()))).toEqual([...expected].reverse())
      })

      it('treats `after` as an exclusive cursor in both directions', async () => {
        expect(ids(await orders.list([], ascending({ after: 30 })))).toEqual(['o-4', 'o-5', 'o-6', 'o-7', 'o-8'])
        expect(ids(await orders.list([], ascending({ after: 35 })))).toEqual(['o-4', 'o-5', 'o-6', 'o-7', 'o-8'])
        expect(ids(await orders.list([], ascending({ after: 0 })))).toEqual(ids(seed))
        expect(await orders.list([], ascending({ after: 80 }))).toEqual([])

        expect(ids(await orders.list([], descending({ after: 30 })))).toEqual(['o-2', 'o-1'])
        expect(ids(await orders.list([], descending({ after: 35 })))).toEqual(['o-3', 'o-2', 'o-1'])
        expect(ids(await orders.list([], descending({ after: 1000 })))).toEqual(ids(seed).reverse())
        expect(await orders.list([], descending({ after: 10 }))).toEqual([])
      })

      it('limits the page, combined with filters and a cursor', async () => {
        expect(ids(await orders.list([], ascending({ limit: 3 })))).toEqual(['o-1', 'o-2', 'o-3'])
        expect(ids(await orders.list([], descending({ limit: 2 })))).toEqual(['o-8', 'o-7'])
        expect(ids(await orders.list([{ status: 'open' }], descending({ limit: 2 })))).toEqual(['o-8', 'o-6'])
        expect(ids(await orders.list([{ status: 'open' }], descending({ after: 60, limit: 1 })))).toEqual(['o-4'])
        expect(ids(await orders.list([{ skus: 'X' }], ascending({ after: 10, limit: 2 })))).toEqual(['o-3', 'o-5'])
        expect(ids(await orders.list([], ascending({ limit: 1000 })))).toHaveLength(8)
      })

      it('sees replaced documents with their new fields', async () => {
        expect(await orders.putGuarded({ ...seed[0]!, last_position: 99, status: 'cancelled' })).toBe(true)
        expect(ids(await orders.list([{ status: 'cancelled' }], ascending()))).toEqual(['o-1', 'o-3', 'o-7'])
        expect(ids(await orders.list([{ status: 'open' }], ascending()))).toEqual(['o-4', 'o-6', 'o-8'])
        expect(ids(await orders.list([], ascending()))).toEqual(ids(seed))
      })
    })

    describe('paging with `after`', () => {
      const pageSize = 3
      const initial = 20

      it('descending: visits every document once while newer ones are inserted between pages', async () => {
        for (let n = 1; n <= initial; n++) await orders.putGuarded(order(n, { _id: `p-${n}`, created_position: n }))
        const visited: string[] = []
        const sortValues: number[] = []
        let after: number | undefined
        let inserted = 0
        for (let page = 0; page < 50; page++) {
          const docs = await orders.list([], descending({ limit: pageSize, ...(after === undefined ? {} : { after }) }))
          if (docs.length === 0) break
          expect(docs.length).toBeLessThanOrEqual(pageSize)
          visited.push(...ids(docs))
          sortValues.push(...docs.map((d) => d.created_position))
          after = docs.at(-1)!.created_position
          // A new order arrives at the top between two page requests.
          inserted++
          await orders.putGuarded(order(100 + inserted, { _id: `new-${inserted}`, created_position: 100 + inserted }))
        }
        expect(visited).toEqual(Array.from({ length: initial }, (_, i) => `p-${initial - i}`))
        expect(sortValues.every((v, i) => i === 0 || v < sortValues[i - 1]!)).toBe(true)
        expect(ids(await orders.list([], descending({ limit: 1 })))).toEqual([`new-${inserted}`])
      })

      it('ascending with a filter: visits every matching document once, including ones inserted ahead', async () => {
        for (let n = 1; n <= initial; n++) {
          await orders.putGuarded(order(n, { _id: `p-${n}`, created_position: n, status: n % 2 === 0 ? 'open' : 'shipped' }))
        }
        const visited: string[] = []
        let after: number | undefined
        for (let page = 0; page < 50; page++) {
          const docs = await orders.list(
            [{ status: 'open' }],
            ascending({ limit: pageSize, ...(after === undefined ? {} : { after }) }),
          )
          if (docs.length === 0) break
          visited.push(...ids(docs))
          after = docs.at(-1)!.created_position
          if (page < 3) {
            await orders.putGuarded(order(100 + page, { _id: `new-${page}`, created_position: 100 + page, status: 'open' }))
            await orders.putGuarded(order(200 + page, { _id: `other-${page}`, created_position: 200 + page, status: 'shipped' }))
          }
        }
        const expected = [...Array.from({ length: initial / 2 }, (_, i) => `p-${2 * (i + 1)}`), 'new-0', 'new-1', 'new-2']
        expect(visited).toEqual(expected)
      })
    })

    describe('collections', () => {
      it('drop empties the collection; it can be written again afterwards', async () => {
        await seedOrders()
        await orders.drop()
        const fresh = readModels.collection<OrderDoc>('orders_test', SORT)
        expect(await fresh.list([], ascending())).toEqual([])
        expect(await fresh.get('o-1')).toBeNull()

        // Positions start over in a dropped collection: nothing of the old guard remains.
        expect(await fresh.putGuarded(order(1, { last_position: 1 }))).toBe(true)
        expect(ids(await readModels.collection<OrderDoc>('orders_test', SORT).list([], ascending()))).toEqual(['o-1'])
      })

      it('drop of a collection that does not exist, or twice, is harmless', async () => {
        await readModels.collection<OrderDoc>('never_written', SORT).drop()
        await orders.putGuarded(order(1))
        await orders.drop()
        await orders.drop()
        expect(await readModels.collection<OrderDoc>('orders_test', SORT).list([], ascending())).toEqual([])
      })

      it('ensureIndexes twice is harmless, before and after documents exist', async () => {
        const indexes: IndexSpec[] = [
          { name: 'status_created', key: { status: 1, created_position: -1 } },
          { name: 'created_position', key: { created_position: 1 }, unique: true },
        ]
        await orders.ensureIndexes(indexes)
        await orders.ensureIndexes(indexes)
        await seedOrders()
        await orders.ensureIndexes(indexes)
        expect(ids(await orders.list([{ status: 'open' }], descending()))).toEqual(['o-8', 'o-6', 'o-4', 'o-1'])
      })

      it('keeps collections apart', async () => {
        const other = readModels.collection<OrderDoc>('orders_other', SORT)
        await orders.putGuarded(order(1))
        await other.putGuarded(order(2))
        expect(await other.get('o-1')).toBeNull()
        expect(ids(await orders.list([], ascending()))).toEqual(['o-1'])
        await other.drop()
        expect(await orders.get('o-1')).toEqual(order(1))
      })
    })
  })
}
