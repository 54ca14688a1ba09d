import type { EventMetadata } from './envelope.js'

/**
 * The storage port under the event store: a collection of commit documents with three
 * unique keys. One document per append makes an append atomic without transactions
 * (DESIGN §4.5); the unique keys settle every race without read-then-write checks:
 *
 * - `position`           — global position of a commit's first event,
 * - `(stream, version)`  — stream version of a commit's first event,
 * - `command_id`         — idempotency key of the command that wrote it.
 *
 * Insert-only by design: the one atomic primitive FerretDB v1 offers under concurrency is
 * an insert checked by a unique index (its updates read and write back without isolation).
 * Adapters only store and find documents; every rule lives once in `event-store.ts`.
 */
export interface CommitLog {
  /** Creates the unique indexes; safe to call on every start. */
  ensureIndexes(): Promise<void>
  /** Position of the last event of the highest commit (0 when empty). */
  lastPosition(): Promise<number>
  /**
   * Inserts the commits in order and stops at the first that fails: returns how many were
   * stored and, if one failed, why (`DuplicateKeyError` when a unique key was taken).
   */
  insertOrdered(commits: readonly CommitDocument[]): Promise<InsertOutcome>
  findByCommandId(commandId: string): Promise<CommitDocument | null>
  /** The stream's commit with the highest version, or null for a stream with no events. */
  findStreamHead(stream: string): Promise<CommitDocument | null>
  /** The stream's commits whose last version is at least `fromVersion`, by version. */
  readStream(stream: string, fromVersion: number): Promise<CommitDocument[]>
  /**
   * Up to `limit` commits that end after `after`, by position. Commits hold at most
   * `MAX_EVENTS_PER_COMMIT` events, which bounds how far back a match can start.
   */
  readFrom(after: number, limit: number): Promise<CommitDocument[]>
}

/** One append as stored. */
export interface CommitDocument {
  position: number
  last_position: number
  stream: string
  version: number
  last_version: number
  command_id: string
  /** Hash of the request that caused the commit, for idempotent retries (absent when unkeyed). */
  fingerprint?: string
  committed_at: Date
  events: CommittedEvent[]
}

export interface InsertOutcome {
  inserted: number
  error?: unknown
}

/** The per-event part of a commit; `position`/`version` follow from the commit's. */
export interface CommittedEvent {
  event_id: string
  type: string
  data: unknown
  metadata: EventMetadata
}

/**
 * Appends without a command id get one made up with this prefix: unique by construction and
 * never looked up, so a store may leave them out of its command id index.
 */
export const GENERATED_COMMAND_ID_PREFIX = 'cmd:'

/** Upper bound on events in one append; keeps `readFrom` an index range scan. */
export const MAX_EVENTS_PER_COMMIT = 100

/** A unique key of the commit log is already taken. */
export class DuplicateKeyError extends Error {
  constructor(cause?: unknown) {
    super('duplicate key in the commit log', { cause })
    this.name = 'DuplicateKeyError'
  }
}
