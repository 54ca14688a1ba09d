import type { Collection, Document, IndexDescription } from 'mongodb'

/**
 * Creates indexes idempotently, one `createIndexes` command per index: FerretDB v1.24
 * panics when one command lists several indexes that already exist (it deletes from
 * a slice while walking it), and MongoDB accepts either form.
 */
export async function ensureIndexes<T extends Document>(collection: Collection<T>, indexes: IndexDescription[]): Promise<void> {
  for (const index of indexes) await collection.createIndexes([index])
}
