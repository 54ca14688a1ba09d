// `npm run job -- <name>`: runs one job now, as an occurrence of its own (`manual:<id>`) under
// the same lock, done mark and run record as the scheduled runs; prints the outcome and exits
// 0 (ok) or 1. Needs MONGODB_URI. Drifted summaries are repaired by the summaries writer of a
// running service instance, reached through Redis (without one, reconcile reports the drift
// and fails). In the embedded mode use POST /api/admin/jobs/:name/run on the service.
import { Redis } from 'ioredis'
import { ulid } from 'ulid'
import { createEventStore } from '../events/event-store.js'
import { loadDotEnv } from '../infra/dotenv.js'
import type { JobLog } from '../jobs/job.js'
import { createJobRunner } from '../jobs/job-runner.js'
import { MemoryOccurrenceLocks } from '../jobs/memory-occurrence-locks.js'
import { RedisOccurrenceLocks } from '../jobs/redis-occurrence-locks.js'
import { redisWriterLink } from '../jobs/redis-summaries-writer-link.js'
import { serviceJobs } from '../jobs/service-jobs.js'
import { localWriterLink } from '../jobs/summaries-writer-link.js'
import { MemoryFeedStream } from '../realtime/memory-feed-stream.js'
import { RedisFeedStream } from '../realtime/redis-feed-stream.js'
import { configOrFail, fail, openStorageOrFail, say } from './terminal.js'

const JOB_NAMES = ['reports.reconcile', 'realtime.trim']

/** Drift and warnings on stderr, one line each: what the service would log. */
const log: JobLog = {
  info: () => undefined,
  warn: (fields, message) => process.stderr.write(`${message} ${JSON.stringify(fields)}\n`),
  error: (fields, message) => process.stderr.write(`${message} ${JSON.stringify(fields)}\n`),
}

loadDotEnv()
const name = process.argv[2] ?? ''
if (!JOB_NAMES.includes(name)) fail(`usage: npm run job -- <${JOB_NAMES.join('|')}>`, 2)

const config = configOrFail()
if (!config.mongodbUri)
  fail('npm run job needs MONGODB_URI; in the embedded mode use POST /api/admin/jobs/:name/run on the service', 2)
const instance = `${config.instanceId}:job`

const storage = await openStorageOrFail({ ...config, instanceId: instance })
const redis =
  config.redisUri === undefined ? undefined : new Redis(config.redisUri, { connectionName: instance, commandTimeout: 5000 })
redis?.on('error', () => undefined) // (a command that fails says why)
const writer = redis
  ? redisWriterLink(redis, config.redisKeyPrefix, undefined, log)
  : localWriterLink(() => Promise.resolve(null))
const jobs = serviceJobs(config, {
  store: createEventStore(storage.commitLog, { source: instance }),
  readModels: storage.readModels,
  generations: storage.generations,
  leases: storage.leases,
  writer,
  stream: redis ? new RedisFeedStream(redis, redis, config.redisStream) : new MemoryFeedStream(),
})
const job = jobs.find((j) => j.name === name) ?? fail(`no job ${name}`, 2)
const runner = createJobRunner({
  locks: redis ? new RedisOccurrenceLocks(redis, config.redisKeyPrefix) : new MemoryOccurrenceLocks(),
  runs: storage.jobRuns,
  instance,
  log,
})

let code = 1
try {
  const attempt = await runner.runOccurrence(job, `manual:${ulid()}`, new Date())
  if (attempt.ran) {
    const { outcome, duration_ms, details, error } = attempt.run
    say(`${name}: ${outcome} in ${duration_ms ?? 0} ms ${JSON.stringify(details)}${error ? ` (${error})` : ''}`)
    code = outcome === 'ok' ? 0 : 1
  }
} catch (error) {
  process.stderr.write(`${name}: not run: ${(error as Error).message}\n`)
} finally {
  writer.close()
  redis?.disconnect()
  await storage.close()
}
process.exit(code)
