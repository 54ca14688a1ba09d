import type { CommitDocument } from './commit-log.js'
import type { StoredEvent } from './envelope.js'

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
