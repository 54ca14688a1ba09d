import { execFileSync } from 'node:child_process'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, ensureSalesRep, tokenFor } from '../support/auth.js'
import { isCI } from '../support/ci.js'
import { createSku } from '../support/fixtures.js'
import { SALES_METRICS } from '../support/metric-names.js'
import { listeningApp, socketClient } from '../support/realtime.js'
import { eventually } from '../support/wait.js'

/** One sample's value from a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const present = (match[3] ?? '').split(',')
    if (wanted.every((pair) => present.includes(pair))) return Number(match[4])
  }
  return 0
}

const scrape = async (app: FastifyInstance) => {
  const response = await fetch(app.metricsUrl ?? '')
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return response.text()
}

describe('Prometheus metrics on METRICS_PORT', () => {
  let service: { app: FastifyInstance; url: string }
  let admin: string

  beforeAll(async () => {
    service = await listeningApp({ API_RATE_LIMIT: '1000/1m', LOGIN_RATE_LIMIT: '1/1m' })
    admin = await tokenFor(service.app, 'admin', TEST_ADMIN.email)
  })
  afterAll(async () => {
    await service.app.close()
  })

  it('moves by the exact amounts: orders and their value, a failed login, a 429, a socket, HTTP by route template', async () => {
    const { app, url } = service
    const before = await scrape(app)
    const sku = await createSku(app, { unit_price: 12_345, currency: 'INR', tax_rate_bp: 0 })
    const rep = await ensureSalesRep(app)
    for (let i = 0; i < 3; i++) {
      const placed = await app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: bearer(admin),
        payload: { customer: { name: `Metrics ${i}` }, items: [{ sku: sku.sku, quantity: 2 }], sales_rep: rep },
      })
      expect(placed.statusCode).toBe(201)
    }
    const login = (password: string) =>
      app.inject({ method: 'POST', url: '/api/auth/token', payload: { email: 'nobody@test.local', password } })
    expect((await login('wrong-password')).statusCode).toBe(401)
    expect((await login('wrong-again')).statusCode).toBe(429) // LOGIN_RATE_LIMIT 1/1m: one failure per (e-mail, IP)
    const socket = await socketClient(url, { token: admin })
    await app.inject({ url: `/api/orders/ORD-99999`, headers: bearer(admin) })

    await eventually(
      'the socket counted',
      async () => sample(await scrape(app), 'sales_realtime_clients', { transport: 'socket.io' }) === 1,
      5000,
    )
    const after = await scrape(app)
    socket.close()
    const moved = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels)

    expect(moved('sales_orders_placed_total', { currency: 'INR' })).toBe(3)
    expect(moved('sales_order_value_total', { currency: 'INR' })).toBeCloseTo(3 * 2 * 123.45, 6)
    expect(moved('sales_events_appended_total', { type: 'order.created' })).toBe(3)
    expect(moved('sales_events_appended_total', { type: 'sku.created' })).toBe(1)
    expect(moved('sales_event_append_duration_seconds_count')).toBe(4)
    expect(moved('sales_login_failures_total')).toBe(1)
    expect(moved('sales_rate_limit_rejections_total', { limit: 'login_email_ip' })).toBe(1)
    expect(sample(after, 'sales_realtime_clients', { transport: 'socket.io' })).toBe(1)
    expect(moved('sales_http_request_duration_seconds_count', { method: 'POST', route: '/api/orders', status_code: '201' })).toBe(
      3,
    )
    // Route templates, never raw URLs.
    expect(moved('sales_http_request_duration_seconds_count', { route: '/api/orders/:id', status_code: '404' })).toBe(1)
    expect(after).not.toContain('ORD-99999')
    expect(sample(after, 'sales_build_info', { instance_id: 'test-instance' })).toBe(1)
    expect(sample(after, 'sales_ready')).toBe(1)
    expect(sample(after, 'sales_projection_lag_events', { projection: 'orders' })).toBe(0)
    expect(sample(after, 'sales_lease_held', { lease: 'relay' })).toBe(1)
  })

  it('counts API rate-limit rejections and revoked-token refusals', async () => {
    const { app } = await buildTestApp({ env: { API_RATE_LIMIT: '2/1m' } })
    try {
      const before = await scrape(app)
      const auditor = await tokenFor(app, 'auditor')
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/api/skus', headers: bearer(auditor) })).statusCode)
      expect(statuses).toEqual([200, 200, 429])
      const rep = await tokenFor(app, 'sales_rep')
      await app.users.update('sales-rep@test.local', { password: 'a-new-password-for-the-rep' })
      expect((await app.inject({ url: '/api/orders', headers: bearer(rep) })).statusCode).toBe(401)
      const after = await scrape(app)
      expect(
        sample(after, 'sales_rate_limit_rejections_total', { limit: 'api' }) -
          sample(before, 'sales_rate_limit_rejections_total', { limit: 'api' }),
      ).toBe(1)
      expect(sample(after, 'sales_revoked_token_refusals_total') - sample(before, 'sales_revoked_token_refusals_total')).toBe(1)
    } finally {
      await app.close()
    }
  })

  it('keeps two apps in one process apart: each its own registry and listener', async () => {
    const { app: other } = await buildTestApp()
    try {
      const mineBefore = sample(await scrape(service.app), 'sales_events_appended_total', { type: 'sku.created' })
      await createSku(other)
      await createSku(other)
      expect(other.metricsUrl).not.toBe(service.app.metricsUrl)
      expect(sample(await scrape(other), 'sales_events_appended_total', { type: 'sku.created' })).toBe(2)
      expect(sample(await scrape(service.app), 'sales_events_appended_total', { type: 'sku.created' })).toBe(mineBefore)
    } finally {
      await other.close()
    }
    await expect(fetch(other.metricsUrl ?? '')).rejects.toThrow() // closed with the app
  })

  it('serves exactly the metrics of the contract deploy/ is checked against (names, types, labels)', async () => {
    const text = await scrape(service.app)
    const served = new Map([...text.matchAll(/^# TYPE (sales_\w+) (\w+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']))
    expect(new Map(SALES_METRICS.map((metric) => [metric.name, metric.type]))).toEqual(served)
    for (const metric of SALES_METRICS) {
      for (const line of text.split('\n').filter((l) => l.startsWith(`${metric.name}{`))) {
        const labels = [...line.matchAll(/(\w+)="/g)].map((m) => m[1]).filter((label) => label !== 'le')
        for (const label of labels) expect(metric.labels, `${metric.name} label ${label ?? ''}`).toContain(label)
      }
    }
  })

  it('passes promtool check metrics on a real scrape', async () => {
    const available = (() => {
      try {
        execFileSync('promtool', ['--version'], { stdio: 'ignore' })
        return true
      } catch {
        return false
      }
    })()
    if (!available && !isCI) return // (CI installs promtool: .ci/run)
    const text = await scrape(service.app)
    console.log(`scrape: ${Buffer.byteLength(text)} bytes`)
    const output = execFileSync('promtool', ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    expect(output.trim()).toBe('')
  })

  it('is off with METRICS_PORT=off, and a port in use stops the start with a line naming METRICS_PORT', async () => {
    const { app } = await buildTestApp({ env: { METRICS_PORT: 'off' } })
    expect(app.metricsUrl).toBeUndefined()
    await app.close()
    const taken = new URL(service.app.metricsUrl ?? '').port
    await expect(buildTestApp({ env: { METRICS_PORT: taken } })).rejects.toThrow(/METRICS_PORT \d+ is already in use/)
  })
})
