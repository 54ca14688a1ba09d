import type { Config } from '../infra/config.js'
import type { FeedStream } from '../realtime/feed-stream.js'
import type { Job } from './job.js'
import { type ReconcileDeps, reconcileJob } from './reconcile-summaries.js'
import { trimFeedJob } from './trim-feed.js'

/** The jobs of the service (DESIGN §9), on their configured schedules: the service and `npm run job` take them from here. */
export function serviceJobs(
  config: Pick<Config, 'jobs' | 'redisStreamMaxLength'>,
  deps: ReconcileDeps & { stream: FeedStream },
): Job[] {
  return [
    reconcileJob(config.jobs.reconcileCron, deps),
    trimFeedJob(config.jobs.trimCron, deps.stream, config.redisStreamMaxLength),
  ]
}
