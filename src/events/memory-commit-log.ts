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
 * Where commits go before they become visible (the embedded mode's file, `file-commit-journal.ts`):
 * `append` resolves once the commits, as their encoded texts, are durable.
 */
export interface CommitJournal {
  append(texts: readonly string[]): Promise<void>
}

/** A stored commit that breaks the log's order: the journal it came from is damaged. */
export class CommitOrderError extends Error {
  constructor(index: number, problem: string) {
    super(`commit #${index + 1} ${problem}`)
    this.name = 'CommitOrderError'
  }
}

/**
 * In-memory commit log for the embedded mode and fast tests. It enforces the same three
 * unique keys as the MongoDB adapter, so the event store's race handling runs unchanged on
 * it. Each commit is kept as its JSON text — immutable by construction (every read is a
 * fresh copy, and what a caller does with an appended payload afterwards cannot reach the
 * log) and about a third of the memory of the objects — with its positions and versions
 * beside it for lookups.
 *
 * With a `journal` beneath it (the embedded mode's durable log), an insert is checked, then
 * written to the journal, and only once the journal has it on disk does it become visible:
 * a reader never sees a commit that a crash could still take back. Inserts then run one at
 * a time, each batch one journal write (the writer's group commit is the fsync's).
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
  /** The insert in progress with a journal: the next waits for it. */
  private inserting: Promise<unknown> = Promise.resolve()

  constructor(private readonly journal?: CommitJournal) {}

  /**
   * Takes back a commit its journal kept (its encoded text, in journal order) without
   * writing it again. Throws `CommitOrderError` if it does not follow the commits before it
   * (a position or stream version out of sequence, a command id seen before).
   */
  restore(text: string): void {
    const [position, stream, version, commandId, , , events] = JSON.parse(text) as Encoded
    const index = this.texts.length
    const expected = (this.lastPositions.at(-1) ?? 0) + 1
    if (position !== expected) throw new CommitOrderError(index, `is at position ${position}, expected ${expected}`)
    const head = this.lastVersions[this.lastOf(stream) ?? -1] ?? 0
    if (version !== head + 1) throw new CommitOrderError(index, `is version ${version} of ${stream}, expected ${head + 1}`)
    if (commandId !== null && this.byCommandId.has(commandId))
      throw new CommitOrderError(index, `repeats command id ${commandId}`)
    this.add(text, { position, stream, version, commandId, count: events.length })
  }

  /** Every stream name, in the order the streams began. */
  streamNames(): IterableIterator<string> {
    return this.streams.keys()
  }

  ensureIndexes(): Promise<void> {
    return Promise.resolve()
  }

  lastPosition(): Promise<number> {
    return Promise.resolve(this.lastPositions.at(-1) ?? 0)
  }

  insertOrdered(commits: readonly CommitDocument[]): Promise<InsertOutcome> {
    const { journal } = this
    if (!journal) return Promise.resolve(this.insertChecked(commits, this.accepted(commits)))
    const run = this.inserting.then(async () => {
      const accepted = this.accepted(commits)
      const texts = commits.slice(0, accepted.count).map(encode)
      if (texts.length > 0) {
        try {
          await journal.append(texts)
        } catch (error) {
          return { inserted: 0, error }
        }
      }
      return this.insertChecked(commits, accepted, texts)
    })
    this.inserting = run
    return run
  }

  /** How many of the commits, in order, take no unique key already taken (by the log or an earlier one of them). */
  private accepted(commits: readonly CommitDocument[]): { count: number; error?: DuplicateKeyError } {
    let last = this.lastPositions.at(-1) ?? 0
    const heads = new Map<string, number>()
    const commandIds = new Set<string>()
    for (const [count, commit] of commits.entries()) {
      const head = heads.get(commit.stream) ?? this.lastVersions[this.lastOf(commit.stream) ?? -1] ?? 0
      const generated = commit.command_id.startsWith(GENERATED_COMMAND_ID_PREFIX)
      if (
        commit.position <= last ||
        commit.version <= head ||
        (!generated && (this.byCommandId.has(commit.command_id) || commandIds.has(commit.command_id)))
      ) {
        return { count, error: new DuplicateKeyError() }
      }
      last = commit.last_position
      heads.set(commit.stream, commit.last_version)
      if (!generated) commandIds.add(commit.command_id)
    }
    return { count: commits.length }
  }

  private insertChecked(
    commits: readonly CommitDocument[],
    accepted: { count: number; error?: DuplicateKeyError },
    texts: readonly string[] = commits.slice(0, accepted.count).map(encode),
  ): InsertOutcome {
    for (const [i, text] of texts.entries()) {
      const commit = commits[i] as CommitDocument
      const generated = commit.command_id.startsWith(GENERATED_COMMAND_ID_PREFIX)
      this.add(text, {
        position: commit.position,
        stream: commit.stream,
        version: commit.version,
        commandId: generated ? null : commit.command_id,
        count: commit.events.length,
      })
    }
    return accepted.error ? { inserted: accepted.count, error: accepted.error } : { inserted: accepted.count }
  }

  private add(
    text: string,
    commit: { position: number; stream: string; version: number; commandId: string | null; count: number },
  ): void {
    const index = this.texts.length
    this.texts.push(text)
    this.positions.push(commit.position)
    this.lastPositions.push(commit.position + commit.count - 1)
    this.lastVersions.push(commit.version + commit.count - 1)
    if (commit.commandId !== null) this.byCommandId.set(commit.commandId, index)
    const earlier = this.streams.get(commit.stream)
    if (earlier === undefined) this.streams.set(commit.stream, index)
    else if (typeof earlier === 'number') this.streams.set(commit.stream, [earlier, index])
    else earlier.push(index)
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
