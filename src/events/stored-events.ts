import type { CommitDocument } from './commit-log.js'
import type { StoredEvent } from './envelope.js'
import type { AppendResult } from './event-store.js'

/** The events of a commit, each with its own version and global position. */
export function expand(commit: CommitDocument): StoredEvent[] {
  return commit.events.map((event, i) => ({
    event_id: event.event_id,
    type: event.type,
    stream: commit.stream,
    version: commit.version + i,
    position: commit.position + i,
    data: event.data,
    metadata: event.metadata,
  }))
}

/** What an append returns, from the commit it wrote (or found, when `replayed`). */
export function resultOf(commit: CommitDocument, replayed: boolean): AppendResult {
  return {
    stream: commit.stream,
    events: expand(commit),
    version: commit.last_version,
    position: commit.last_position,
    replayed,
    ...(commit.fingerprint === undefined ? {} : { fingerprint: commit.fingerprint }),
  }
}
