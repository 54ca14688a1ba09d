/**
 * The storage port of read models: collections of documents that projections write with
 * *guarded* single-document updates (applied only if the document has not seen that
 * position yet, so replaying events is a no-op) and queries read with filters and cursors.
 * Adapters: MongoDB (`mongo-read-model.ts`) and memory (`memory-read-model.ts`).
 */

/** A MongoDB query document; memory adapters evaluate the same documents. */
export type Filter = Record<string, unknown>

export interface ReadModelDocument {
  _id: string
  /** Global position of the last event applied to this document (the idempotency guard). */
  last_position: number
}

export interface ListOptions {
  /** A numeric field to sort on (e.g. `created_position`). */
  sort: string
  descending: boolean
  /** Exclusive cursor on the sort field: only documents past it in sort order. */
  after?: number
  limit: number
}

export interface IndexSpec {
  name: string
  key: Record<string, 1 | -1>
  unique?: boolean
}

export interface ReadModelCollection<T extends ReadModelDocument> {
  get(id: string): Promise<T | null>
  /** The documents with these ids that exist, in no particular order. */
  getMany(ids: readonly string[]): Promise<T[]>
  /** Documents matching every filter, in sort order, after the cursor. */
  list(filters: readonly Filter[], options: ListOptions): Promise<T[]>
  /** Replaces (or inserts) the document unless it already has `last_position` >= the new one's. */
  putGuarded(doc: T): Promise<boolean>
  /**
   * Writes documents with distinct ids in a bulk write: those for which `isNew` holds are
   * inserted (one that exists after all — a replay — is written like the others); the others
   * exist and are replaced unless they already have `last_position` >= the new one's.
   */
  putManyGuarded(docs: readonly T[], isNew?: (doc: T) => boolean): Promise<void>
  /**
   * Replaces the document if it is stored with exactly this `last_position`; false otherwise.
   * For the projection's writer only, between its batches (a repair under its lease).
   */
  replaceIf(doc: T, lastPosition: number): Promise<boolean>
  /** Deletes the document if it is stored with exactly this `last_position`; false otherwise (same use). */
  deleteIf(id: string, lastPosition: number): Promise<boolean>
  ensureIndexes(indexes: IndexSpec[]): Promise<void>
  drop(): Promise<void>
}

export interface ReadModelStore {
  /**
   * True when a sorted, limited list costs a page (an index, an ordered array) rather than a
   * pass over the collection — false on FerretDB v1, which sorts in memory after decoding
   * every matching document.
   */
  readonly sortsFromIndex: boolean
  /** A collection by name; `sort` names the numeric field memory adapters keep it ordered by. */
  collection<T extends ReadModelDocument>(name: string, sort: string): ReadModelCollection<T>
}
