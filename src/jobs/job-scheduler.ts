import { type ScheduledTask, createTask } from 'node-cron'
import type { Job, JobLog } from './job.js'
import type { JobRunner } from './job-runner.js'

/**
 * How late a timer may fire and still run its occurrence (node-cron's default is 1 s): a busy
 * event loop must not make an instance give up its turn. Never later than the next occurrence.
 */
const LATE_TIMER_TOLERANCE_MS = 60_000

export interface ScheduledJobs {
  /** When `name` runs next (null once stopped). */
  nextRun(name: string): Date | null
  /** Stops every schedule (runs in hand go on: see `JobRunner.stop`). */
  stop(): void
}

/**
 * Starts one node-cron task per job, in UTC. Each firing hands the occurrence — keyed by the
 * time it was *scheduled* for (node-cron's `context.date`), not the moment this instance's
 * timer fired — to the runner, which makes sure it runs once across instances. Occurrences
 * may overlap (no `noOverlap`): a slow run must not make the cluster skip the next one.
 */
export function scheduleJobs(jobs: readonly Job[], runner: JobRunner, log: JobLog): ScheduledJobs {
  const cronLog = {
    info(message: string) {
      log.info({}, `node-cron: ${message}`)
    },
    warn(message: string) {
      log.warn({}, `node-cron: ${message}`)
    },
    error(message: string | Error) {
      log.error({ err: message }, 'node-cron error')
    },
    debug: () => undefined,
  }
  const tasks = new Map<string, ScheduledTask>()
  for (const job of jobs) {
    const task = createTask(
      job.schedule,
      async ({ date }) => {
        try {
          await runner.runOccurrence(job, date.toISOString(), date)
        } catch (error) {
          log.warn({ err: error, job: job.name, occurrence: date.toISOString() }, 'job occurrence not run')
        }
      },
      { name: job.name, timezone: 'Etc/UTC', missedExecutionTolerance: LATE_TIMER_TOLERANCE_MS, logger: cronLog },
    )
    tasks.set(job.name, task)
  }
  for (const task of tasks.values()) void task.start()
  let stopped = false
  return {
    nextRun: (name) => (stopped ? null : (tasks.get(name)?.getNextRun() ?? null)),
    stop() {
      stopped = true
      for (const task of tasks.values()) void task.destroy()
    },
  }
}
