import { deepFreeze } from '../shared/freeze.js'
import { lowerBound } from '../shared/lower-bound.js'
import {
  type CommitDocument,
  type CommitLog,
  DuplicateKeyError,
  type InsertOutcome,
  MAX_EVENTS_PER_COMMIT,
} from './commit-log.js'

/**
 * In-memory commit log for the embedded mode and fast tests. It enforces the same three
 * unique keys as the MongoDB adapter, so the event store's race handling runs unchanged
 * on it. Documents are frozen on the way in (the store owns what it was given: mutating an
 * appended payload afterwards throws) and reads hand out those frozen documents.
 */
export class MemoryCommitLog implements CommitLog {
  /** All commits, in position order (an insert always lands after the last one). */
  private readonly byPosition: CommitDocument[] = []
  private readonly byCommandId = new Map<string, CommitDocument>()
  /** Per stream, commits in version order. */
  private readonly streams = new Map<string, CommitDocument[]>()

  ensureIndexes(): Promise<void> {
    return Promise.resolve()
  }

  lastPosition(): Promise<number> {
    return Promise.resolve(this.byPosition.at(-1)?.last_position ?? 0)
  }

  insertOrdered(commits: readonly CommitDocument[]): Promise<InsertOutcome> {
    for (const [inserted, commit] of commits.entries()) {
      try {
        this.insert(commit)
      } catch (error) {
        return Promise.resolve({ inserted, error })
      }
    }
    return Promise.resolve({ inserted: commits.length })
  }

  private insert(commit: CommitDocument): void {
    const stream = this.streams.get(commit.stream) ?? []
    if (
      this.positionTaken(commit.position) ||
      this.byCommandId.has(commit.command_id) ||
      ((stream.at(-1)?.version ?? 0) >= commit.version && stream.some((c) => c.version === commit.version))
    ) {
      throw new DuplicateKeyError()
    }
    const stored = deepFreeze(commit)
    this.byCommandId.set(stored.command_id, stored)
    insertSorted(this.byPosition, stored, (c) => c.position)
    insertSorted(stream, stored, (c) => c.version)
    this.streams.set(stored.stream, stream)
  }

  findByCommandId(commandId: string): Promise<CommitDocument | null> {
    return Promise.resolve(this.byCommandId.get(commandId) ?? null)
  }

  findStreamHead(stream: string): Promise<CommitDocument | null> {
    return Promise.resolve(this.streams.get(stream)?.at(-1) ?? null)
  }

  readStream(stream: string, fromVersion: number): Promise<CommitDocument[]> {
    return Promise.resolve((this.streams.get(stream) ?? []).filter((c) => c.last_version >= fromVersion))
  }

  readFrom(after: number, limit: number): Promise<CommitDocument[]> {
    const found: CommitDocument[] = []
    for (let i = this.firstIndexAbove(after - MAX_EVENTS_PER_COMMIT); i < this.byPosition.length && found.length < limit; i++) {
      const commit = this.byPosition[i]
      if (commit && commit.last_position > after) found.push(commit)
    }
    return Promise.resolve(found)
  }

  private positionTaken(position: number): boolean {
    return this.byPosition[this.firstIndexAbove(position - 1)]?.position === position
  }

  /** Index of the first commit whose position is above `position`. */
  private firstIndexAbove(position: number): number {
    return lowerBound(this.byPosition, (commit) => commit.position > position)
  }
}

/** Inserts in order; almost always at the end. */
function insertSorted(list: CommitDocument[], item: CommitDocument, key: (c: CommitDocument) => number): void {
  let i = list.length
  while (i > 0 && key(list[i - 1] as CommitDocument) > key(item)) i--
  if (i === list.length) list.push(item)
  else list.splice(i, 0, item)
}
