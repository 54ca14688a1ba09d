import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN } from '../support/app.js'
import { sharedJwtSecret } from '../support/auth.js'
import { type ServiceProcess, startProcess } from '../support/process.js'
import { createTestDatabase, redisNamespace, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'
import { eventually } from '../support/wait.js'

interface RunDocument {
  _id: string
  job: string
  occurrence: string
  instance: string
  outcome: string
  started_at: Date
  finished_at: Date | null
}

const EVERY_MS = 2000
const INSTANCES = ['jobs-1', 'jobs-2', 'jobs-3']
/** How long after its scheduled time an occurrence's (fast) run is surely recorded. */
const SETTLE_MS = 1500

/**
 * Acceptance: jobs on three instances as real processes, on FerretDB and Redis, every 2 s
 * (seconds field): each occurrence runs exactly once, counted from the `job_runs` records;
 * then the instance running a deliberately slow job is SIGKILLed and the next occurrence runs
 * on another instance, nothing twice.
 */
describe.skipIf(skipWithoutServers)('jobs on three instances (real processes, FerretDB and Redis)', () => {
  let database: TestDatabase
  const namespace = redisNamespace('jobs')

  beforeAll(async () => {
    database = await createTestDatabase('jobs_cluster')
  })
  afterAll(async () => {
    await database.drop()
  })

  const runs = (job?: string) =>
    database.db
      .collection<RunDocument>('job_runs')
      .find(job ? { job } : {})
      .toArray()
  /** Every 2 s slot in [from, to]. */
  const slots = (from: number, to: number) =>
    Array.from({ length: Math.floor((to - from) / EVERY_MS) + 1 }, (_, i) => new Date(from + i * EVERY_MS).toISOString())
  const byOccurrence = (list: readonly RunDocument[]) => {
    const grouped = new Map<string, RunDocument[]>()
    for (const run of list) grouped.set(run.occurrence, [...(grouped.get(run.occurrence) ?? []), run])
    return grouped
  }
  const perInstance = (list: readonly RunDocument[]) =>
    Object.fromEntries(INSTANCES.map((id) => [id, list.filter((run) => run.instance === id).length]))

  // About 50 s (three processes starting on two cores take half of it): bounded above the default for a loaded run.
  it(
    'runs each occurrence once across instances; killing the one in a slow run, the next occurrence runs elsewhere',
    { timeout: 90_000 },
    async () => {
      const env = {
        MONGODB_URI: database.uri,
        REDIS_URI: redisUri ?? '',
        ...namespace,
        JWT_SECRET: sharedJwtSecret(),
        ADMIN_EMAIL: TEST_ADMIN.email,
        ADMIN_PASSWORD: TEST_ADMIN.password,
        PORT: '0',
        JOBS_RECONCILE_CRON: '*/2 * * * * *',
        JOBS_TRIM_CRON: '*/2 * * * * *',
        JOBS_TEST_SLOW_CRON: '*/4 * * * * *',
        JOBS_TEST_SLOW_MS: '3000',
      }
      const processes = new Map<string, ServiceProcess>(
        INSTANCES.map((id) => [id, startProcess('test/support/jobs-server.ts', { ...env, INSTANCE_ID: id })]),
      )
      await Promise.all([...processes.values()].map((p) => p.url))
      // The first slot all three instances were up for.
      const from = Math.ceil((Date.now() + 1000) / EVERY_MS) * EVERY_MS

      // Phase 1: ten occurrences of each 2 s job.
      const to = from + 9 * EVERY_MS
      await eventually('ten occurrences to pass', () => Date.now() > to + SETTLE_MS, 40_000, 100)
      const window = slots(from, to)
      for (const job of ['reports.reconcile', 'realtime.trim']) {
        const recorded = byOccurrence(await runs(job))
        expect(
          window.map((slot) => (recorded.get(slot) ?? []).map((run) => run.outcome)),
          `${job}: the runs of each occurrence`,
        ).toEqual(window.map(() => ['ok']))
        const inWindow = window.flatMap((slot) => recorded.get(slot) ?? [])
        console.log(
          `jobs cluster: ${job}: ${window.length} occurrences from ${window[0] ?? ''}, ${inWindow.length} runs, per instance ${JSON.stringify(perInstance(inWindow))}`,
        )
      }

      // Phase 2: SIGKILL the instance in the middle of a slow run.
      let victim: RunDocument | undefined
      await eventually('a slow run in progress', async () => {
        victim = (await runs('test.slow')).find((run) => run.outcome === 'running' && Date.parse(run.occurrence) >= from)
        return victim !== undefined
      })
      if (!victim) throw new Error('unreachable')
      const killed = processes.get(victim.instance)
      killed?.child.kill('SIGKILL')
      await killed?.exited
      const killedAt = Date.now()
      let next: RunDocument | undefined
      await eventually(
        'the next slow occurrence to run to the end',
        async () => {
          next = (await runs('test.slow'))
            .filter((run) => Date.parse(run.occurrence) > killedAt && run.outcome === 'ok')
            .sort((a, b) => a.occurrence.localeCompare(b.occurrence))[0]
          return next !== undefined
        },
        15_000,
        100,
      )
      if (!next) throw new Error('unreachable')
      expect(next.instance).not.toBe(victim.instance)
      const abandoned = (await runs('test.slow')).filter((run) => run.occurrence === victim?.occurrence)
      expect(abandoned.map((run) => [run.instance, run.outcome, run.finished_at])).toEqual([[victim.instance, 'running', null]])
      console.log(
        `jobs cluster: killed ${victim.instance} (pid ${killed?.child.pid ?? '?'}) during test.slow ${victim.occurrence}; ` +
          `next occurrence ${next.occurrence} ran on ${next.instance}, started ${next.started_at.getTime() - killedAt} ms after the kill`,
      )

      // The two survivors keep running every occurrence once.
      const after = Math.ceil((killedAt + 1000) / EVERY_MS) * EVERY_MS
      const until = Math.floor((Date.now() - SETTLE_MS) / EVERY_MS) * EVERY_MS
      for (const job of ['reports.reconcile', 'realtime.trim']) {
        const recorded = byOccurrence(await runs(job))
        expect(slots(after, until).map((slot) => (recorded.get(slot) ?? []).map((run) => run.outcome))).toEqual(
          slots(after, until).map(() => ['ok']),
        )
      }

      // Nothing, of any job, ever ran twice.
      const all = await runs()
      const twice = [...byOccurrence(all)].filter(([, list]) => new Set(list.map((run) => run.job)).size !== list.length)
      expect(twice).toEqual([])
      console.log(
        `jobs cluster: ${all.length} runs recorded in all (${['reports.reconcile', 'realtime.trim', 'test.slow'].map((job) => `${job} ${all.filter((run) => run.job === job).length}`).join(', ')}), per instance ${JSON.stringify(perInstance(all))}, none twice`,
      )
    },
  )
})
