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
/**
 * Positions are also grouped in blocks of this many, each commit listing its blocks: a reader
 * far behind (a catch-up, a rebuild) takes a whole written block in one lookup. On FerretDB
 * every lookup reads the collection through, so reading a log of N events page by page costs
 * N/64 passes over it; by block, N/1024.
 */
export const BLOCK_SIZE = 1024
/** Reads asking for fewer commits than this go by pages (most of a block would go unused). */
const BLOCK_READ_MIN_LIMIT = 256

/** A commit as stored: the command id is the `_id`; `pages` and `blocks` index it by position. */
type StoredCommit = Omit<CommitDocument, 'command_id'> & { _id: string; pages: number[]; blocks: number[] }

const pageOf = (position: number) => Math.floor(position / PAGE_SIZE)
const blockOf = (position: number) => Math.floor(position / BLOCK_SIZE)
const blockEnd = (block: number) => (block + 1) * BLOCK_SIZE - 1

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
 * | events after p, far behind the head (`readFrom`) | `{blocks: n}` | `blocks` |
 * | a stream (`readStream`, `findStreamHead`) | `{stream}` | `stream_version_unique` |
 * | a command (`findByCommandId`) | `{_id}` | `_id_` |
 */
export class MongoCommitLog implements CommitLog {
  private readonly events: Collection<StoredCommit>
  private readonly migrations: Collection<{ _id: string; at: Date }>
  /** The highest position this process has seen stored: where looking for the head starts. */
  private knownHead = 0
  /** The last whole block read (a reader far behind asks for it again, from further on). */
  private lastBlock: { block: number; commits: CommitDocument[] } | undefined
  /** Blocks written to their end with a commit missing from them: read by pages (see `addMissingPages`). */
  private readonly incompleteBlocks = new Set<number>()

  constructor(db: Db) {
    this.events = db.collection<StoredCommit>('events')
    this.migrations = db.collection('migrations')
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.events, [
      { key: { position: 1 }, name: 'position_unique', unique: true },
      { key: { stream: 1, version: 1 }, name: 'stream_version_unique', unique: true },
      { key: { pages: 1 }, name: 'pages' },
      { key: { blocks: 1 }, name: 'blocks' },
    ])
    await this.addMissingPages()
  }

  /**
   * Commits stored before `pages` existed get it, once per database (recorded in `migrations`).
   * `blocks` has no such migration (on FerretDB it would be a pass over the table per commit):
   * a block holding a commit stored without it is read by pages, as before blocks existed.
   */
  private async addMissingPages(): Promise<void> {
    if (await this.migrations.findOne({ _id: 'events.pages' })) return
    const legacy = await this.events
      .find({ pages: { $exists: false } }, { projection: { position: 1, last_position: 1 } })
      .toArray()
    for (const commit of legacy) {
      await this.events.updateOne(
        { _id: commit._id },
        { $set: { pages: spanned(commit.position, commit.last_position, PAGE_SIZE) } },
      )
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

  /** Commits ending after `after`: whole blocks while they are known to be written, then page by page. */
  async readFrom(after: number, limit: number): Promise<CommitDocument[]> {
    const fromBlocks = limit >= BLOCK_READ_MIN_LIMIT ? await this.readBlocks(after, limit) : []
    if (fromBlocks.length >= limit) return fromBlocks
    const rest = await this.readPages(fromBlocks.at(-1)?.last_position ?? after, limit - fromBlocks.length)
    return [...fromBlocks, ...rest]
  }

  /**
   * Commits ending after `after` from the blocks this process knows to be written up to their
   * end, one lookup each (the last one is kept: a reader asks for it again from further on).
   * Stops at a block found incomplete — one with a commit stored without `blocks`, before they
   * existed (positions become visible in order, so a block written to its end lacks nothing else).
   */
  private async readBlocks(after: number, limit: number): Promise<CommitDocument[]> {
    const found: CommitDocument[] = []
    let from = after
    while (found.length < limit) {
      const block = blockOf(from + 1)
      if (this.knownHead < blockEnd(block) || this.incompleteBlocks.has(block)) break
      const commits = this.lastBlock?.block === block ? this.lastBlock.commits : await this.commitsInBlock(block)
      if (!covers(commits, Math.max(1, block * BLOCK_SIZE), blockEnd(block))) {
        this.incompleteBlocks.add(block)
        break
      }
      this.lastBlock = { block, commits }
      for (const commit of commits) {
        if (commit.last_position <= from) continue
        found.push(commit)
        from = commit.last_position
        if (found.length >= limit) break
      }
    }
    return found
  }

  /**
   * Commits ending after `after`, page by page: a page is read again only while it is not
   * full, and the next one only once it is (positions are used in order, without gaps).
   */
  private async readPages(after: number, limit: number): Promise<CommitDocument[]> {
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

  /** The commits with an event in `block`, in position order. */
  private async commitsInBlock(block: number): Promise<CommitDocument[]> {
    return (await this.events.find({ blocks: block }).toArray()).map(fromStored).sort((a, b) => a.position - b.position)
  }

  private seen(position: number): void {
    if (position > this.knownHead) this.knownHead = position
  }
}

/** The groups of `size` positions that a commit's events fall in. */
function spanned(position: number, lastPosition: number, size: number): number[] {
  const groups: number[] = []
  for (let group = Math.floor(position / size); group <= Math.floor(lastPosition / size); group++) groups.push(group)
  return groups
}

/** Whether the commits (in position order) hold every position from `first` to `last`. */
function covers(commits: readonly CommitDocument[], first: number, last: number): boolean {
  let next = first
  for (const commit of commits) {
    if (commit.last_position < next) continue
    if (commit.position > next) return false
    next = commit.last_position + 1
  }
  return next > last
}

function toStored({ command_id, ...commit }: CommitDocument): StoredCommit {
  const { position, last_position } = commit
  return {
    _id: command_id,
    ...commit,
    pages: spanned(position, last_position, PAGE_SIZE),
    blocks: spanned(position, last_position, BLOCK_SIZE),
  }
}

function fromStored({ _id, pages: _pages, blocks: _blocks, ...commit }: StoredCommit): CommitDocument {
  return { command_id: _id, ...commit }
}
