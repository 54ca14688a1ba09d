// A real service process with one extra, deliberately slow job `test.slow` (on the schedule
// JOBS_TEST_SLOW_CRON, each run JOBS_TEST_SLOW_MS long), for the cluster tests that kill the
// instance running it: `node --import tsx test/support/jobs-server.ts` with the usual environment.
import { loadConfig } from '../../src/infra/config.js'
import { type Job, pause } from '../../src/jobs/job.js'
import { startServer } from '../../src/server.js'

const slowMs = Number(process.env.JOBS_TEST_SLOW_MS ?? 3000)
const slow: Job = {
  name: 'test.slow',
  schedule: process.env.JOBS_TEST_SLOW_CRON ?? '0 0 1 1 *',
  async run({ signal }) {
    await pause(slowMs, signal)
    return { slept_ms: slowMs }
  },
}

await startServer({ config: loadConfig(), extraJobs: [slow] })
