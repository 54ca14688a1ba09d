import type { AppendTurns } from './append-turns.js'
import type { DomainEvent } from './catalog.js'
import { type CommitDocument, type CommitLog, GENERATED_COMMAND_ID_PREFIX, MAX_EVENTS_PER_COMMIT } from './commit-log.js'
import { createCommitWriter } from './commit-writer.js'
import { type NewEvent, type ReadEvent, STREAM_NAME_PATTERN, newEventId } from './envelope.js'
import { ConcurrencyError, InvalidAppendError } from './errors.js'
import { findUnstorable } from './storable.js'

/** What the writer believes the stream's version is (DESIGN §4.1). */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any'

export interface AppendOptions {
  /** Defaults to `any`. */
  expectedVersion?: ExpectedVersion
  /** Idempotency key: appending with a stored one returns the original result. */
  commandId?: string
  /** Stored with the commit and returned on replays, so callers can tell a retry from a reuse. */
  fingerprint?: string
  actor: string
  correlationId: string
  causationId?: string
}

export interface AppendResult<E extends NewEvent = DomainEvent> {
  stream: string
  events: ReadEvent<E>[]
  /** Stream version of the last event written. */
  version: number
  /** Global position of the last event written. */
  position: number
  /** True when `commandId` was already stored and nothing was written. */
  replayed: boolean
  fingerprint?: string
}

export interface ReadAllResult<E extends NewEvent = DomainEvent> {
  events: ReadEvent<E>[]
  /** Position read up to: pass it as the next `after`. */
  position: number
}

/** The event store port (DESIGN §4), typed by the union of events it holds. */
export interface EventStore<E extends NewEvent = DomainEvent> {
  append<T extends E>(stream: string, events: readonly T[], options: AppendOptions): Promise<AppendResult<T>>
  /** The stream's events from `fromVersion` (default 1), optionally only those stored at or before `until`. */
  readStream(stream: string, options?: { fromVersion?: number; until?: Date }): Promise<ReadEvent<E>[]>
  /** Events after `after`, in global position order. */
  readAll(options: { after: number; limit?: number }): Promise<ReadAllResult<E>>
  /** Position of the newest event stored. */
  headPosition(): Promise<number>
  /** The commit a command id wrote, as a replayed result, or null. */
  findCommand(commandId: string): Promise<AppendResult<E> | null>
  /** Calls `listener` with the events of every commit this process writes, once stored; returns an unsubscribe. */
  onAppended(listener: (events: ReadEvent<E>[]) => void): () => void
}

export interface EventStoreOptions {
  /** INSTANCE_ID written to every event's `metadata.source`. */
  source: string
  /** How long an append keeps retrying while other instances take the next positions (default 10 s). */
  appendTimeoutMs?: number
  now?: () => Date
  /** Test seam: runs after a commit's position is chosen, before it is written. */
  beforeInsert?: (stream: string, position: number) => Promise<void>
  /** Turns at appending shared with other instances (see `append-turns.ts`). */
  turns?: AppendTurns
  /** Sees every append's outcome and duration and every batch written, for metrics. */
  observer?: AppendObserver
}

export interface AppendObserver {
  /** An append finished: `stored` (new events written), `replayed`, `conflict` (expected version) or `failed`. */
  appended(
    outcome: 'stored' | 'replayed' | 'conflict' | 'failed',
    seconds: number,
    events: readonly { type: string; data: unknown }[],
  ): void
  batch(size: number): void
}

const DEFAULT_READ_LIMIT = 500

/**
 * The event store over any `CommitLog` adapter (MongoDB or memory); see `commit-writer.ts`
 * for positions. `E` is the union of events the store holds: reads are typed by it, in
 * one place (`readEventsOf`), instead of casts wherever events are used.
 */
export function createEventStore<E extends NewEvent = DomainEvent>(log: CommitLog, options: EventStoreOptions): EventStore<E> {
  const now = options.now ?? (() => new Date())
  const appendTimeoutMs = options.appendTimeoutMs ?? 10_000
  const { observer } = options
  const write = createCommitWriter(log, {
    ...(options.beforeInsert ? { beforeInsert: options.beforeInsert } : {}),
    ...(options.turns ? { turns: options.turns } : {}),
    ...(observer
      ? {
          onBatch: (size: number) => {
            observer.batch(size)
          },
        }
      : {}),
  })
  const listeners = new Set<(events: ReadEvent<E>[]) => void>()

  async function append<T extends E>(stream: string, events: readonly T[], opts: AppendOptions): Promise<AppendResult<T>> {
    validate(stream, events, opts)
    // A command id already stored is found by the writer (its unique key refuses the insert,
    // or the expected version fails): no lookup before every append.
    const at = now()
    const metadata = {
      timestamp: at.toISOString(),
      source: options.source,
      actor: opts.actor,
      correlation_id: opts.correlationId,
      ...(opts.causationId === undefined ? {} : { causation_id: opts.causationId }),
    }
    const started = performance.now()
    const written = new Promise<{ commit: CommitDocument; replayed: boolean }>((resolve, reject) => {
      write({
        stream,
        expected: opts.expectedVersion ?? 'any',
        commandId: opts.commandId ?? `${GENERATED_COMMAND_ID_PREFIX}${newEventId()}`,
        ...(opts.fingerprint === undefined ? {} : { fingerprint: opts.fingerprint }),
        events: events.map((event) => ({ event_id: newEventId(), type: event.type, data: event.data, metadata })),
        at,
        deadline: performance.now() + appendTimeoutMs,
        resolve,
        reject,
      })
    })
    const { commit, replayed } = observer ? await observed(written, started, events) : await written
    const result = appendResultOf<T>(commit, replayed)
    if (!replayed) for (const listener of listeners) listener(result.events)
    return result
  }

  async function observed<W extends { replayed: boolean }>(
    written: Promise<W>,
    started: number,
    events: readonly { type: string; data: unknown }[],
  ): Promise<W> {
    const seconds = () => (performance.now() - started) / 1000
    try {
      const outcome = await written
      observer?.appended(outcome.replayed ? 'replayed' : 'stored', seconds(), events)
      return outcome
    } catch (error) {
      observer?.appended(error instanceof ConcurrencyError ? 'conflict' : 'failed', seconds(), events)
      throw error
    }
  }

  async function readStream(stream: string, opts: { fromVersion?: number; until?: Date } = {}): Promise<ReadEvent<E>[]> {
    const fromVersion = opts.fromVersion ?? 1
    const until = opts.until?.getTime()
    const commits = await log.readStream(stream, fromVersion)
    return commits
      .flatMap((commit) => readEventsOf<E>(commit))
      .filter((e) => e.version >= fromVersion && (until === undefined || Date.parse(e.metadata.timestamp) <= until))
  }

  async function readAll({ after, limit = DEFAULT_READ_LIMIT }: { after: number; limit?: number }): Promise<ReadAllResult<E>> {
    const commits = await log.readFrom(after, limit)
    const events = commits
      .flatMap((commit) => readEventsOf<E>(commit))
      .filter((e) => e.position > after)
      .slice(0, limit)
    return { events, position: events.at(-1)?.position ?? after }
  }

  async function findCommand(commandId: string): Promise<AppendResult<E> | null> {
    const commit = await log.findByCommandId(commandId)
    return commit && appendResultOf<E>(commit, true)
  }

  function onAppended(listener: (events: ReadEvent<E>[]) => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  return { append, readStream, readAll, findCommand, onAppended, headPosition: () => log.lastPosition() }
}

/**
 * The events of a commit, each with its own version and global position — the one place
 * stored documents become typed events: the store only ever holds what `append` accepted
 * as `E`, and event schemas only ever gain optional fields (DESIGN §3).
 */
function readEventsOf<E extends NewEvent>(commit: CommitDocument): ReadEvent<E>[] {
  return commit.events.map(
    (event, i) =>
      ({
        event_id: event.event_id,
        type: event.type,
        stream: commit.stream,
        version: commit.version + i,
        position: commit.position + i,
        data: event.data,
        metadata: event.metadata,
      }) as ReadEvent<E>,
  )
}

/** What an append returns, from the commit it wrote (or found, when `replayed`). */
function appendResultOf<E extends NewEvent>(commit: CommitDocument, replayed: boolean): AppendResult<E> {
  return {
    stream: commit.stream,
    events: readEventsOf<E>(commit),
    version: commit.last_version,
    position: commit.last_position,
    replayed,
    ...(commit.fingerprint === undefined ? {} : { fingerprint: commit.fingerprint }),
  }
}

function validate(stream: string, events: readonly NewEvent[], opts: AppendOptions): void {
  if (!STREAM_NAME_PATTERN.test(stream)) throw new InvalidAppendError(`invalid stream name "${stream}"`)
  if (events.length === 0 || events.length > MAX_EVENTS_PER_COMMIT) {
    throw new InvalidAppendError(`an append holds 1 to ${MAX_EVENTS_PER_COMMIT} events`)
  }
  for (const event of events) {
    const problem = findUnstorable(event.data)
    if (problem) throw new InvalidAppendError(`${event.type}: ${problem}`)
  }
  const expected = opts.expectedVersion
  if (typeof expected === 'number' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new InvalidAppendError(`expected version must be a whole number >= 0 (got ${expected})`)
  }
}
