import { buildApp } from '../src/api/app.js'
import { loadConfig } from '../src/infra/config.js'
import { type Row, median, printTable } from './report.js'

/** Login latency for an unknown e-mail vs a known e-mail with a wrong password: the same work, so a ratio near 1. */
export async function benchLogin(): Promise<void> {
  const admin = { email: 'admin@bench.local', password: 'bench-admin-password' }
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: ':memory:',
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    LOGIN_RATE_LIMIT: '100000/1m',
    API_RATE_LIMIT: '100000/1m',
  })
  const app = await buildApp({ config, announce: () => undefined })
  const medianOf25 = async (email: string, password: string) => {
    const times: number[] = []
    for (let i = 0; i < 25; i++) {
      const start = performance.now()
      const response = await app.inject({ method: 'POST', url: '/api/auth/token', payload: { email, password } })
      times.push(performance.now() - start)
      if (response.statusCode !== 401) throw new Error(`expected 401, got ${response.statusCode}`)
    }
    return median(times)
  }
  const wrongPassword = await medianOf25(admin.email, 'not-the-password')
  const unknownEmail = await medianOf25('nobody@bench.local', 'not-the-password')
  await app.close()
  const rows: Row[] = [
    {
      what: 'POST /api/auth/token, unknown e-mail (median of 25)',
      figure: `${unknownEmail.toFixed(1)} ms`,
      baseline: `${wrongPassword.toFixed(1)} ms known e-mail, wrong password`,
      ratio: unknownEmail / wrongPassword,
    },
  ]
  printTable('Login timing (scrypt N=2^16 on both paths)', rows)
}
