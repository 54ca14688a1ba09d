import fp from 'fastify-plugin'
import { ulid } from 'ulid'
import type { Job } from '../../jobs/job.js'
import { createJobRunner } from '../../jobs/job-runner.js'
import type { JobRun } from '../../jobs/job-runs.js'
import { scheduleJobs } from '../../jobs/job-scheduler.js'
import { MemoryOccurrenceLocks } from '../../jobs/memory-occurrence-locks.js'
import { RedisOccurrenceLocks } from '../../jobs/redis-occurrence-locks.js'
import { redisWriterLink } from '../../jobs/redis-summaries-writer-link.js'
import { serviceJobs } from '../../jobs/service-jobs.js'
import { localSummariesWriter, localWriterLink } from '../../jobs/summaries-writer-link.js'
import { NotFoundError } from '../../shared/errors.js'

export interface JobStatus {
  name: string
  schedule: string
  next_run: Date | null
  last_run: JobRun | null
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: {
      /** Every job: schedule, next run here, last run anywhere. */
      list(): Promise<JobStatus[]>
      /** Runs `name` now, as an occurrence of its own (`manual:<id>`); throws `JOB.NOT_FOUND`. */
      runNow(name: string): Promise<JobRun>
    }
  }
}

export interface JobsPluginOptions {
  /** Jobs scheduled beside the service's own (test harnesses: e.g. a deliberately slow one). */
  extraJobs?: readonly Job[]
}

/**
 * Jobs (DESIGN §9): the service's jobs and any extra ones, on their node-cron schedules,
 * each occurrence run once across instances (see `jobs/job-runner.ts`) under locks in Redis
 * (in-process when embedded), with a record of every run. Summaries repairs go to the
 * summaries writer: this instance if it holds the lease, else the holder, through Redis.
 * On close the schedules stop and runs in hand get a grace period, then are abandoned.
 */
export default fp<JobsPluginOptions>(
  async (app, options) => {
    const { config, storage } = app
    const log = app.log.child({ component: 'jobs' })
    const locks = app.redis ? new RedisOccurrenceLocks(app.redis, config.redisKeyPrefix) : new MemoryOccurrenceLocks()
    const local = localSummariesWriter(app.projections, storage.readModels)
    const writer = app.redis ? redisWriterLink(app.redis, config.redisKeyPrefix, local, log) : localWriterLink(local)
    const deps = {
      store: app.eventStore,
      readModels: storage.readModels,
      generations: storage.generations,
      leases: storage.leases,
      writer,
      stream: app.realtime.stream,
    }
    const jobs = [...serviceJobs(config, deps), ...(options.extraJobs ?? [])]
    const { metrics } = app
    const runner = createJobRunner({
      locks,
      runs: storage.jobRuns,
      instance: config.instanceId,
      log,
      onFinished(run) {
        const job_name = run.job
        metrics.jobRuns.inc({ job_name, outcome: run.outcome.replace('-', '_') })
        metrics.jobDuration.observe({ job_name }, (run.duration_ms ?? 0) / 1000)
        if (run.outcome === 'ok' && run.finished_at) metrics.jobLastSuccess.set({ job_name }, run.finished_at.getTime() / 1000)
        if (run.outcome === 'failed') app.reportError(new Error(run.error ?? 'job run failed'), { source: 'job', job: run.job })
      },
    })
    const scheduled = scheduleJobs(jobs, runner, log)

    app.decorate('jobs', {
      list: () =>
        Promise.all(
          jobs.map(async ({ name, schedule }) => ({
            name,
            schedule,
            next_run: scheduled.nextRun(name),
            last_run: await storage.jobRuns.latest(name),
          })),
        ),
      async runNow(name: string) {
        const job = jobs.find((j) => j.name === name)
        if (!job) throw new NotFoundError('JOB.NOT_FOUND', `No job ${name}`)
        const attempt = await runner.runOccurrence(job, `manual:${ulid()}`, new Date())
        // A fresh occurrence is neither taken nor done elsewhere.
        if (!attempt.ran) throw new Error(`manual run of ${name} was not run (${attempt.reason})`)
        return attempt.run
      },
    })
    app.addHook('onClose', async () => {
      scheduled.stop()
      // A grace period, then as long again for abandoned runs to let go: half the shutdown
      // budget at most, so the rest of the shutdown still fits in it.
      await runner.stop(config.shutdownTimeoutMs / 4)
      writer.close()
    })
  },
  {
    name: 'jobs',
    dependencies: ['config', 'storage', 'redis', 'event-store', 'projections', 'realtime', 'metrics', 'error-tracking'],
  },
)
