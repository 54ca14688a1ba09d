import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { JobRun as StoredRun } from '../../jobs/job-runs.js'
import { RUN_OUTCOMES } from '../../jobs/job-runs.js'
import { can, operation } from '../operation.js'
import { IsoDateTime, NoQuery, Problem } from '../schemas.js'

const JobRun = Type.Object(
  {
    job: Type.String(),
    occurrence: Type.String({ description: 'the scheduled time (ISO), or manual:<id> for a run asked for' }),
    instance: Type.String({ description: 'INSTANCE_ID of the instance that ran it' }),
    started_at: IsoDateTime,
    finished_at: Type.Union([IsoDateTime, Type.Null()]),
    duration_ms: Type.Union([Type.Integer(), Type.Null()]),
    outcome: Type.Enum(RUN_OUTCOMES),
    details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    error: Type.Optional(Type.String()),
  },
  { title: 'JobRun' },
)
const JobStatus = Type.Object(
  {
    name: Type.String(),
    schedule: Type.String({ description: 'node-cron expression, UTC' }),
    next_run: Type.Union([IsoDateTime, Type.Null()]),
    last_run: Type.Union([JobRun, Type.Null()]),
  },
  { title: 'JobStatus' },
)

const view = ({ id: _id, started_at, finished_at, ...run }: StoredRun) => ({
  ...run,
  started_at: started_at.toISOString(),
  finished_at: finished_at?.toISOString() ?? null,
})

/** The jobs: status, and a run now (admin). */
const adminJobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/admin/jobs',
    operation('listJobs', can('read', 'Job'), {
      tags: ['admin'],
      summary: 'Each job: schedule, next run, and its last run (outcome, duration, details)',
      querystring: NoQuery,
      response: { 200: Type.Array(JobStatus), 400: Problem },
    }),
    async () =>
      (await app.jobs.list()).map(({ next_run, last_run, ...job }) => ({
        ...job,
        next_run: next_run?.toISOString() ?? null,
        last_run: last_run && view(last_run),
      })),
  )

  app.post(
    '/api/admin/jobs/:name/run',
    operation(
      'runJob',
      can('run', 'Job'),
      {
        tags: ['admin'],
        summary: 'Run a job now, as an occurrence of its own (under the same lock and record as the scheduled ones)',
        params: Type.Object(
          { name: Type.String({ pattern: '^[a-z][a-z0-9._-]{0,63}$', description: 'e.g. reports.reconcile' }) },
          { additionalProperties: false },
        ),
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: JobRun, 404: Problem, 503: Problem },
      },
      {
        problems: {
          404: 'No such job (`JOB.NOT_FOUND`)',
          503: 'The job’s lock could not be taken (`JOB.LOCK_UNAVAILABLE`), or a dependency is down (`SERVICE.UNAVAILABLE`)',
        },
      },
    ),
    async (request) => view(await app.jobs.runNow(request.params.name)),
  )
}

export default adminJobRoutes
