import { guard } from '@ucast/mongo2js'
import { deepFreeze } from '../shared/freeze.js'
import { lowerBound } from '../shared/lower-bound.js'
import type { Filter, IndexSpec, ListOptions, ReadModelCollection, ReadModelDocument, ReadModelStore } from './read-model.js'

/**
 * Read models in memory. Each collection is kept ordered by its sort field, so a page
 * after a cursor costs a binary search plus the documents it looks at, whatever the
 * page's depth. Filters are MongoDB query documents, evaluated with @ucast/mongo2js.
 * Stored documents are frozen (with what they hold: a writer must not change a document
 * after handing it over) and handed out as they are.
 */
export class MemoryReadModelStore implements ReadModelStore {
  readonly sortsFromIndex = true
  private readonly collections = new Map<string, MemoryCollection<ReadModelDocument>>()

  collection<T extends ReadModelDocument>(name: string, sort: string): ReadModelCollection<T> {
    let collection = this.collections.get(name)
    if (!collection) {
      collection = new MemoryCollection(sort)
      this.collections.set(name, collection)
    }
    return collection as unknown as ReadModelCollection<T>
  }
}

class MemoryCollection<T extends ReadModelDocument> implements ReadModelCollection<T> {
  private readonly byId = new Map<string, T>()
  /** Every document, ascending by the sort field (ties by `_id`). */
  private readonly ordered: T[] = []

  constructor(private readonly sort: string) {}

  get(id: string): Promise<T | null> {
    return Promise.resolve(this.byId.get(id) ?? null)
  }

  getMany(ids: readonly string[]): Promise<T[]> {
    return Promise.resolve(ids.flatMap((id) => this.byId.get(id) ?? []))
  }

  putManyGuarded(docs: readonly T[], isNew: (doc: T) => boolean = () => false): Promise<void> {
    for (const doc of docs) if (isNew(doc) || this.byId.has(doc._id)) void this.putGuarded(doc)
    return Promise.resolve()
  }

  list(filters: readonly Filter[], options: ListOptions): Promise<T[]> {
    if (options.sort !== this.sort) throw new Error(`memory collection is ordered by ${this.sort}, not ${options.sort}`)
    const tests = filters.map((f) => guard(f as never) as (doc: unknown) => boolean)
    const found: T[] = []
    const { after, descending } = options
    // Where the documents can be at all, on the sort field: the cursor and any range the filters put on it.
    const { low, high } = sortRange(filters, this.sort)
    if (after !== undefined) {
      if (descending) high.push({ value: after, inclusive: false })
      else low.push({ value: after, inclusive: false })
    }
    const first = lowerBound(this.ordered, (doc) =>
      low.every(({ value, inclusive }) => this.key(doc) > value || (inclusive && this.key(doc) === value)),
    )
    const end = lowerBound(
      this.ordered,
      (doc) => high.some(({ value, inclusive }) => this.key(doc) > value || (!inclusive && this.key(doc) === value)),
      first,
    )
    const step = descending ? -1 : 1
    for (let i = descending ? end - 1 : first; i >= first && i < end && found.length < options.limit; i += step) {
      const doc = this.ordered[i] as T
      if (tests.every((test) => test(doc))) found.push(doc)
    }
    return Promise.resolve(found)
  }

  putGuarded(doc: T): Promise<boolean> {
    const current = this.byId.get(doc._id)
    if (current && current.last_position >= doc.last_position) return Promise.resolve(false)
    this.replace(current, stored(doc))
    return Promise.resolve(true)
  }

  replaceIf(doc: T, lastPosition: number): Promise<boolean> {
    const current = this.byId.get(doc._id)
    if (current?.last_position !== lastPosition) return Promise.resolve(false)
    this.replace(current, stored(doc))
    return Promise.resolve(true)
  }

  deleteIf(id: string, lastPosition: number): Promise<boolean> {
    const current = this.byId.get(id)
    if (current?.last_position !== lastPosition) return Promise.resolve(false)
    this.ordered.splice(this.indexOf(current), 1)
    this.byId.delete(id)
    return Promise.resolve(true)
  }

  ensureIndexes(_indexes: IndexSpec[]): Promise<void> {
    return Promise.resolve()
  }

  /** Empties the collection; handles taken before keep working on it, as with MongoDB. */
  drop(): Promise<void> {
    this.byId.clear()
    this.ordered.length = 0
    return Promise.resolve()
  }

  private replace(current: T | undefined, next: T): void {
    this.byId.set(next._id, next)
    if (current && this.key(current) === this.key(next)) {
      this.ordered[this.indexOf(current)] = next // same place: most updates (status, counters)
      return
    }
    if (current) this.ordered.splice(this.indexOf(current), 1)
    const last = this.ordered.at(-1)
    if (!last || this.compare(last, next) < 0)
      this.ordered.push(next) // most new documents sort last
    else this.ordered.splice(this.insertionPoint(next), 0, next)
  }

  private key(doc: T): number {
    return (doc as unknown as Record<string, number>)[this.sort] ?? 0
  }

  private compare(a: T, b: T): number {
    return this.key(a) - this.key(b) || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0)
  }

  private insertionPoint(doc: T): number {
    return lowerBound(this.ordered, (other) => this.compare(other, doc) >= 0)
  }

  private indexOf(doc: T): number {
    const i = this.insertionPoint(doc)
    if (this.ordered[i]?._id !== doc._id) throw new Error(`memory collection lost track of ${doc._id}`)
    return i
  }
}

interface Bound {
  value: number
  inclusive: boolean
}

/** The bounds the filters put on the numeric field `field` (`$gt`, `$gte`, `$lt`, `$lte` or an equality). */
function sortRange(filters: readonly Filter[], field: string): { low: Bound[]; high: Bound[] } {
  const low: Bound[] = []
  const high: Bound[] = []
  for (const filter of filters) {
    const condition = filter[field]
    if (typeof condition === 'number') {
      low.push({ value: condition, inclusive: true })
      high.push({ value: condition, inclusive: true })
    } else if (condition !== null && typeof condition === 'object') {
      const { $gt, $gte, $lt, $lte } = condition as Record<string, unknown>
      if (typeof $gt === 'number') low.push({ value: $gt, inclusive: false })
      if (typeof $gte === 'number') low.push({ value: $gte, inclusive: true })
      if (typeof $lt === 'number') high.push({ value: $lt, inclusive: false })
      if (typeof $lte === 'number') high.push({ value: $lte, inclusive: true })
    }
  }
  return { low, high }
}

/**
 * The document as the collection keeps it: frozen, with what it holds, so that nothing a
 * reader is handed can change it. Writers build each new version of a document afresh
 * (`withChanges`), so freezing the one handed over costs a walk of one small document and
 * no copy.
 */
function stored<T>(doc: T): T {
  return deepFreeze(doc)
}
