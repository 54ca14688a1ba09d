import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { sharedJwtSecret } from '../support/auth.js'
import { call, login } from '../support/embedded.js'
import { startProcess } from '../support/process.js'
import { createTestDatabase, redisNamespace, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'
import {
  NO_TROUBLE,
  attributes,
  buildDashboard,
  freePort,
  launchChromium,
  numbers,
  skipWithoutChromium,
  unexplained,
  watchedPage,
} from './browser.js'

const ADMIN = { email: 'admin@test.local', password: 'admin-password-for-tests' }
const REP_A = { email: 'rep-a@test.local', password: 'rep-a-password-for-tests' }
const REP_B = { email: 'rep-b@test.local', password: 'rep-b-password-for-tests' }
const SKUS = [
  { sku: 'DESK-EU', name: 'Standing desk', unit_price: 45_900, currency: 'EUR', tax_rate_bp: 2000 },
  { sku: 'CHAIR-EU', name: 'Task chair', unit_price: 18_900, currency: 'EUR', tax_rate_bp: 2000 },
  { sku: 'LAMP-IN', name: 'Desk lamp', unit_price: 249_900, currency: 'INR', tax_rate_bp: 1800 },
]
/** The browser's zone: "today" on the Live and Revenue screens is today there. */
const ZONE = 'Asia/Kolkata'
/**
 * Where the screenshots go: with `SCREENSHOTS=docs`, the README's committed pictures;
 * otherwise a temporary folder, so a test run does not leave the working tree modified.
 */
const SHOTS =
  process.env.SCREENSHOTS === 'docs'
    ? new URL('../../docs/', import.meta.url)
    : new URL(`file://${mkdtempSync(join(tmpdir(), 'dashboard-shots-'))}/`)

interface Order {
  order_id: string
  position: number
  sales_rep: string
  currency: string
  total_amount: number
}
interface Figures {
  currency: string
  order_count: number
  total_amount: number
}

/** Today's date in `zone`, YYYY-MM-DD. */
const todayIn = (zone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
/** How long a page may take to show what is asserted (expect.poll's own default is 1 s). */
const SHOWN = { timeout: 10_000 }
const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

// What every test below serves: this source, built as `npm run build` builds it (once per run).
beforeAll(buildDashboard, 60_000)

describe('GET / and /assets/', () => {
  it('a browser gets the page, anything else the JSON index; the page’s files are cached for good; both under the service’s CSP', async () => {
    const { app } = await buildTestApp()
    try {
      const page = await app.inject({ url: '/', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(page.headers.vary).toBe('accept')
      expect(page.headers['cache-control']).toBe('no-cache')
      expect(String(page.headers['content-security-policy']).split(';')).toContain("script-src 'self'")
      expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/) // no inline script
      expect(page.body).not.toMatch(/<style|\sstyle=/) // no inline style

      for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html;q=0.9']) {
        const index = await app.inject({ url: '/', headers: accept === undefined ? {} : { accept } })
        expect(index.headers['content-type'], accept).toMatch(/^application\/json/)
        expect(index.json<{ service: string }>().service).toBe('sales-order-service')
        expect(index.headers.vary).toBe('accept')
      }

      const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)">/.exec(page.body)?.[1]
      const asset = await app.inject({ url: script ?? '/assets/missing.js' })
      expect(asset.statusCode).toBe(200)
      expect(asset.headers['content-type']).toMatch(/javascript/)
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(asset.headers['content-security-policy']).toBeDefined()
      const missing = await app.inject({ url: '/assets/missing.js' })
      expect(missing.statusCode).toBe(404)
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/)
    } finally {
      await app.close()
    }
  })
})

describe.skipIf(skipWithoutServers || skipWithoutChromium)(
  'the dashboard in Chromium, served by the service (a process on FerretDB)',
  () => {
    const databases: TestDatabase[] = []
    let browser: Browser

    beforeAll(async () => {
      browser = await launchChromium()
    }, 90_000)
    afterAll(async () => {
      await browser.close()
      await Promise.all(databases.map((database) => database.drop()))
    })

    /**
     * A fresh deployment for one test (its own database and Redis keys: no lease left behind by
     * another test's killed process delays its relay), and `start`, which runs the service on it
     * as a process on `port` (0: any) with the catalogue and two sales reps: its URL and an admin token.
     */
    async function deployment() {
      const database = await createTestDatabase('dashboard')
      databases.push(database)
      const namespace = redisNamespace('dashboard')
      const env = {
        HOST: '127.0.0.1',
        MONGODB_URI: database.uri,
        REDIS_URI: redisUri ?? '',
        ...namespace,
        JWT_SECRET: sharedJwtSecret(),
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        API_RATE_LIMIT: '1000000/1h',
        LOGIN_RATE_LIMIT: '1000/1m',
        SHUTDOWN_TIMEOUT_MS: '5000',
      }
      return async function start(port = 0) {
        const service = startProcess('src/main.ts', { ...env, PORT: String(port) })
        const url = await service.url
        const admin = await login(url, ADMIN)
        for (const [rep, name] of [
          [REP_A, 'Asha (rep A)'],
          [REP_B, 'Bruno (rep B)'],
        ] as const) {
          const created = await call(url, 'POST', '/api/users', { token: admin, body: { ...rep, name, role: 'sales_rep' } })
          expect([201, 409]).toContain(created.status)
        }
        for (const sku of SKUS) {
          const created = await call(url, 'POST', '/api/skus', { token: admin, body: sku })
          expect([201, 409]).toContain(created.status)
        }
        /** SIGTERM, and the graceful shutdown's exit 0 (leases released, sockets closed so clients reconnect). */
        const stop = async () => {
          service.child.kill('SIGTERM')
          expect(await service.exited).toBe(0)
        }
        return { url, admin, stop }
      }
    }

    /** Places an order over HTTP (another client than the page). */
    async function place(
      url: string,
      token: string,
      rep: string,
      sku: string,
      quantity = 1,
      customer = 'Acme GmbH',
    ): Promise<Order> {
      const placed = await call<Order>(url, 'POST', '/api/orders', {
        token,
        body: { customer: { name: customer }, items: [{ sku, quantity }], sales_rep: rep },
      })
      expect(placed.status, JSON.stringify(placed.body)).toBe(201)
      return placed.body
    }

    async function signIn(page: Page, url: string, who: { email: string; password: string }) {
      await page.goto(`${url}/`)
      await page.getByLabel('E-mail').fill(who.email)
      await page.getByLabel('Password').fill(who.password)
      await page.getByLabel('Password').press('Enter') // the keyboard alone signs in
    }

    const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Screens' }).getByRole('link').allTextContents()

    it('a wrong password shows the problem’s message; a sales rep sees only its own orders, no Live, no Operations, and places one', async () => {
      const { url, admin } = await (await deployment())()
      const mine = await place(url, admin, REP_A.email, 'DESK-EU')
      const theirs = await place(url, admin, REP_B.email, 'CHAIR-EU')
      const { page, trouble } = await watchedPage(browser)

      const served = await page.goto(`${url}/`)
      expect(served?.headers()['content-type']).toMatch(/^text\/html/)
      expect(served?.headers()['content-security-policy']).toContain("script-src 'self'")

      const refused = await call<{ detail: string }>(url, 'POST', '/api/auth/token', {
        body: { email: REP_A.email, password: 'not-the-password' },
      })
      expect(refused.status).toBe(401)
      await signIn(page, url, { email: REP_A.email, password: 'not-the-password' })
      await expect.poll(() => page.getByRole('alert').textContent(), SHOWN).toBe(refused.body.detail)

      await signIn(page, url, REP_A)
      await page.getByRole('heading', { name: 'My orders' }).waitFor()
      expect(await navLinks(page)).toEqual(['My orders', 'Place an order'])
      const shown = () => attributes(page.locator('[data-testid=orders] tbody tr'), 'data-order-id')
      await expect.poll(shown, SHOWN).toContain(mine.order_id)
      const own = await call<{ items: Order[] }>(url, 'GET', '/api/orders?limit=200', { token: await login(url, REP_A) })
      expect(await shown()).toEqual(own.body.items.map((order) => order.order_id))
      expect(await shown()).not.toContain(theirs.order_id)

      await page.goto(`${url}/#/operations`)
      await page.getByText('That screen is not available to your role').waitFor()
      expect(await page.getByRole('heading', { name: 'Operations' }).count()).toBe(0)

      await page.getByRole('link', { name: 'Place an order' }).click()
      await page.getByLabel('Customer name').fill('Globex Ltd')
      await page.getByLabel('SKU').selectOption('LAMP-IN')
      await page.getByLabel('Quantity').fill('3')
      await page.getByRole('button', { name: 'Place order' }).click()
      const placedId = await page.getByTestId('placed').getByRole('link').textContent()
      const placed = () =>
        call<Order>(url, 'GET', `/api/orders/${placedId ?? ''}`, { token: admin }).then((answer) => answer.body)
      await expect
        .poll(placed, SHOWN)
        .toMatchObject({ sales_rep: REP_A.email, currency: 'INR', total_amount: 3 * 249_900 + 134_946 })

      await page.setViewportSize({ width: 390, height: 844 })
      await page.getByRole('link', { name: 'My orders' }).click()
      await page.getByRole('heading', { name: 'My orders' }).waitFor()
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)

      // Chromium logs the refused sign-in (a 401 answer) itself; nothing else may appear.
      expect(unexplained(trouble, [/status of 401 \(Unauthorized\)/])).toEqual(NO_TROUBLE)
    })

    it('admin: an order placed over HTTP is on Live within 1 s; today’s revenue chart equals the API’s totals; time travel; a rebuild', async () => {
      const { url, admin } = await (await deployment())()
      const { page, trouble } = await watchedPage(browser, { timezoneId: ZONE })
      await signIn(page, url, ADMIN)
      await page.getByRole('heading', { name: 'Live' }).waitFor()
      expect(await navLinks(page)).toEqual(['Live', 'Revenue', 'Orders', 'Place an order', 'Operations'])
      await page.locator('[data-testid=feed-state][data-state=live]').waitFor()

      let lastPosition = 0
      for (const [rep, sku, quantity] of [
        [REP_A.email, 'DESK-EU', 2],
        [REP_B.email, 'LAMP-IN', 1],
        [REP_A.email, 'CHAIR-EU', 4],
      ] as const) {
        const order = await place(url, admin, rep, sku, quantity)
        lastPosition = order.position
        await page.locator(`[data-testid=live-orders] [data-order-id="${order.order_id}"]`).waitFor({ timeout: 1000 })
      }
      const today = { from: todayIn(ZONE), to: nextDay(todayIn(ZONE)), tz: ZONE }
      // The API's totals as of the last order (on Live is not yet in the reports' read models).
      const report = async (granularity: string) => {
        const query = new URLSearchParams({ ...today, granularity, min_position: String(lastPosition) })
        return (await call<{ totals: Figures[] }>(url, 'GET', `/api/reports/summaries?${query.toString()}`, { token: admin }))
          .body
      }
      const cards = async () => {
        const today = page.getByTestId('today')
        const counts = await numbers(today.getByTestId('today-count'), 'data-value')
        const revenue = await numbers(today.getByTestId('today-revenue'), 'data-value')
        return (await attributes(today.locator('[data-currency]'), 'data-currency')).map((currency, i) => ({
          currency,
          order_count: counts[i],
          total_amount: revenue[i],
        }))
      }
      const { totals } = await report('day')
      await expect
        .poll(cards, SHOWN)
        .toEqual(totals.map(({ currency, order_count, total_amount }) => ({ currency, order_count, total_amount })))
      await page.screenshot({ path: new URL('dashboard-live.png', SHOTS).pathname })

      await page.getByRole('link', { name: 'Revenue' }).click()
      const hourly = await report('hour')
      const drawn = async () => {
        const figures = page.locator('figure.report')
        const total = (field: string) => numbers(figures.locator(`tfoot [data-field=${field}]`), 'data-value')
        const [counts, amounts, plotted] = await Promise.all([
          total('order_count'),
          total('total_amount'),
          numbers(figures, 'data-plotted-total'),
        ])
        return (await attributes(figures, 'data-currency')).map((currency, i) => ({
          currency,
          order_count: counts[i],
          total_amount: amounts[i],
          plotted: plotted[i],
        }))
      }
      await expect.poll(drawn, SHOWN).toEqual(
        hourly.totals.map(({ currency, order_count, total_amount }) => ({
          currency,
          order_count,
          total_amount,
          plotted: total_amount,
        })),
      )
      expect(await page.locator('figure.report canvas').count()).toBe(hourly.totals.length)
      await page.screenshot({ path: new URL('dashboard-revenue.png', SHOTS).pathname, fullPage: true })
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download CSV' }).click(),
      ])
      const csv = await readFile(await download.path(), 'utf8')
      expect(csv.split('\n')[0]).toMatch(/^start,end,currency,order_count/)

      // Time travel: an order confirmed, then cancelled.
      const order = await place(url, admin, REP_B.email, 'CHAIR-EU')
      expect((await call(url, 'POST', `/api/orders/${order.order_id}/confirm`, { token: admin, body: {} })).status).toBe(200)
      const cancel = { token: admin, body: { reason: 'customer changed their mind' } }
      expect((await call(url, 'POST', `/api/orders/${order.order_id}/cancel`, cancel)).status).toBe(200)
      const history = (
        await call<{ type: string; timestamp: string }[]>(url, 'GET', `/api/orders/${order.order_id}/history`, { token: admin })
      ).body
      expect(history.map((entry) => entry.type)).toEqual(['order.created', 'order.confirmed', 'order.cancelled'])
      await page.goto(`${url}/#/orders/${order.order_id}`)
      const timeline = async () => {
        const items = page.getByTestId('timeline').locator('li')
        const instants = await attributes(items.locator('time'), 'datetime')
        return (await attributes(items, 'data-event')).map((event, i) => `${event ?? ''} ${instants[i] ?? ''}`)
      }
      await expect
        .poll(timeline, SHOWN)
        .toEqual(history.map((entry) => `${entry.type.slice('order.'.length)} ${entry.timestamp}`))
      const statusAsOf = async (instant: string) => {
        await page.getByLabel('Exact instant (ISO 8601)').fill(instant)
        await page.getByRole('button', { name: 'Show', exact: true }).click()
        return page
          .locator(`[data-testid=as-of][data-instant="${instant}"] [data-testid=as-of-status]`)
          .getAttribute('data-status')
      }
      const justBefore = (iso: string) => new Date(Date.parse(iso) - 1).toISOString()
      const [created, confirmed, cancelled] = history.map((entry) => entry.timestamp) as [string, string, string]
      expect(await statusAsOf(justBefore(created))).toBe('none') // it did not exist yet
      expect(await statusAsOf(created)).toBe('created')
      if (justBefore(confirmed) !== created) expect(await statusAsOf(justBefore(confirmed))).toBe('created')
      expect(await statusAsOf(confirmed)).toBe('confirmed')
      if (justBefore(cancelled) !== confirmed) expect(await statusAsOf(justBefore(cancelled))).toBe('confirmed')
      expect(await statusAsOf(cancelled)).toBe('cancelled')

      // Operations: a rebuild, its progress polled until the new generation serves.
      await page.getByRole('link', { name: 'Operations' }).click()
      const generation = () => page.locator('[data-projection=summaries] td').nth(1).textContent()
      await expect.poll(generation, SHOWN).toBe('1')
      await page.getByRole('button', { name: 'Rebuild summaries' }).click()
      await expect.poll(generation, { timeout: 20_000 }).toBe('2')

      // Chromium logs the as-of before the order existed (a 404 answer) itself; nothing else may appear.
      expect(unexplained(trouble, [/status of 404 \(Not Found\)/])).toEqual(NO_TROUBLE)
    })

    it('the service stops and starts again on the same data: the page reconnects by itself and shows an order placed meanwhile', async () => {
      const start = await deployment()
      const port = await freePort()
      const first = await start(port)
      const { page, trouble } = await watchedPage(browser)
      await signIn(page, first.url, ADMIN)
      const feed = page.getByTestId('feed-state')
      await expect.poll(() => feed.getAttribute('data-state'), SHOWN).toBe('live')
      await page.evaluate('window.sameDocument = true') // gone if the page reloads

      await first.stop()
      await expect.poll(() => feed.getAttribute('data-state'), SHOWN).toBe('reconnecting')

      // Meanwhile, another instance on the same data takes an order.
      const other = await start()
      const meanwhile = await place(other.url, other.admin, REP_A.email, 'LAMP-IN', 2, 'Initech')
      await other.stop()

      await start(port)
      await expect.poll(() => feed.getAttribute('data-state'), { timeout: 20_000 }).toBe('live')
      await page.locator(`[data-testid=live-orders] [data-order-id="${meanwhile.order_id}"]`).waitFor({ timeout: 10_000 })
      expect(await page.evaluate('window.sameDocument')).toBe(true) // no reload

      // While the service was down Chromium logged the refused connections itself; nothing else may appear.
      expect(unexplained(trouble, [/ERR_CONNECTION_REFUSED/, /WebSocket connection to .* failed/])).toEqual(NO_TROUBLE)
    })
  },
)
