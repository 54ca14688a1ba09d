import { type Collection, type Db, MongoBulkWriteError, type WriteError } from 'mongodb'
import {
  type CommitDocument,
  type CommitLog,
  DuplicateKeyError,
  type InsertOutcome,
  MAX_EVENTS_PER_COMMIT,
} from './commit-log.js'
import { ensureIndexes, isDuplicateKey } from '../infra/mongo-collections.js'

/** A commit as stored: the command id is the `_id`, so the idempotency lookup is a primary-key read. */
type StoredCommit = Omit<CommitDocument, 'command_id'> & { _id: string }

/**
 * MongoDB commit log: one document per append in `events` (atomic without transactions),
 * races settled by unique indexes: `_id` (the command id), `position`, `(stream, version)`.
 * Works unchanged on MongoDB 6+ and on FerretDB v1.
 */
export class MongoCommitLog implements CommitLog {
  private readonly events: Collection<StoredCommit>

  constructor(db: Db) {
    this.events = db.collection<StoredCommit>('events')
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.events, [
      { key: { position: 1 }, name: 'position_unique', unique: true },
      { key: { stream: 1, version: 1 }, name: 'stream_version_unique', unique: true },
    ])
  }

  async lastPosition(): Promise<number> {
    const last = await this.events.findOne({}, { sort: { position: -1 }, projection: { _id: 0, last_position: 1 } })
    return last?.last_position ?? 0
  }

  async insertOrdered(commits: readonly CommitDocument[]): Promise<InsertOutcome> {
    try {
      await this.events.insertMany(commits.map(toStored), { ordered: true })
      return { inserted: commits.length }
    } catch (error) {
      const failed = isDuplicateKey(error) ? new DuplicateKeyError(error) : error
      if (error instanceof MongoBulkWriteError) {
        const first: WriteError | undefined = [error.writeErrors].flat()[0]
        if (first) return { inserted: first.index, error: failed }
      }
      if (failed instanceof DuplicateKeyError) return { inserted: 0, error: failed }
      // Unknown how many were stored (e.g. the connection dropped): report none, with the error.
      return { inserted: 0, error }
    }
  }

  async findByCommandId(commandId: string): Promise<CommitDocument | null> {
    const found = await this.events.findOne({ _id: commandId })
    return found && fromStored(found)
  }

  async findStreamHead(stream: string): Promise<CommitDocument | null> {
    const found = await this.events.findOne({ stream }, { sort: { version: -1 } })
    return found && fromStored(found)
  }

  async readStream(stream: string, fromVersion: number): Promise<CommitDocument[]> {
    const commits = await this.events
      .find({ stream, version: { $gt: fromVersion - MAX_EVENTS_PER_COMMIT } })
      .sort({ version: 1 })
      .toArray()
    return commits.filter((c) => c.last_version >= fromVersion).map(fromStored)
  }

  async readFrom(after: number, limit: number): Promise<CommitDocument[]> {
    const commits = await this.events
      .find({ position: { $gt: after - MAX_EVENTS_PER_COMMIT }, last_position: { $gt: after } })
      .sort({ position: 1 })
      .limit(limit)
      .toArray()
    return commits.map(fromStored)
  }
}

function toStored({ command_id, ...commit }: CommitDocument): StoredCommit {
  return { _id: command_id, ...commit }
}

function fromStored({ _id, ...commit }: StoredCommit): CommitDocument {
  return { command_id: _id, ...commit }
}
