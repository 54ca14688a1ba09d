import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { buildApp } from '../src/api/app.js'
import { loadConfig } from '../src/infra/config.js'

/**
 * The app as the bench servers run it: embedded unless `env` says otherwise, rate limits out
 * of the way, a known admin, logs written (as in production) to /dev/null.
 */
export function benchApp(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: ':memory:',
    LOG_LEVEL: 'info',
    API_RATE_LIMIT: '100000000/1h',
    ADMIN_EMAIL: 'admin@bench.local',
    ADMIN_PASSWORD: 'bench-admin-password',
    METRICS_PORT: '0', // several bench servers run side by side; the orders section compares with `off`
    ...env,
  })
  return buildApp({ config, logger: pino({ level: 'info' }, pino.destination('/dev/null')), announce: () => undefined })
}
