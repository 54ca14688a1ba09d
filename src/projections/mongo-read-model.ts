import { type Db, MongoBulkWriteError } from 'mongodb'
import { bulkWriteInChunks, ensureIndexes, isDuplicateKey, isNamespaceNotFound } from '../infra/mongo-collections.js'
import { mapLimited } from '../shared/map-limited.js'
import type { Filter, IndexSpec, ListOptions, ReadModelCollection, ReadModelDocument, ReadModelStore } from './read-model.js'

const LOOKUPS_IN_FLIGHT = 8

/**
 * Update statements per command on FerretDB: one. FerretDB v1.24 keeps a PostgreSQL connection
 * for each update statement of a command until the command ends (`msg_update.go` defers closing
 * each statement's query to the end), and its pool holds 50. Measured: one command of 45
 * statements passes, one of 60 waits for itself for ever; three writers each sending 25 at once
 * (three projections catching up together) deadlocked FerretDB for good — its 50 connections
 * stayed taken after the clients were gone. One statement per command holds at most one, however
 * many writers there are, and costs no more there: each guarded replace is a pass over the table
 * (250 replaces on 5 000 documents: 1.2–2.2 s in commands of 25, 1.5 s one by one).
 */
const FERRETDB_STATEMENTS_PER_COMMAND = 1

/**
 * Read models in MongoDB collections. Each guarded write is one single-document update
 * whose filter carries the guard (`last_position < p`): applied once, a no-op on replay.
 * Batches go in one bulk write (on FerretDB, a command per update); documents known to be
 * new are inserted (an insert is checked by the unique `_id` index alone — on FerretDB an
 * update filters the collection).
 */
export class MongoReadModelStore implements ReadModelStore {
  /** False on FerretDB (see `ReadModelStore`); MongoDB sorts from its indexes. */
  readonly sortsFromIndex: boolean
  private readonly statementsPerCommand: number | undefined

  constructor(
    private readonly db: Db,
    server: 'mongodb' | 'ferretdb' = 'mongodb',
  ) {
    this.sortsFromIndex = server === 'mongodb'
    this.statementsPerCommand = server === 'ferretdb' ? FERRETDB_STATEMENTS_PER_COMMAND : undefined
  }

  collection<T extends ReadModelDocument>(name: string, _sort: string): ReadModelCollection<T> {
    return new MongoCollection<T>(this.db, name, this.statementsPerCommand)
  }
}

class MongoCollection<T extends ReadModelDocument> implements ReadModelCollection<T> {
  constructor(
    private readonly db: Db,
    private readonly name: string,
    private readonly statementsPerCommand: number | undefined,
  ) {}

  private get collection() {
    return this.db.collection<ReadModelDocument>(this.name)
  }

  async get(id: string): Promise<T | null> {
    return (await this.collection.findOne({ _id: id })) as T | null
  }

  /**
   * One equality lookup per id, a few at a time: `$in` is not pushed down by FerretDB (it would
   * decode the collection), and a flood of parallel queries can exhaust its PostgreSQL pool.
   */
  async getMany(ids: readonly string[]): Promise<T[]> {
    const found: (T | null)[] = await mapLimited(ids, LOOKUPS_IN_FLIGHT, (id) => this.get(id))
    return found.filter((doc) => doc !== null)
  }

  async list(filters: readonly Filter[], options: ListOptions): Promise<T[]> {
    const all = [...filters]
    if (options.after !== undefined) all.push({ [options.sort]: { [options.descending ? '$lt' : '$gt']: options.after } })
    const query = merged(all)
    const direction = options.descending ? -1 : 1
    const found = await this.collection
      .find(query as never)
      .sort({ [options.sort]: direction, _id: direction })
      .limit(options.limit)
      .toArray()
    return found as unknown as T[]
  }

  async putGuarded(doc: T): Promise<boolean> {
    return guarded(async () => {
      const result = await this.collection.replaceOne({ _id: doc._id, last_position: { $lt: doc.last_position } }, doc, {
        upsert: true,
      })
      return result.modifiedCount + result.upsertedCount > 0
    })
  }

  async putManyGuarded(docs: readonly T[], isNew: (doc: T) => boolean = () => false): Promise<void> {
    const replays = new Set(await this.insertNew(docs.filter(isNew)))
    // Replaced with the guard and no upsert: these exist, so a guard that does not match is a
    // replay and nothing else (an upsert would turn it into a duplicate key).
    const updates = docs.filter((doc) => !isNew(doc) || replays.has(doc._id))
    await bulkWriteInChunks(
      this.collection,
      updates.map((doc) => ({
        replaceOne: { filter: { _id: doc._id, last_position: { $lt: doc.last_position } }, replacement: doc },
      })),
      { ordered: true, statementsPerCommand: this.statementsPerCommand },
    )
  }

  async replaceIf(doc: T, lastPosition: number): Promise<boolean> {
    return (await this.collection.replaceOne({ _id: doc._id, last_position: lastPosition }, doc)).matchedCount > 0
  }

  async deleteIf(id: string, lastPosition: number): Promise<boolean> {
    return (await this.collection.deleteOne({ _id: id, last_position: lastPosition })).deletedCount > 0
  }

  /** Inserts the documents; returns the ids of those that already existed. */
  private async insertNew(docs: readonly T[]): Promise<string[]> {
    if (docs.length === 0) return []
    try {
      await this.collection.insertMany([...docs], { ordered: false })
      return []
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error
      const writeErrors = [error.writeErrors].flat()
      if (writeErrors.some((e) => e.code !== 11000)) throw error
      return writeErrors.map((e) => docs[e.index]?._id ?? '')
    }
  }

  async ensureIndexes(indexes: IndexSpec[]): Promise<void> {
    await ensureIndexes(this.collection, indexes)
  }

  async drop(): Promise<void> {
    await this.collection.drop().catch((error: unknown) => {
      if (!isNamespaceNotFound(error)) throw error
    })
  }
}

/**
 * The document already saw this position: the guard does not match, so the upsert tries
 * to insert a second document with the same `_id` and the unique `_id` index refuses.
 */
async function guarded(write: () => Promise<boolean>): Promise<boolean> {
  try {
    return await write()
  } catch (error) {
    if (isDuplicateKey(error)) return false
    throw error
  }
}

/**
 * The filters as one query document with their conditions side by side (`$and` only where
 * two constrain the same field): FerretDB pushes top-level equalities down to PostgreSQL,
 * but nothing under `$and`.
 */
function merged(filters: readonly Filter[]): Filter {
  const query: Filter = {}
  const clashes: Filter[] = []
  for (const filter of filters) {
    for (const [field, condition] of Object.entries(filter)) {
      if (field in query || field.startsWith('$')) clashes.push({ [field]: condition })
      else query[field] = condition
    }
  }
  return clashes.length === 0 ? query : { ...query, $and: clashes }
}
