import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/api/app.js'
import { pause } from '../../src/jobs/job.js'
import { buildTestApp, testConfig } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { eventually, sleep } from '../support/wait.js'

interface RunView {
  job: string
  occurrence: string
  instance: string
  started_at: string
  finished_at: string | null
  duration_ms: number | null
  outcome: string
  details: Record<string, unknown>
}
interface JobView {
  name: string
  schedule: string
  next_run: string | null
  last_run: RunView | null
}

describe('jobs admin API (embedded)', () => {
  let app: FastifyInstance
  let admin: Record<string, string>

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    admin = bearer(await tokenFor(app, 'admin'))
  })
  afterAll(async () => {
    await app.close()
  })

  it('GET /api/admin/jobs lists each job with its schedule and next run, never run yet', async () => {
    const response = await app.inject({ url: '/api/admin/jobs', headers: admin })
    expect(response.statusCode, response.body).toBe(200)
    const jobs = response.json<JobView[]>()
    expect(jobs.map(({ name, schedule, last_run }) => ({ name, schedule, last_run }))).toEqual([
      { name: 'reports.reconcile', schedule: '5 * * * *', last_run: null },
      { name: 'realtime.trim', schedule: '35 * * * *', last_run: null },
    ])
    const [reconcile, trim] = jobs.map((job) => Date.parse(job.next_run ?? ''))
    expect(new Date(reconcile ?? 0).getUTCMinutes()).toBe(5)
    expect(new Date(trim ?? 0).getUTCMinutes()).toBe(35)
    for (const at of [reconcile, trim]) expect(at).toBeGreaterThan(Date.now())
  })

  it('POST /api/admin/jobs/realtime.trim/run runs it now: 200 with the run (the embedded feed trims nothing)', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/admin/jobs/realtime.trim/run', headers: admin })
    expect(response.statusCode, response.body).toBe(200)
    const run = response.json<RunView>()
    expect(run).toMatchObject({
      job: 'realtime.trim',
      instance: 'test-instance',
      outcome: 'ok',
      details: { trimmed: 0, max_length: 100_000 },
    })
    expect(run.occurrence).toMatch(/^manual:[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(run.duration_ms).toBeGreaterThanOrEqual(0)
    expect(Date.parse(run.finished_at ?? '')).toBeGreaterThanOrEqual(Date.parse(run.started_at))

    const listed = (await app.inject({ url: '/api/admin/jobs', headers: admin })).json<JobView[]>()
    expect(listed.find((job) => job.name === 'realtime.trim')?.last_run).toEqual(run)
  })

  it('POST /api/admin/jobs/reports.reconcile/run on an empty store: ok, no drift', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/admin/jobs/reports.reconcile/run', headers: admin })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json<RunView>()).toMatchObject({ outcome: 'ok', details: { rows: 0, drift: 0 } })
  })

  it('an unknown job → 404 JOB.NOT_FOUND; a name that cannot be one → 400', async () => {
    const unknown = await app.inject({ method: 'POST', url: '/api/admin/jobs/reports.rebuild/run', headers: admin })
    expect([unknown.statusCode, unknown.json<{ code: string }>().code]).toEqual([404, 'JOB.NOT_FOUND'])
    const invalid = await app.inject({ method: 'POST', url: '/api/admin/jobs/Not%20a%20job/run', headers: admin })
    expect([invalid.statusCode, invalid.json<{ code: string }>().code]).toEqual([400, 'REQUEST.VALIDATION'])
  })

  it.each(['sales_rep', 'auditor'] as const)('%s: may neither list nor run jobs (403 AUTH.FORBIDDEN)', async (role) => {
    const headers = bearer(await tokenFor(app, role))
    for (const request of [{ url: '/api/admin/jobs' }, { method: 'POST' as const, url: '/api/admin/jobs/realtime.trim/run' }]) {
      const response = await app.inject({ ...request, headers })
      expect([response.statusCode, response.json<{ code: string }>().code]).toEqual([403, 'AUTH.FORBIDDEN'])
    }
  })
})

describe('jobs at shutdown', () => {
  it('closing the app stops the schedules, and a run still going after the grace period is abandoned and recorded', async () => {
    let started = 0
    const endless = {
      name: 'test.endless',
      schedule: '* * * * * *',
      async run({ signal }: { signal: AbortSignal }) {
        started++
        await pause(60_000, signal)
        return {}
      },
    }
    // A shutdown budget of 400 ms: 100 ms of grace for runs in hand.
    const app = await buildApp({ config: testConfig({ SHUTDOWN_TIMEOUT_MS: '400' }), extraJobs: [endless] })
    await app.ready()
    await eventually(
      'a run to start',
      async () => (await app.storage.jobRuns.latest('test.endless'))?.outcome === 'running',
      5000,
    )
    await app.close()
    expect(await app.storage.jobRuns.latest('test.endless')).toMatchObject({ outcome: 'abandoned', instance: 'test-instance' })
    const runs = started
    await sleep(1500) // the schedule is stopped: no more runs
    expect(started).toBe(runs)
  })
})
