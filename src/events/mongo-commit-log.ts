import { type Collection, type Db, MongoBulkWriteError, type WriteError } from 'mongodb'
import { ensureIndexes, insertIfAbsent, isDuplicateKey } from '../infra/mongo-collections.js'
import { type CommitDocument, type CommitLog, DuplicateKeyError, type InsertOutcome } from './commit-log.js'

/**
 * Global positions are grouped in pages of this many; each commit lists the pages its events
 * fall in, so "what comes after position p" is an equality lookup on one page.
 */
export const PAGE_SIZE = 64
/** Pages read at once when they are known to be written (a catch-up or a rebuild reads ahead). */
const PARALLEL_PAGES = 8

/** A commit as stored: the command id is the `_id`; `pages` indexes it by position. */
type StoredCommit = Omit<CommitDocument, 'command_id'> & { _id: string; pages: number[] }

const pageOf = (position: number) => Math.floor(position / PAGE_SIZE)

/**
 * MongoDB commit log: one document per append in `events` (atomic without transactions),
 * races settled by unique indexes: `_id` (the command id), `position`, `(stream, version)`.
 *
 * Every query is an equality on one field, which MongoDB answers from an index and FerretDB
 * v1 pushes down to PostgreSQL (it decodes only the documents that match; range and sort
 * queries would decode the whole collection there):
 *
 * | query | filter | MongoDB index |
 * | --- | --- | --- |
 * | events after p (`readFrom`), the head (`lastPosition`) | `{pages: n}` | `pages` |
 * | a stream (`readStream`, `findStreamHead`) | `{stream}` | `stream_version_unique` |
 * | a command (`findByCommandId`) | `{_id}` | `_id_` |
 */
export class MongoCommitLog implements CommitLog {
  private readonly events: Collection<StoredCommit>
  private readonly migrations: Collection<{ _id: string; at: Date }>
  /** The highest position this process has seen stored: where looking for the head starts. */
  private knownHead = 0

  constructor(db: Db) {
    this.events = db.collection<StoredCommit>('events')
    this.migrations = db.collection('migrations')
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.events, [
      { key: { position: 1 }, name: 'position_unique', unique: true },
      { key: { stream: 1, version: 1 }, name: 'stream_version_unique', unique: true },
      { key: { pages: 1 }, name: 'pages' },
    ])
    await this.addMissingPages()
  }

  /** Commits stored before `pages` existed get it, once per database (recorded in `migrations`). */
  private async addMissingPages(): Promise<void> {
    if (await this.migrations.findOne({ _id: 'events.pages' })) return
    const legacy = await this.events
      .find({ pages: { $exists: false } }, { projection: { position: 1, last_position: 1 } })
      .toArray()
    for (const commit of legacy) {
      await this.events.updateOne({ _id: commit._id }, { $set: { pages: pagesOf(commit.position, commit.last_position) } })
    }
    await insertIfAbsent(this.migrations, { _id: 'events.pages', at: new Date() })
  }

  async lastPosition(): Promise<number> {
    let page = pageOf(this.knownHead + 1)
    if (this.knownHead === 0) page = await this.lastUsedPage()
    for (;;) {
      const last = (await this.commitsOnPage(page)).reduce((max, c) => Math.max(max, c.last_position), 0)
      this.seen(last)
      if (last < (page + 1) * PAGE_SIZE - 1) return this.knownHead
      page++
    }
  }

  /** The highest page with a commit on it: pages are used in order, so an exponential then a binary search finds it. */
  private async lastUsedPage(): Promise<number> {
    const used = async (page: number) => (await this.events.findOne({ pages: page }, { projection: { _id: 1 } })) !== null
    if (!(await used(0))) return 0
    let low = 0
    let high = 1
    while (await used(high)) {
      low = high
      high *= 2
    }
    while (high - low > 1) {
      const mid = (low + high) >>> 1
      if (await used(mid)) low = mid
      else high = mid
    }
    return low
  }

  async insertOrdered(commits: readonly CommitDocument[]): Promise<InsertOutcome> {
    try {
      await this.events.insertMany(commits.map(toStored), { ordered: true })
      this.seen(commits.at(-1)?.last_position ?? 0)
      return { inserted: commits.length }
    } catch (error) {
      const failed = isDuplicateKey(error) ? new DuplicateKeyError(error) : error
      if (error instanceof MongoBulkWriteError) {
        const first: WriteError | undefined = [error.writeErrors].flat()[0]
        if (first) {
          this.seen(commits[first.index - 1]?.last_position ?? 0)
          return { inserted: first.index, error: failed }
        }
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
    const commits = await this.events.find({ stream }).toArray()
    const head = commits.reduce<StoredCommit | null>((best, c) => (best && best.version > c.version ? best : c), null)
    return head && fromStored(head)
  }

  async readStream(stream: string, fromVersion: number): Promise<CommitDocument[]> {
    const commits = await this.events.find({ stream }).toArray()
    return commits
      .filter((c) => c.last_version >= fromVersion)
      .sort((a, b) => a.version - b.version)
      .map(fromStored)
  }

  /**
   * Commits ending after `after`, page by page: a page is read again only while it is not
   * full, and the next one only once it is (positions are used in order, without gaps).
   */
  async readFrom(after: number, limit: number): Promise<CommitDocument[]> {
    const found = new Map<number, CommitDocument>()
    let page = pageOf(after + 1)
    for (;;) {
      // Pages known to be written (up to the head this log has seen) are read together, the
      // rest one at a time; what follows a page found not full is not used.
      const known = Math.max(1, Math.min(PARALLEL_PAGES, pageOf(this.knownHead) - page + 1))
      const pages = await Promise.all(Array.from({ length: known }, (_, i) => this.commitsOnPage(page + i)))
      for (const commits of pages) {
        let last = 0
        for (const commit of commits) {
          last = Math.max(last, commit.last_position)
          if (commit.last_position > after) found.set(commit.position, commit)
        }
        this.seen(last)
        if (last < (page + 1) * PAGE_SIZE - 1 || found.size >= limit) {
          return [...found.values()].sort((a, b) => a.position - b.position).slice(0, limit)
        }
        page++
      }
    }
  }

  private async commitsOnPage(page: number): Promise<CommitDocument[]> {
    return (await this.events.find({ pages: page }).toArray()).map(fromStored)
  }

  private seen(position: number): void {
    if (position > this.knownHead) this.knownHead = position
  }
}

function pagesOf(position: number, lastPosition: number): number[] {
  const pages: number[] = []
  for (let page = pageOf(position); page <= pageOf(lastPosition); page++) pages.push(page)
  return pages
}

function toStored({ command_id, ...commit }: CommitDocument): StoredCommit {
  return { _id: command_id, ...commit, pages: pagesOf(commit.position, commit.last_position) }
}

function fromStored({ _id, pages: _pages, ...commit }: StoredCommit): CommitDocument {
  return { command_id: _id, ...commit }
}
