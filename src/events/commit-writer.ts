import { setTimeout as sleep } from 'node:timers/promises'
import type { AppendTurns } from './append-turns.js'
import {
  type CommitDocument,
  type CommitLog,
  type CommittedEvent,
  DuplicateKeyError,
  GENERATED_COMMAND_ID_PREFIX,
} from './commit-log.js'
import { CommandIdConflictError, ConcurrencyError, EventStoreBusyError } from './errors.js'
import type { ExpectedVersion } from './event-store.js'

/** A validated append waiting for its turn. */
export interface PendingAppend {
  stream: string
  expected: ExpectedVersion
  commandId: string
  fingerprint?: string
  events: CommittedEvent[]
  at: Date
  deadline: number
  /** Called with the commit that holds the append: its own, or the original one when `replayed`. */
  resolve(written: { commit: CommitDocument; replayed: boolean }): void
  reject(error: unknown): void
}

export interface CommitWriterOptions {
  /** Test seam: runs for each commit after its position is chosen, before the batch is written. */
  beforeInsert?: (stream: string, position: number) => Promise<void>
  maxBatch?: number
  /** Turns shared with the other instances writing to this log (none: race for positions). */
  turns?: AppendTurns
  /** Told the size of every batch written (group commit), for metrics. */
  onBatch?: (size: number) => void
}

/**
 * Writes appends in batches, one batch at a time per process (group commit).
 *
 * Global positions are taken, not allocated: the writer reads the last stored position P
 * and inserts its commits, in order, at P+1, P+2, … The unique `position` index lets exactly
 * one of several racing instances have a position; the loser retries at the new end. A
 * commit is only ever written after one its writer has seen stored, so positions become
 * visible in order and never leave gaps: a reader cannot skip a commit still in flight and
 * never waits for one that will not come (DESIGN §4.6, by construction instead of gap
 * claims). FerretDB v1 could not keep a position counter anyway: its `$inc` loses updates.
 * Batching keeps racing within a process to zero and amortises a round trip over many commits;
 * with `turns`, instances take turns instead of racing each other (see `append-turns.ts`).
 */
export function createCommitWriter(log: CommitLog, options: CommitWriterOptions = {}): (append: PendingAppend) => void {
  const maxBatch = options.maxBatch ?? 100
  const queue: PendingAppend[] = []
  let draining = false
  /** The last position this writer saw stored; positions are never removed, so it is never ahead. */
  let knownLast: number | undefined

  async function drain(): Promise<void> {
    draining = true
    try {
      for (let attempt = 1; queue.length > 0; attempt++) {
        // While this process waits for its turn, more appends join the batch.
        const turn = await options.turns?.take(Math.max(0, (queue[0]?.deadline ?? 0) - performance.now()))
        // A turn tells the last position written by anyone; a new turn (its holder died) knows none.
        if (turn) knownLast = turn.lastPosition === undefined ? undefined : Math.max(knownLast ?? 0, turn.lastPosition)
        const batch = queue.splice(0, maxBatch)
        options.onBatch?.(batch.length)
        const retry = await writeBatch(batch)
          .catch((error: unknown) => {
            for (const append of batch) append.reject(error)
            knownLast = undefined
            return []
          })
          .finally(() => turn?.release(knownLast))
        const now = performance.now()
        for (const append of retry) {
          if (now > append.deadline) append.reject(new EventStoreBusyError(attempt))
        }
        const again = retry.filter((a) => now <= a.deadline)
        queue.unshift(...again)
        // Another instance took our positions: pause a little so that racing writers spread out.
        if (again.length > 0) await sleep(Math.random() * Math.min(2 ** attempt, 50))
        else attempt = 0
      }
    } finally {
      draining = false
    }
  }

  /** Writes what it can of the batch; returns the appends to try again. */
  async function writeBatch(batch: PendingAppend[]): Promise<PendingAppend[]> {
    const { commits, appends, followers } = await prepare(batch)
    if (commits.length === 0) return []
    for (const commit of commits) await options.beforeInsert?.(commit.stream, commit.position)

    const { inserted, error } = await log.insertOrdered(commits)
    for (let i = 0; i < inserted; i++) settle(appends[i], commits[i], followers, false)
    knownLast = inserted > 0 ? commits[inserted - 1]?.last_position : undefined
    if (inserted === commits.length) return []

    const group = (append: PendingAppend) => [append, ...(followers.get(append.commandId) ?? [])]
    const failed = appends[inserted] as PendingAppend
    const failedCommit = commits[inserted] as CommitDocument
    const notTried = appends.slice(inserted + 1).flatMap(group)
    if (!(error instanceof DuplicateKeyError)) {
      for (const append of [...group(failed), ...notTried]) append.reject(error)
      return []
    }
    // Which unique key was taken decides what happened to the failed commit. One round trip
    // learns all three, so a writer that lost a race is as quick to try again as the winner.
    const [twin, streamHead, last] = await Promise.all([
      failed.commandId.startsWith(GENERATED_COMMAND_ID_PREFIX) ? null : log.findByCommandId(failed.commandId),
      log.findStreamHead(failed.stream),
      log.lastPosition(),
    ])
    knownLast = last
    if (twin) {
      if (twin.stream === failed.stream) settle(failed, twin, followers, true)
      else for (const append of group(failed)) append.reject(new CommandIdConflictError(failed.commandId))
      return notTried
    }
    const head = streamHead?.last_version ?? 0
    if (head >= failedCommit.version && failed.expected !== 'any') {
      for (const append of group(failed)) append.reject(new ConcurrencyError(failed.stream, failed.expected, head))
      return notTried
    }
    // Its position (or, for `any`, its version) was taken by another writer: try again at the new end.
    return [...group(failed), ...notTried]
  }

  /** Checks expected versions and lays the batch out at the end of the log. */
  async function prepare(batch: PendingAppend[]) {
    // Racing identical commands in this process: write the first, answer the rest with its result.
    const followers = new Map<string, PendingAppend[]>()
    const leaders: PendingAppend[] = []
    for (const append of batch) {
      const list = followers.get(append.commandId)
      if (list) list.push(append)
      else {
        followers.set(append.commandId, [])
        leaders.push(append)
      }
    }

    const heads = await Promise.all(
      leaders.map(async (a) => (a.expected === 'no_stream' ? 0 : ((await log.findStreamHead(a.stream))?.last_version ?? 0))),
    )
    knownLast ??= await log.lastPosition()
    let position = knownLast + 1
    const streamVersions = new Map<string, number>()
    const commits: CommitDocument[] = []
    const appends: PendingAppend[] = []
    for (const [i, append] of leaders.entries()) {
      // A stream written twice in one batch: the second commit builds on the first.
      const current = streamVersions.get(append.stream) ?? heads[i] ?? 0
      if (!versionMatches(append.expected, current)) {
        // Perhaps because this very command was stored already (a retry): then it is a replay.
        const twin = append.commandId.startsWith(GENERATED_COMMAND_ID_PREFIX) ? null : await log.findByCommandId(append.commandId)
        const group = [append, ...(followers.get(append.commandId) ?? [])]
        if (twin?.stream === append.stream) settle(append, twin, followers, true)
        else if (twin) for (const a of group) a.reject(new CommandIdConflictError(append.commandId))
        else for (const a of group) a.reject(new ConcurrencyError(append.stream, append.expected, current))
        continue
      }
      const count = append.events.length
      commits.push({
        position,
        last_position: position + count - 1,
        stream: append.stream,
        version: current + 1,
        last_version: current + count,
        command_id: append.commandId,
        ...(append.fingerprint === undefined ? {} : { fingerprint: append.fingerprint }),
        committed_at: append.at,
        events: append.events,
      })
      appends.push(append)
      streamVersions.set(append.stream, current + count)
      position += count
    }
    return { commits, appends, followers }
  }

  return (append) => {
    queue.push(append)
    if (!draining) void drain()
  }
}

function settle(
  append: PendingAppend | undefined,
  commit: CommitDocument | undefined,
  followers: Map<string, PendingAppend[]>,
  replayed: boolean,
): void {
  if (!append || !commit) return
  append.resolve({ commit, replayed })
  for (const follower of followers.get(append.commandId) ?? []) follower.resolve({ commit, replayed: true })
}

function versionMatches(expected: ExpectedVersion, current: number): boolean {
  return (
    expected === 'any' ||
    (expected === 'no_stream' && current === 0) ||
    (expected === 'stream_exists' && current > 0) ||
    expected === current
  )
}
