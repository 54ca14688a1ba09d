import type { Db } from 'mongodb'
import { ensureIndexes, isDuplicateKey, isNamespaceNotFound } from '../infra/mongo-collections.js'
import type { Filter, IndexSpec, ListOptions, ReadModelCollection, ReadModelDocument, ReadModelStore } from './read-model.js'

/**
 * Read models in MongoDB collections. Each guarded write is one single-document update
 * whose filter carries the guard (`last_position < p`): applied once, a no-op on replay.
 */
export class MongoReadModelStore implements ReadModelStore {
  constructor(private readonly db: Db) {}

  collection<T extends ReadModelDocument>(name: string, _sort: string): ReadModelCollection<T> {
    return new MongoCollection<T>(this.db, name)
  }
}

class MongoCollection<T extends ReadModelDocument> implements ReadModelCollection<T> {
  constructor(
    private readonly db: Db,
    private readonly name: string,
  ) {}

  private get collection() {
    return this.db.collection<ReadModelDocument>(this.name)
  }

  async get(id: string): Promise<T | null> {
    return (await this.collection.findOne({ _id: id })) as T | null
  }

  async list(filters: readonly Filter[], options: ListOptions): Promise<T[]> {
    const all = [...filters]
    if (options.after !== undefined) all.push({ [options.sort]: { [options.descending ? '$lt' : '$gt']: options.after } })
    const query = all.length === 0 ? {} : all.length === 1 ? all[0] : { $and: all }
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

  async incGuarded(
    id: string,
    position: number,
    inc: Record<string, number>,
    init: Omit<T, '_id' | 'last_position'>,
  ): Promise<boolean> {
    const setOnInsert = Object.fromEntries(Object.entries(init).filter(([field]) => !(field in inc)))
    return guarded(async () => {
      const result = await this.collection.updateOne(
        { _id: id, last_position: { $lt: position } },
        { $inc: inc, $set: { last_position: position }, $setOnInsert: setOnInsert },
        { upsert: true },
      )
      return result.modifiedCount + result.upsertedCount > 0
    })
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
