import type { FeedStream } from '../realtime/feed-stream.js'
import { type Job, assertLocked } from './job.js'

/**
 * `realtime.trim`: trims the real-time stream to about `maxLength` entries (`XTRIM MAXLEN ~`).
 * The relay already trims on every write; this catches a stream that grew while it was not
 * writing (a foreign writer, a lowered REDIS_STREAM_MAXLEN). The embedded feed is bounded by
 * its appends: an ok run that trimmed 0.
 */
export function trimFeedJob(schedule: string, stream: FeedStream, maxLength: number): Job {
  return {
    name: 'realtime.trim',
    schedule,
    async run({ signal }) {
      assertLocked(signal, 'realtime.trim')
      return { trimmed: await stream.trimTo(maxLength), max_length: maxLength }
    },
  }
}
