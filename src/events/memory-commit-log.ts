import { lowerBound } from '../shared/lower-bound.js'
import {
  type CommitDocument,
  type CommitLog,
  type CommittedEvent,
  DuplicateKeyError,
  GENERATED_COMMAND_ID_PREFIX,
  type InsertOutcome,
  MAX_EVENTS_PER_COMMIT,
} from './commit-log.js'

/**
 * In-memory commit log for the embedded mode and fast tests. It enforces the same three
 * unique keys as the MongoDB adapter, so the event store's race handling runs unchanged on
 * it. Each commit is kept as its JSON text — immutable by construction (every read is a
 * fresh copy, and what a caller does with an appended payload afterwards cannot reach the
 * log) and about a third of the memory of the objects — with its positions and versions
 * beside it for lookups.
 */
export class MemoryCommitLog implements CommitLog {
  /** Per commit, in position order (an insert always lands after the last one). */
  private readonly positions: number[] = []
  private readonly lastPositions: number[] = []
  private readonly texts: string[] = []
  /** Command id → commit index (ids the store made up are never looked up, so not kept). */
  private readonly byCommandId = new Map<string, number>()
  /** Stream → its commits' indexes in version order (a single index for a stream of one commit). */
  private readonly streams = new Map<string, number | number[]>()
  private readonly lastVersions: number[] = []

  ensureIndexes(): Promise<void> {
    return Promise.resolve()
  }

  lastPosition(): Promise<number> {
    return Promise.resolve(this.lastPositions.at(-1) ?? 0)
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
    const streamHead = this.lastVersions[this.lastOf(commit.stream) ?? -1] ?? 0
    if (
      commit.position <= (this.lastPositions.at(-1) ?? 0) ||
      this.byCommandId.has(commit.command_id) ||
      commit.version <= streamHead
    ) {
      throw new DuplicateKeyError()
    }
    const index = this.texts.length
    this.texts.push(encode(commit))
    this.positions.push(commit.position)
    this.lastPositions.push(commit.last_position)
    this.lastVersions.push(commit.last_version)
    if (!commit.command_id.startsWith(GENERATED_COMMAND_ID_PREFIX)) this.byCommandId.set(commit.command_id, index)
    const earlier = this.streams.get(commit.stream)
    this.streams.set(
      commit.stream,
      earlier === undefined ? index : [...(typeof earlier === 'number' ? [earlier] : earlier), index],
    )
  }

  findByCommandId(commandId: string): Promise<CommitDocument | null> {
    const index = this.byCommandId.get(commandId)
    return Promise.resolve(index === undefined ? null : this.commit(index))
  }

  findStreamHead(stream: string): Promise<CommitDocument | null> {
    const index = this.lastOf(stream)
    return Promise.resolve(index === undefined ? null : this.commit(index))
  }

  readStream(stream: string, fromVersion: number): Promise<CommitDocument[]> {
    const indexes = this.streams.get(stream) ?? []
    return Promise.resolve(
      (typeof indexes === 'number' ? [indexes] : indexes)
        .filter((index) => (this.lastVersions[index] ?? 0) >= fromVersion)
        .map((index) => this.commit(index)),
    )
  }

  readFrom(after: number, limit: number): Promise<CommitDocument[]> {
    const found: CommitDocument[] = []
    const from = lowerBound(this.positions, (position) => position > after - MAX_EVENTS_PER_COMMIT)
    for (let i = from; i < this.texts.length && found.length < limit; i++) {
      if ((this.lastPositions[i] ?? 0) > after) found.push(this.commit(i))
    }
    return Promise.resolve(found)
  }

  private lastOf(stream: string): number | undefined {
    const indexes = this.streams.get(stream)
    return typeof indexes === 'number' ? indexes : indexes?.at(-1)
  }

  private commit(index: number): CommitDocument {
    return decode(this.texts[index] ?? '')
  }
}

/** A commit as JSON text, without field names and without what follows from the rest. */
type Encoded = [
  position: number,
  stream: string,
  version: number,
  commandId: string | null,
  fingerprint: string | null,
  committedAt: number,
  events: [eventId: string, type: string, data: unknown, metadata: CommittedEvent['metadata']][],
]

function encode(commit: CommitDocument): string {
  const generated = commit.command_id.startsWith(GENERATED_COMMAND_ID_PREFIX)
  const encoded: Encoded = [
    commit.position,
    commit.stream,
    commit.version,
    generated ? null : commit.command_id,
    commit.fingerprint ?? null,
    commit.committed_at.getTime(),
    commit.events.map((e) => [e.event_id, e.type, e.data, e.metadata]),
  ]
  return JSON.stringify(encoded)
}

function decode(text: string): CommitDocument {
  const [position, stream, version, commandId, fingerprint, committedAt, events] = JSON.parse(text) as Encoded
  return {
    position,
    last_position: position + events.length - 1,
    stream,
    version,
    last_version: version + events.length - 1,
    // A made-up id is never looked up; any unique value stands for it.
    command_id: commandId ?? `${GENERATED_COMMAND_ID_PREFIX}${position}`,
    ...(fingerprint === null ? {} : { fingerprint }),
    committed_at: new Date(committedAt),
    events: events.map(([event_id, type, data, metadata]) => ({ event_id, type, data, metadata })),
  }
}
