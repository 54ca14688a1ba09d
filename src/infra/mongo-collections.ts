import {
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type IndexDescription,
  MongoBulkWriteError,
  MongoServerError,
  type OptionalUnlessRequiredId,
} from 'mongodb'

/**
 * Creates indexes idempotently, one `createIndexes` command per index: FerretDB v1.24
 * panics when one command lists several indexes that already exist (it deletes from
 * a slice while walking it), and MongoDB accepts either form.
 */
export async function ensureIndexes<T extends Document>(collection: Collection<T>, indexes: IndexDescription[]): Promise<void> {
  for (const index of indexes) await collection.createIndexes([index])
}

/** Inserts the document; false when a unique index (e.g. its `_id`) already holds one like it. */
export async function insertIfAbsent<T extends Document>(
  collection: Collection<T>,
  doc: OptionalUnlessRequiredId<T>,
): Promise<boolean> {
  try {
    await collection.insertOne(doc)
    return true
  } catch (error) {
    if (isDuplicateKey(error)) return false
    throw error
  }
}

/** A unique index refused a write (MongoDB error 11000), also when it arrives inside a bulk write. */
export function isDuplicateKey(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) return [error.writeErrors].flat()[0]?.code === 11000
  return error instanceof MongoServerError && error.code === 11000
}

/** The collection does not exist (MongoDB error 26, e.g. on drop). */
export function isNamespaceNotFound(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 26
}

/**
 * A bulk write sent in commands of at most `statementsPerCommand` statements (default: all in
 * one), one after another, so still in order.
 */
export async function bulkWriteInChunks<T extends Document>(
  collection: Collection<T>,
  operations: readonly AnyBulkWriteOperation<T>[],
  options: { ordered: boolean; statementsPerCommand?: number | undefined },
): Promise<void> {
  const { statementsPerCommand = operations.length, ...bulkOptions } = options
  for (let i = 0; i < operations.length; i += statementsPerCommand) {
    await collection.bulkWrite(operations.slice(i, i + statementsPerCommand), bulkOptions)
  }
}
